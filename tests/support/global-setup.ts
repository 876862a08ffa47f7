import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { close, createDb } from '../../src/db.js';
import { migrate } from '../../src/migrate.js';
import { findTestServer, NO_SERVER_MESSAGE, redact, withDatabase } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  let server;
  try {
    server = await findTestServer();
  } catch (err) {
    process.stderr.write(`\n${(err as Error).message}\n${NO_SERVER_MESSAGE}\n\n`);
    process.exit(1);
  }
  if (!server) {
    process.stderr.write(`\n${NO_SERVER_MESSAGE}\n\n`);
    process.exit(1);
  }

  // Our own databases only: unique names, created and dropped by this run.
  const template = `socialdb_test_tpl_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${template}"`);
  const db = createDb(withDatabase(server.adminUrl, template), { max: 1 });
  try {
    await migrate(db);
  } finally {
    await close(db);
  }
  process.stdout.write(`test database server: ${server.source} (${redact(server.adminUrl)}), template ${template}\n`);

  project.provide('adminUrl', server.adminUrl);
  project.provide('templateDatabase', template);

  return async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await admin.end({ timeout: 5 });
    await server.stop?.();
  };
}
