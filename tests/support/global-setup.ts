import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { close, createDb } from '../../src/db.js';
import { migrate } from '../../src/migrate.js';
import { findTestServer, NO_SERVER_MESSAGE, redact } from './server.js';
import { asRole, createSupabaseDatabase, migratorRoleFor } from './supabase.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDatabase: string;
    /** The non-superuser role that owns and migrated the template, as `postgres` on Supabase. */
    migratorRole: string;
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
  // The template is laid out as a hosted Supabase project and migrated as its non-superuser owner, so
  // every test file runs on what production runs on (tests/support/supabase.ts).
  const [server_] = await admin<{ superuser: string; version: string }[]>`
    select current_user as superuser, current_setting('server_version') as version`;
  const { superuser, version } = server_!;
  const migrator = migratorRoleFor(superuser);
  await createSupabaseDatabase(server.adminUrl, template, migrator);
  const db = createDb(asRole(server.adminUrl, migrator, template), { max: 1 });
  try {
    await migrate(db);
  } finally {
    await close(db);
  }
  process.stdout.write(
    `test database server: ${server.source} (${redact(server.adminUrl)}), PostgreSQL ${version}, ` +
      `template ${template} laid out as Supabase and migrated as ${migrator}\n`,
  );

  project.provide('adminUrl', server.adminUrl);
  project.provide('templateDatabase', template);
  project.provide('migratorRole', migrator);

  return async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await admin.end({ timeout: 5 });
    await server.stop?.();
  };
}
