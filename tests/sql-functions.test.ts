// sql/functions/ holds every SQL function's current definition, one file each, and the migrations
// leave each function exactly as its file says (scripts/sql-functions/check.ts, docs/sql-functions.md).
// Both ways of drifting apart are shown failing: a migration that changes a function without its
// file, and a file changed without a migration.
import { readdirSync, readFileSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  checkFunctionFiles,
  formatProblems,
  functionsDir,
  readCatalog,
  readFunctionFiles,
  splitStatements,
  type CheckReport,
} from '../scripts/sql-functions/check.js';
import { functionList, migrationText } from '../scripts/sql-functions/cli.js';
import { createTestDatabase, dropTestDatabase, useTestDb, type TestDatabase } from './support/db.js';

const t = useTestDb({ max: 1 });
let sql: postgres.Sql;
const role = () => inject('migratorRole');

beforeAll(() => {
  // prepare: false, so the same client works through the transaction pooler leg.
  sql = postgres(t.url, { max: 1, prepare: false, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
});

const files = readFunctionFiles();
/** Problems of the untouched checkout (none, when it is right): the scenarios below add theirs to these. */
let baselineProblems: string[] = [];

function fileWith(name: string, edit: (text: string) => string): Map<string, string> {
  const text = files.get(name);
  if (text === undefined) throw new Error(`no sql/functions/${name}`);
  const edited = edit(text);
  if (edited === text) throw new Error(`the edit of ${name} changed nothing`);
  return new Map([[name, edited]]);
}

function problemsOf(report: CheckReport, kind: string) {
  return report.problems.filter((p) => p.kind === kind).map((p) => ({ file: p.file, signature: p.signature }));
}

describe('sql/functions/ and the migrated catalog', () => {
  it('every function of public and archive has its file, and every file matches the migrations', async () => {
    const before = await readCatalog(sql);
    const report = await checkFunctionFiles(sql, { role: role() });
    baselineProblems = report.problems.map((p) => p.message);
    expect(formatProblems(report)).toBe('');
    expect(report.catalog.size).toBeGreaterThan(40);
    expect(report.coverage.size).toBe(report.catalog.size);
    // Each file ran in a transaction that was rolled back: nothing changed.
    expect(await readCatalog(sql)).toEqual(before);
  });

  it('reads definitions, privileges, SECURITY DEFINER and SET from the catalog', async () => {
    const catalog = await readCatalog(sql);
    const maintenance = catalog.get('public.archive_old_engagement_events(interval)');
    expect(maintenance?.securityDefiner).toBe(true);
    expect(maintenance?.config).toEqual(expect.arrayContaining(['lock_timeout=5s']));
    expect(maintenance?.acl).toEqual(['<owner>:EXECUTE by <owner>', 'service_role:EXECUTE by <owner>']);
    expect(catalog.get('public.get_top_content(character varying,integer,integer,uuid)')?.acl).toContain(
      'authenticated:EXECUTE by <owner>',
    );
    expect(maintenance?.definition).toMatch(/^CREATE OR REPLACE FUNCTION public\.archive_old_engagement_events/);
  });

  it('the list of docs/sql-functions.md marks exactly the SECURITY DEFINER functions', async () => {
    const catalog = await readCatalog(sql);
    const marked = new Set([...functionList().matchAll(/^- \[`([a-z0-9_]+)`\][^\n]*\(SECURITY DEFINER\)/gm)].map((m) => m[1]!));
    const definers = new Set([...catalog.values()].filter((f) => f.securityDefiner).map((f) => f.name));
    expect([...marked].sort()).toEqual([...definers].sort());
  });
});

describe('a migration that changes a function without its file is caught', () => {
  let scratch: TestDatabase;
  let scratchSql: postgres.Sql;
  beforeAll(async () => {
    scratch = await createTestDatabase({ max: 1 });
    scratchSql = postgres(scratch.url, { max: 1, prepare: false, onnotice: () => {} });
    // What a careless migration would do, run as the role that migrates.
    const body = files.get('int_array_add.sql')!;
    const create = splitStatements(body).find((s) => /CREATE OR REPLACE FUNCTION/.test(s))!;
    await scratchSql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL ROLE "${role()}"`);
      // Another body.
      await tx.unsafe(create.replace(/\$function\$[\s\S]*\$function\$/, '$function$ SELECT NULL::integer[] $function$'));
      // Another grant.
      await tx.unsafe(`GRANT EXECUTE ON FUNCTION public.normalize_topic_name(text) TO anon`);
      // Another setting.
      await tx.unsafe(`ALTER FUNCTION public.bigint_array_add(bigint[], bigint[]) SET work_mem = '8MB'`);
      // A new function nobody wrote a file for.
      await tx.unsafe(`CREATE FUNCTION public.forgotten_helper() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`);
    });
  });
  afterAll(async () => {
    await scratchSql?.end({ timeout: 5 });
    if (scratch) await dropTestDatabase(scratch);
  });

  it('reports each changed function against its file, and the function with no file', async () => {
    const report = await checkFunctionFiles(scratchSql, { role: role() });
    expect(problemsOf(report, 'file-changes-function')).toEqual([
      { file: 'bigint_array_add.sql', signature: 'public.bigint_array_add(bigint[],bigint[])' },
      { file: 'int_array_add.sql', signature: 'public.int_array_add(integer[],integer[])' },
      { file: 'normalize_topic_name.sql', signature: 'public.normalize_topic_name(text)' },
    ]);
    expect(problemsOf(report, 'function-without-file')).toEqual([
      { file: undefined, signature: 'public.forgotten_helper()' },
    ]);
    expect(report.problems.length).toBe(4 + baselineProblems.length);
    const changedBody = report.problems.find((p) => p.file === 'int_array_add.sql')!.message;
    expect(changedBody).toContain('definition differs');
    expect(changedBody).toContain('- AS $function$ SELECT NULL::integer[] $function$');
    expect(report.problems.find((p) => p.file === 'normalize_topic_name.sql')!.message).toContain('privileges differ');
    expect(report.problems.find((p) => p.file === 'bigint_array_add.sql')!.message).toContain('SET (proconfig) differs');
    // What a new migration would carry: the files, as they are, and a DROP for the function with no file.
    expect(report.changedFiles).toEqual(
      expect.arrayContaining(['bigint_array_add.sql', 'int_array_add.sql', 'normalize_topic_name.sql']),
    );
    expect(report.functionsWithoutFile).toEqual(['public.forgotten_helper()']);
  });
});

describe('a file changed without a migration is caught', () => {
  const check = (changed: Map<string, string>) => checkFunctionFiles(sql, { files: changed, role: role() });

  it('another body', async () => {
    const report = await check(fileWith('int_array_add.sql', (s) => s.replace('array_agg(x + y ORDER BY n)', 'array_agg(x - y ORDER BY n)')));
    expect(problemsOf(report, 'file-changes-function')).toEqual([
      { file: 'int_array_add.sql', signature: 'public.int_array_add(integer[],integer[])' },
    ]);
    expect(report.changedFiles).toEqual(['int_array_add.sql']);
  });

  it('another grant, SECURITY DEFINER or search_path', async () => {
    const grant = await check(
      fileWith('refresh_engaged_users.sql', (s) => s.replace(/TO service_role;/, 'TO authenticated, service_role;')),
    );
    expect(problemsOf(grant, 'file-changes-function')).toEqual([
      { file: 'refresh_engaged_users.sql', signature: 'public.refresh_engaged_users()' },
    ]);
    const definer = await check(fileWith('refresh_engaged_users.sql', (s) => s.replace(/\n SECURITY DEFINER/, '')));
    expect(definer.problems.map((p) => p.message).join('\n')).toContain('SECURITY DEFINER differs');
    const path = await check(
      fileWith('normalize_topic_name.sql', (s) => s.replace("SET search_path TO 'public', 'pg_temp'", "SET search_path TO ''")),
    );
    expect(path.problems.map((p) => p.message).join('\n')).toContain('SET (proconfig) differs');
  });

  it('privileges left out of the file, though the migrations set them', async () => {
    // Without REVOKE and GRANT, running the file on the migrated database changes nothing (CREATE OR
    // REPLACE keeps grants): the check also runs it on the function with no grants, where it shows.
    const report = await check(
      fileWith('refresh_engaged_users.sql', (s) => s.replace(/^REVOKE .*\n/m, '').replace(/^GRANT .*\n/m, '')),
    );
    expect(problemsOf(report, 'privileges-not-explicit')).toEqual([
      { file: 'refresh_engaged_users.sql', signature: 'public.refresh_engaged_users()' },
    ]);
    // A GRANT without the REVOKE: on a new function PUBLIC (and on Supabase the API roles) would keep EXECUTE.
    const open = await check(fileWith('refresh_engaged_users.sql', (s) => s.replace(/^REVOKE .*\n/m, '')));
    expect(problemsOf(open, 'privileges-not-explicit')).toEqual([
      { file: 'refresh_engaged_users.sql', signature: 'public.refresh_engaged_users()' },
    ]);
  });

  it('a new file, a removed file, a file that fails, a file that touches another function', async () => {
    const changed = new Map(files);
    changed.delete('bigint_array_add.sql');
    changed.set('brand_new.sql', `CREATE FUNCTION public.brand_new() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;`);
    changed.set('broken.sql', `CREATE OR REPLACE FUNCTION public.broken( RETURNS int`);
    changed.set(
      'set_updated_at.sql',
      `${files.get('set_updated_at.sql')}\nALTER FUNCTION public.int_array_add(integer[], integer[]) SET work_mem = '1MB';\n`,
    );
    const report = await checkFunctionFiles(sql, { files: changed, role: role() });
    expect(problemsOf(report, 'file-defines-unknown-function')).toEqual([
      { file: 'brand_new.sql', signature: 'public.brand_new()' },
    ]);
    expect(problemsOf(report, 'function-without-file')).toEqual([
      { file: undefined, signature: 'public.bigint_array_add(bigint[],bigint[])' },
    ]);
    expect(problemsOf(report, 'file-fails')).toEqual([{ file: 'broken.sql', signature: undefined }]);
    expect(problemsOf(report, 'file-touches-other-function')).toEqual([
      { file: 'set_updated_at.sql', signature: 'public.int_array_add(integer[],integer[])' },
    ]);
    expect(problemsOf(report, 'file-changes-function')).toEqual([
      { file: 'set_updated_at.sql', signature: 'public.int_array_add(integer[],integer[])' },
    ]);
  });

  it('the migration npm run sql:migration writes carries the file: afterwards they agree', async () => {
    const changed = fileWith('int_array_add.sql', (s) => s.replace('array_agg(x + y ORDER BY n)', 'array_agg(x - y ORDER BY n)'));
    const scratch = await createTestDatabase({ max: 1 });
    const scratchSql = postgres(scratch.url, { max: 1, prepare: false, onnotice: () => {} });
    try {
      expect((await checkFunctionFiles(scratchSql, { files: changed, role: role() })).changedFiles).toEqual([
        'int_array_add.sql',
      ]);
      // As drizzle's migrator applies it: one chunk per breakpoint, one statement per chunk.
      const chunks = migrationText(changed, []).split('\n--> statement-breakpoint\n');
      expect(chunks.length).toBeGreaterThanOrEqual(3);
      await scratchSql.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL ROLE "${role()}"`);
        for (const chunk of chunks) await tx.unsafe(chunk);
      });
      const after = await checkFunctionFiles(scratchSql, { files: changed, role: role() });
      expect(after.changedFiles).toEqual([]);
      expect(after.problems.filter((p) => p.kind !== 'function-without-file')).toEqual([]);
    } finally {
      await scratchSql.end({ timeout: 5 });
      await dropTestDatabase(scratch);
    }
  });
});

describe('splitStatements', () => {
  it('splits at top-level semicolons only', () => {
    const text = [
      `-- a; comment`,
      `CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $fn$ SELECT ';' || $$;$$ $fn$;`,
      `--> statement-breakpoint`,
      `/* block; /* nested; */ */ GRANT EXECUTE ON FUNCTION "we;ird"() TO service_role;`,
      `COMMENT ON FUNCTION f() IS E'it''s \\'; fine';`,
      `-- trailing comment only`,
    ].join('\n');
    expect(splitStatements(text)).toEqual([
      `-- a; comment\nCREATE FUNCTION f() RETURNS text LANGUAGE sql AS $fn$ SELECT ';' || $$;$$ $fn$;`,
      `/* block; /* nested; */ */ GRANT EXECUTE ON FUNCTION "we;ird"() TO service_role;`,
      `COMMENT ON FUNCTION f() IS E'it''s \\'; fine';`,
    ]);
  });

  it('every function file is a CREATE OR REPLACE FUNCTION followed by its privileges', () => {
    for (const [file, text] of files) {
      const statements = splitStatements(text);
      expect(statements[0], file).toMatch(/^(--[^\n]*\n)*CREATE OR REPLACE FUNCTION /);
    }
  });
});

describe('the docs list every function file', () => {
  const docs = ['README.md', ...readdirSync('docs').map((f) => `docs/${f}`)].filter((f) => f.endsWith('.md'));
  const text = docs.map((f) => readFileSync(f, 'utf8')).join('\n');
  const onDisk = readdirSync(functionsDir).filter((f) => f.endsWith('.sql')).sort();

  it('docs/sql-functions.md lists exactly the files of sql/functions/ (npm run sql:functions -- docs)', () => {
    const doc = readFileSync('docs/sql-functions.md', 'utf8');
    const list = /<!-- function-files:start[^>]*-->\n([\s\S]*?)\n?<!-- function-files:end -->/.exec(doc)?.[1];
    expect(list).toBe(functionList());
    const listed = [...list!.matchAll(/\]\(\.\.\/sql\/functions\/([^)]+\.sql)\)/g)].map((m) => m[1]!).sort();
    expect(listed).toEqual(onDisk);
  });

  it('every link to sql/functions/ in README.md and docs/ names an existing file', () => {
    const linked = new Set([...text.matchAll(/sql\/functions\/([a-z0-9_]+\.sql)/g)].map((m) => m[1]!));
    expect([...linked].filter((f) => !onDisk.includes(f))).toEqual([]);
  });
});
