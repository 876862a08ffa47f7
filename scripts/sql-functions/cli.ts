// npm run sql:functions -- <command>   (npx tsx scripts/sql-functions/cli.ts <command>)
//
//   check                   migrate a scratch database, check sql/functions/ against it (exit 1 on a mismatch)
//   generate [--overwrite] [--except a,b] [names...]
//                           write sql/functions/<name>.sql from a migrated scratch database's catalog:
//                           by default only for functions without a file; --overwrite rewrites existing
//                           files too (their leading comment block is kept)
//   docs                    rewrite the list of function files in docs/sql-functions.md (generate does it too)
//   migration <name>        a new custom drizzle migration carrying every file the migrations do not
//                           (npm run sql:migration -- <name>)
//
// The scratch database is created on the server of DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres, which must be allowed to CREATE DATABASE), migrated with
// src/migrate.ts, and dropped at the end.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { close, createDb } from '../../src/db.js';
import { migrate } from '../../src/migrate.js';
import {
  apiRoles,
  checkFunctionFiles,
  formatProblems,
  functionNameOfFile,
  functionsDir,
  readCatalog,
  readFunctionFiles,
  splitStatements,
  type CheckReport,
  type FunctionRecord,
} from './check.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const drizzleDir = join(root, 'drizzle');

function adminUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Runs `fn` on a freshly migrated scratch database (postgres.js client), then drops the database. */
export async function withMigratedScratch<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const name = `socialdb_fncheck_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  try {
    const url = withDatabase(adminUrl(), name);
    const db = createDb(url, { max: 1 });
    try {
      await migrate(db);
    } finally {
      await close(db);
    }
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      return await fn(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end({ timeout: 5 });
  }
}

/** Migration files in journal order. */
function migrationFiles(): { tag: string; text: string }[] {
  const journal = JSON.parse(readFileSync(join(drizzleDir, 'meta/_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  return journal.entries.map((e) => ({ tag: e.tag, text: readFileSync(join(drizzleDir, `${e.tag}.sql`), 'utf8') }));
}

/** The comment lines right above line `index` (blank lines and statement breakpoints skipped over once). */
function commentAbove(lines: string[], index: number): string[] {
  const out: string[] = [];
  let i = index - 1;
  while (i >= 0 && (lines[i]!.trim() === '' || lines[i]!.startsWith('--> statement-breakpoint'))) i--;
  while (i >= 0 && lines[i]!.startsWith('--') && !lines[i]!.startsWith('--> statement-breakpoint')) {
    out.unshift(lines[i]!);
    i--;
  }
  return out;
}

/**
 * Why the function exists, from the migrations: the comment block above the first CREATE of the name
 * (or above the RENAME that gave the function its name), and the block above the last CREATE when
 * that one is another migration and says something else.
 */
function headerFromMigrations(name: string, migrations: { tag: string; text: string }[]): string[] {
  const create = new RegExp(`^\\s*CREATE\\s+(OR\\s+REPLACE\\s+)?FUNCTION\\s+(public\\.|archive\\.)?"?${name}"?\\s*\\(`, 'i');
  const rename = new RegExp(`^\\s*ALTER\\s+FUNCTION\\s+.*\\s+RENAME\\s+TO\\s+"?${name}"?\\s*;`, 'i');
  const found: { tag: string; comment: string[] }[] = [];
  for (const m of migrations) {
    const lines = m.text.split('\n');
    lines.forEach((line, i) => {
      if (create.test(line) || rename.test(line)) found.push({ tag: m.tag, comment: commentAbove(lines, i) });
    });
  }
  const withComment = found.filter((f) => f.comment.length > 0);
  if (withComment.length === 0) return [];
  const first = withComment[0]!;
  const last = withComment[withComment.length - 1]!;
  const out = [...first.comment];
  if (last !== first && last.tag !== first.tag) out.push('--', ...last.comment);
  return out;
}

/** The file's leading comment block (kept when a file is regenerated). */
function leadingComment(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('--')) break;
    out.push(line);
  }
  return out;
}

function quoteRole(role: string): string {
  return role === 'PUBLIC' || /^[a-z_][a-z0-9_]*$/.test(role) ? role : `"${role.replace(/"/g, '""')}"`;
}

/** A file's text for a catalog record: header, definition, privileges, comment. */
export function renderFunctionFile(fn: FunctionRecord, header: string[]): string {
  const lines = [...header];
  if (lines.length === 0) lines.push(`-- ${fn.signature}`);
  lines.push(`${fn.definition!.trimEnd()};`);
  // Whatever a new function gets by default (EXECUTE for PUBLIC; on Supabase also the API roles) is
  // revoked first, so the file states the whole ACL whether the function is new or replaced.
  const revokeFrom = new Set(['PUBLIC', ...apiRoles]);
  const grants = new Map<string, string[]>(); // "PRIVILEGE|grantable" -> grantees
  for (const entry of fn.acl) {
    const m = /^(.*):([A-Z ]+)(\*?) by (.*)$/.exec(entry);
    if (!m) throw new Error(`unexpected ACL entry ${entry}`);
    const [, grantee, privilege, grantable, grantor] = m;
    if (grantor !== '<owner>') throw new Error(`${fn.signature}: privilege granted by ${grantor}, not the owner; write its file by hand`);
    if (grantee === '<owner>') continue;
    revokeFrom.add(grantee!);
    const key = `${privilege}|${grantable}`;
    grants.set(key, [...(grants.get(key) ?? []), grantee!]);
  }
  lines.push('');
  lines.push(`REVOKE ALL ON FUNCTION ${fn.signature} FROM ${[...revokeFrom].map(quoteRole).join(', ')};`);
  for (const [key, grantees] of grants) {
    const [privilege, grantable] = key.split('|');
    lines.push(
      `GRANT ${privilege} ON FUNCTION ${fn.signature} TO ${grantees.map(quoteRole).join(', ')}${grantable ? ' WITH GRANT OPTION' : ''};`,
    );
  }
  if (fn.comment !== null) {
    lines.push(`COMMENT ON FUNCTION ${fn.signature} IS '${fn.comment.replace(/'/g, "''")}';`);
  }
  return `${lines.join('\n')}\n`;
}

/** The file name for each catalog function: `<name>.sql`, or `<name>__<arity>.sql` among overloads. */
function fileNamesFor(catalog: Map<string, FunctionRecord>): Map<string, string> {
  const byName = new Map<string, FunctionRecord[]>();
  for (const fn of catalog.values()) byName.set(fn.name, [...(byName.get(fn.name) ?? []), fn]);
  const out = new Map<string, string>();
  for (const [name, fns] of byName) {
    if (fns.length === 1) {
      out.set(fns[0]!.signature, `${name}.sql`);
      continue;
    }
    for (const fn of fns) {
      const args = fn.signature.slice(fn.signature.indexOf('(') + 1, -1);
      const slug = args === '' ? '0' : args.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '').toLowerCase();
      out.set(fn.signature, `${name}__${slug}.sql`);
    }
  }
  return out;
}

async function generate(args: string[]): Promise<void> {
  const overwrite = args.includes('--overwrite');
  const exceptAt = args.indexOf('--except');
  const except = new Set(exceptAt >= 0 ? args[exceptAt + 1]!.split(',') : []);
  const names = args.filter((a, i) => !a.startsWith('--') && i !== exceptAt + 1);
  const migrations = migrationFiles();
  const catalog = await withMigratedScratch((sql) => readCatalog(sql));
  const fileNames = fileNamesFor(catalog);
  const existing = new Set(readdirSync(functionsDir));
  let written = 0;
  for (const fn of catalog.values()) {
    if (names.length > 0 && !names.includes(fn.name)) continue;
    if (except.has(fn.name)) continue;
    const file = fileNames.get(fn.signature)!;
    const path = join(functionsDir, file);
    const hasFile = [...existing].some((f) => functionNameOfFile(f) === fn.name);
    if (hasFile && !overwrite) continue;
    const header = existsSync(path) ? leadingComment(readFileSync(path, 'utf8')) : headerFromMigrations(fn.name, migrations);
    writeFileSync(path, renderFunctionFile(fn, header));
    written++;
    console.log(`wrote sql/functions/${file}`);
  }
  console.log(`${written} file(s) written, ${catalog.size} functions in the catalog`);
  writeDocsList();
}

const docsPath = join(root, 'docs/sql-functions.md');
const LIST_START = '<!-- function-files:start (npm run sql:functions -- docs) -->';
const LIST_END = '<!-- function-files:end -->';

/** One line per file of sql/functions/: its link and the first sentence of its header comment. */
export function functionList(files: Map<string, string> = readFunctionFiles()): string {
  const lines: string[] = [];
  for (const [file, text] of files) {
    const header = leadingComment(text)
      .map((l) => l.replace(/^--\s?/, ''))
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
    // The first sentence, cut at a word near 160 characters.
    let first = /^(.*?[a-z0-9)`'"])\.(\s|$)/.exec(header)?.[1] ?? header;
    if (first.length > 160) first = `${first.slice(0, first.lastIndexOf(' ', 157))} ...`;
    // The clauses between CREATE and the body, as pg_get_functiondef prints them or as written.
    const clauses = /CREATE OR REPLACE FUNCTION[\s\S]*?\bAS\s+\$/i.exec(text)?.[0] ?? '';
    const definer = /\bSECURITY\s+DEFINER\b/i.test(clauses) ? ' (SECURITY DEFINER)' : '';
    lines.push(`- [\`${file.replace(/\.sql$/, '')}\`](../sql/functions/${file})${definer}${first ? `: ${first}` : ''}`);
  }
  return lines.join('\n');
}

function writeDocsList(): void {
  const doc = readFileSync(docsPath, 'utf8');
  const start = doc.indexOf(LIST_START);
  const end = doc.indexOf(LIST_END);
  if (start < 0 || end < start) throw new Error(`docs/sql-functions.md lacks the markers ${LIST_START} ... ${LIST_END}`);
  const next = `${doc.slice(0, start + LIST_START.length)}\n${functionList()}\n${doc.slice(end)}`;
  if (next !== doc) {
    writeFileSync(docsPath, next);
    console.log('rewrote the list of docs/sql-functions.md');
  }
}

function printReport(report: CheckReport): void {
  if (report.problems.length === 0) {
    console.log(
      `function files: ${report.catalog.size} functions, each defined exactly as its file in sql/functions/ says ` +
        `(definition, privileges, SECURITY DEFINER, SET, comment)`,
    );
  } else {
    console.error(`function files: ${report.problems.length} problem(s):\n${formatProblems(report)}`);
  }
}

async function check(): Promise<number> {
  const report = await withMigratedScratch((sql) => checkFunctionFiles(sql));
  printReport(report);
  return report.problems.length === 0 ? 0 : 1;
}

/** The text of a migration carrying `files` (and dropping `dropped`): statements apart, for drizzle. */
export function migrationText(files: Map<string, string>, dropped: string[]): string {
  const chunks: string[] = [];
  for (const [file, text] of files) {
    const statements = splitStatements(text);
    statements[0] = `-- sql/functions/${file}\n${statements[0]}`;
    chunks.push(...statements);
  }
  for (const sig of dropped) {
    chunks.push(`-- ${sig}: its file was removed from sql/functions/.\nDROP FUNCTION ${sig};`);
  }
  return `${chunks.join('\n--> statement-breakpoint\n')}\n`;
}

async function migration(args: string[]): Promise<number> {
  const name = args.find((a) => !a.startsWith('--'));
  if (!name) {
    console.error('usage: npm run sql:migration -- <name>');
    return 2;
  }
  const report = await withMigratedScratch((sql) => checkFunctionFiles(sql));
  // Problems of the files themselves, which no migration can fix. A file that fails on the current
  // head (say, a changed return type, which CREATE OR REPLACE refuses) needs a migration written by
  // hand (DROP FUNCTION first, then the file's content).
  const blocking = report.problems.filter((p) =>
    [
      'file-name',
      'file-touches-other-function',
      'file-defines-nothing',
      'unsupported-function',
      'file-drops-function',
      'privileges-not-explicit',
      'file-fails',
    ].includes(p.kind),
  );
  if (blocking.length > 0) {
    console.error(`fix these first:\n${blocking.map((p) => `- ${p.message}`).join('\n')}`);
    return 1;
  }
  if (report.changedFiles.length === 0 && report.functionsWithoutFile.length === 0) {
    console.log('nothing to migrate: the migrations leave every function as its file says');
    return 0;
  }
  const all = readFunctionFiles();
  const carried = new Map(report.changedFiles.map((f) => [f, all.get(f)!] as const));
  const text = migrationText(carried, report.functionsWithoutFile);
  // Same lock as scripts/new-migration.sh: two people generating at once never get one number.
  const before = new Set(readdirSync(drizzleDir));
  execFileSync('flock', ['/tmp/socialdb-drizzle-generate.lock', 'npx', 'drizzle-kit', 'generate', '--custom', '--name', name], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const created = readdirSync(drizzleDir).filter((f) => !before.has(f) && f.endsWith(`_${name}.sql`));
  if (created.length !== 1) {
    console.error(`drizzle-kit generate --custom did not create one drizzle/NNNN_${name}.sql (found: ${created.join(', ') || 'none'})`);
    return 1;
  }
  const path = join(drizzleDir, created[0]!);
  const header =
    `-- Carries ${[...carried.keys()].map((f) => `sql/functions/${f}`).join(', ') || 'no file'}` +
    (report.functionsWithoutFile.length ? `; drops ${report.functionsWithoutFile.join(', ')}` : '') +
    `.\n-- Written by npm run sql:migration from the files' content; edit the files, not this, and add a comment here on why.\n`;
  writeFileSync(path, header + text);
  console.log(`wrote drizzle/${created[0]} carrying ${carried.size} file(s)${report.functionsWithoutFile.length ? `, dropping ${report.functionsWithoutFile.length} function(s)` : ''}`);
  // The new head must now agree with every file.
  const after = await withMigratedScratch((sql) => checkFunctionFiles(sql));
  printReport(after);
  return after.problems.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  switch (command) {
    case 'check':
      return check();
    case 'generate':
      await generate(args);
      return 0;
    case 'docs':
      writeDocsList();
      return 0;
    case 'migration':
      return migration(args);
    default:
      console.error('usage: tsx scripts/sql-functions/cli.ts check | generate [--overwrite] [--except a,b] [names...] | migration <name>');
      return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
