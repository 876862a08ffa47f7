// The function-file check: sql/functions/ holds one file per SQL function of the package's schemas,
// and the migrations must leave every function exactly as its file defines it.
//
// The catalog is the judge, so formatting never matters: for each file, inside a transaction that is
// rolled back, the check reads every function's record (pg_get_functiondef, normalised ACL,
// SECURITY DEFINER, proconfig, comment), executes the file, and reads the records again. A file that
// changes any record disagrees with the migrations. Each file is executed twice more, on its
// functions with no grants at all and with EXECUTE granted to PUBLIC and the API roles, so a file
// whose privileges only come out right because the migration already granted them is caught too.
// Used by tests/sql-functions.test.ts, scripts/sql-functions/cli.ts (check, generate, migration) and
// through it scripts/check-drift.sh.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';

/** sql/functions/ of this checkout. */
export const functionsDir: string = fileURLToPath(new URL('../../sql/functions/', import.meta.url));

/** The package's own schemas. `auth` is Supabase's (or 0000's stand-in), never ours to define. */
export const functionSchemas: readonly string[] = ['public', 'archive', 'social_private'];

/** Roles that may receive EXECUTE by default privileges (Supabase grants new functions to all three). */
export const apiRoles: readonly string[] = ['anon', 'authenticated', 'service_role'];

/** A file name is `<function name>.sql`, or `<function name>__<suffix>.sql` for one overload. */
const FILE_NAME = /^([a-z_][a-z0-9_]*?)(?:__([a-z0-9_]+))?\.sql$/;

export interface FunctionRecord {
  /** `schema.name(argtypes)`, as regprocedure prints it with search_path = pg_catalog. */
  signature: string;
  schema: string;
  name: string;
  /** f function, p procedure, w window, a aggregate (not supported: no pg_get_functiondef). */
  kind: string;
  definition: string | null;
  /** aclexplode of the effective ACL, sorted, the owner written `<owner>`: `grantee:PRIVILEGE[*] by grantor`. */
  acl: string[];
  securityDefiner: boolean;
  config: string[];
  comment: string | null;
  owner: string;
}

export type ProblemKind =
  | 'file-changes-function' // executing the file changes a function's record: file and migrations disagree
  | 'file-defines-unknown-function' // the file creates a function the migrations do not
  | 'file-drops-function'
  | 'file-touches-other-function' // the file creates or alters a function of another name
  | 'file-defines-nothing'
  | 'file-fails'
  | 'file-name'
  | 'privileges-not-explicit' // the ACL the file leaves depends on the ACL before it
  | 'function-without-file'
  | 'unsupported-function';

export interface Problem {
  kind: ProblemKind;
  file?: string;
  signature?: string;
  message: string;
}

export interface CheckReport {
  problems: Problem[];
  /** Files whose content the migrations do not carry (changed, new, or failing): what a new migration must carry. */
  changedFiles: string[];
  /** Catalog functions that have no file (dropped files: a new migration drops them). */
  functionsWithoutFile: string[];
  /** Every catalog function of the schemas, by signature. */
  catalog: Map<string, FunctionRecord>;
  /** Signature -> the files that define it. */
  coverage: Map<string, string[]>;
}

export interface CheckOptions {
  /** File name -> content. Default: every .sql file of sql/functions/. */
  files?: Map<string, string>;
  schemas?: readonly string[];
  /** Executes the files as this role (SET LOCAL ROLE), e.g. the role that migrated the database. */
  role?: string;
  /** Also run the files on functions with no grants and on functions granted to everyone (default true). */
  strictPrivileges?: boolean;
}

/** Every `.sql` file of a folder, by file name. */
export function readFunctionFiles(dir: string = functionsDir): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.sql')) files.set(name, readFileSync(join(dir, name), 'utf8'));
  }
  return files;
}

/** The function name a file is for (`x.sql` and `x__2.sql` are both for `x`), or null for a bad name. */
export function functionNameOfFile(file: string): string | null {
  const m = FILE_NAME.exec(file);
  return m ? m[1]! : null;
}

const CATALOG_QUERY = `
SELECT p.oid::regprocedure::text AS signature,
       n.nspname AS schema,
       p.proname AS name,
       p.prokind::text AS kind,
       CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END AS definition,
       ARRAY(
         SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                     WHEN a.grantee = p.proowner THEN '<owner>'
                     ELSE pg_get_userbyid(a.grantee) END
                || ':' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END
                || ' by ' || CASE WHEN a.grantor = p.proowner THEN '<owner>' ELSE pg_get_userbyid(a.grantor) END
         FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
         ORDER BY 1
       ) AS acl,
       p.prosecdef AS security_definer,
       coalesce(p.proconfig, '{}') AS config,
       obj_description(p.oid, 'pg_proc') AS comment,
       pg_get_userbyid(p.proowner) AS owner,
       p.xmin::text = (pg_current_xact_id()::text::bigint % 4294967296)::text AS touched
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY($1::text[])
  -- Functions of extensions installed in these schemas are the extension's.
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY 1`;

interface Row {
  signature: string;
  schema: string;
  name: string;
  kind: string;
  definition: string | null;
  acl: string[];
  security_definer: boolean;
  config: string[];
  comment: string | null;
  owner: string;
  touched: boolean;
}

type Conn = postgres.Sql | postgres.ReservedSql | postgres.TransactionSql;

/**
 * The functions of `schemas`, read with search_path = pg_catalog so every name pg_get_functiondef
 * and regprocedure print is schema-qualified the same way whatever the session's path.
 * `touched`: the functions this transaction created or altered so far.
 */
async function readRecords(
  sql: Conn,
  schemas: readonly string[],
): Promise<{ records: Map<string, FunctionRecord>; touched: Set<string> }> {
  await sql.unsafe(`SET LOCAL search_path = pg_catalog, pg_temp`);
  const rows = (await sql.unsafe(CATALOG_QUERY, [schemas as string[]])) as unknown as Row[];
  const records = new Map<string, FunctionRecord>();
  const touched = new Set<string>();
  for (const r of rows) {
    records.set(r.signature, {
      signature: r.signature,
      schema: r.schema,
      name: r.name,
      kind: r.kind,
      definition: r.definition,
      acl: r.acl,
      securityDefiner: r.security_definer,
      config: r.config,
      comment: r.comment,
      owner: r.owner,
    });
    if (r.touched) touched.add(r.signature);
  }
  return { records, touched };
}

/** The current functions of the schemas (one read, in its own transaction). */
export async function readCatalog(
  sql: postgres.Sql,
  schemas: readonly string[] = functionSchemas,
): Promise<Map<string, FunctionRecord>> {
  const conn = await sql.reserve();
  try {
    await conn.unsafe('BEGIN');
    return (await readRecords(conn, schemas)).records;
  } finally {
    await conn.unsafe('ROLLBACK').catch(() => {});
    conn.release();
  }
}

/** What differs between two records of one function, as readable lines (empty when none). */
export function describeDifference(before: FunctionRecord, after: FunctionRecord): string[] {
  const out: string[] = [];
  if (before.definition !== after.definition) {
    out.push(`definition differs:\n${lineDiff(before.definition ?? '', after.definition ?? '')}`);
  }
  if (before.acl.join(', ') !== after.acl.join(', ')) {
    out.push(`privileges differ: migrations [${before.acl.join(', ')}], file [${after.acl.join(', ')}]`);
  }
  if (before.securityDefiner !== after.securityDefiner) {
    out.push(`SECURITY DEFINER differs: migrations ${before.securityDefiner}, file ${after.securityDefiner}`);
  }
  if (before.config.join(', ') !== after.config.join(', ')) {
    out.push(`SET (proconfig) differs: migrations [${before.config.join(', ')}], file [${after.config.join(', ')}]`);
  }
  if (before.comment !== after.comment) {
    out.push(`comment differs: migrations ${JSON.stringify(before.comment)}, file ${JSON.stringify(after.comment)}`);
  }
  return out;
}

/** The first differing lines of two texts, `-` the migrations', `+` the file's (enough to find the spot). */
function lineDiff(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length - 1;
  let endY = y.length - 1;
  while (endX >= start && endY >= start && x[endX] === y[endY]) {
    endX--;
    endY--;
  }
  const show = (lines: string[], from: number, to: number, mark: string) =>
    lines
      .slice(from, Math.min(to + 1, from + 8))
      .map((l) => `    ${mark} ${l}`)
      .concat(to - from + 1 > 8 ? [`    ${mark} ... (${to - from + 1 - 8} more lines)`] : []);
  return [`    @@ line ${start + 1}`, ...show(x, start, endX, '-'), ...show(y, start, endY, '+')].join('\n');
}

function quoteIdent(role: string): string {
  return role === 'PUBLIC' ? 'PUBLIC' : `"${role.replace(/"/g, '""')}"`;
}

/**
 * Executes one file in a transaction on `conn` (rolled back), after `prepare` (same transaction), and
 * returns the records before and after, and which functions the file created or altered.
 */
async function runFile(
  conn: postgres.ReservedSql,
  text: string,
  schemas: readonly string[],
  role: string | undefined,
  prepare?: (records: Map<string, FunctionRecord>) => string[],
): Promise<
  | { ok: true; before: Map<string, FunctionRecord>; after: Map<string, FunctionRecord>; touched: Set<string> }
  | { ok: false; error: string }
> {
  await conn.unsafe('BEGIN');
  try {
    if (role) await conn.unsafe(`SET LOCAL ROLE ${quoteIdent(role)}`);
    let { records: before } = await readRecords(conn, schemas);
    if (prepare) {
      for (const stmt of prepare(before)) await conn.unsafe(stmt);
      ({ records: before } = await readRecords(conn, schemas));
    }
    // From here on, a function row written in this transaction is one the file touched. The xid is
    // assigned now (the prepare step above also writes, so nothing it did is counted as the file's:
    // it only changes ACLs of functions the file is known to touch).
    await conn.unsafe(`RESET search_path`);
    try {
      // The simple protocol: a file is several statements.
      await conn.unsafe(text).simple();
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    if (role) await conn.unsafe(`SET LOCAL ROLE ${quoteIdent(role)}`);
    const { records: after, touched } = await readRecords(conn, schemas);
    return { ok: true, before, after, touched };
  } finally {
    await conn.unsafe('ROLLBACK').catch(() => {});
  }
}

/**
 * Checks every function file against the catalog of the (migrated) database `sql` connects to.
 * Nothing is left behind: each file runs in its own transaction, rolled back.
 */
export async function checkFunctionFiles(sql: postgres.Sql, options: CheckOptions = {}): Promise<CheckReport> {
  const files = options.files ?? readFunctionFiles();
  const schemas = options.schemas ?? functionSchemas;
  const strict = options.strictPrivileges ?? true;
  const problems: Problem[] = [];
  const changed = new Set<string>();
  const coverage = new Map<string, string[]>();
  const conn = await sql.reserve();
  try {
    await conn.unsafe('BEGIN');
    const { records: catalog } = await readRecords(conn, schemas);
    const [{ roles }] = (await conn.unsafe(`SELECT array_agg(rolname::text) AS roles FROM pg_roles WHERE rolname = ANY($1)`, [
      apiRoles as string[],
    ])) as unknown as [{ roles: string[] | null }];
    await conn.unsafe('ROLLBACK');
    const existingApiRoles = roles ?? [];

    for (const fn of catalog.values()) {
      if (fn.kind === 'a') {
        problems.push({
          kind: 'unsupported-function',
          signature: fn.signature,
          message: `${fn.signature} is an aggregate: the function-file check does not support aggregates`,
        });
      }
    }

    for (const [file, text] of files) {
      const name = functionNameOfFile(file);
      if (!name) {
        problems.push({ kind: 'file-name', file, message: `${file}: not <function_name>.sql or <function_name>__<suffix>.sql` });
        continue;
      }
      const run = await runFile(conn, text, schemas, options.role);
      if (!run.ok) {
        problems.push({ kind: 'file-fails', file, message: `${file} fails on the migrated database: ${run.error}` });
        changed.add(file);
        continue;
      }
      const own: string[] = [];
      for (const sig of run.touched) {
        const fn = run.after.get(sig)!;
        if (fn.name !== name) {
          problems.push({
            kind: 'file-touches-other-function',
            file,
            signature: sig,
            message: `${file} creates or alters ${sig}: a file holds only functions named ${name}`,
          });
          continue;
        }
        own.push(sig);
        coverage.set(sig, [...(coverage.get(sig) ?? []), file]);
      }
      if (own.length === 0) {
        problems.push({ kind: 'file-defines-nothing', file, message: `${file} defines no function named ${name}` });
      }
      for (const [sig, after] of run.after) {
        const before = run.before.get(sig);
        if (!before) {
          problems.push({
            kind: 'file-defines-unknown-function',
            file,
            signature: sig,
            message: `${file} defines ${sig}, which the migrations do not create (a new function needs a migration: npm run sql:migration -- <name>)`,
          });
          changed.add(file);
          continue;
        }
        const diff = describeDifference(before, after);
        if (diff.length > 0) {
          problems.push({
            kind: 'file-changes-function',
            file,
            signature: sig,
            message: `${file} and the migrations disagree on ${sig}:\n  ${diff.join('\n  ')}`,
          });
          changed.add(file);
        }
      }
      for (const sig of run.before.keys()) {
        if (!run.after.has(sig)) {
          problems.push({ kind: 'file-drops-function', file, signature: sig, message: `${file} drops ${sig}` });
          changed.add(file);
        }
      }
      if (!strict || changed.has(file) || own.length === 0) continue;

      // The same file on its functions with no grants, then with EXECUTE for everyone: a file that
      // states its privileges leaves the same ACL both times (what a new function would get by default
      // is somewhere in between: PUBLIC, plus the API roles on Supabase).
      const ownExisting = own.filter((sig) => catalog.has(sig));
      const variants: { label: string; prepare: (records: Map<string, FunctionRecord>) => string[] }[] = [
        {
          label: 'no grants at all',
          prepare: (records) =>
            ownExisting.map((sig) => {
              const grantees = new Set(['PUBLIC', ...existingApiRoles]);
              for (const entry of records.get(sig)!.acl) {
                const grantee = entry.slice(0, entry.indexOf(':'));
                if (grantee !== '<owner>') grantees.add(grantee);
              }
              return `REVOKE ALL ON FUNCTION ${sig} FROM ${[...grantees].map(quoteIdent).join(', ')} CASCADE`;
            }),
        },
        {
          label: 'EXECUTE granted to PUBLIC and the API roles',
          prepare: () =>
            ownExisting.map(
              (sig) => `GRANT ALL ON FUNCTION ${sig} TO ${['PUBLIC', ...existingApiRoles].map(quoteIdent).join(', ')}`,
            ),
        },
      ];
      for (const variant of variants) {
        const r = await runFile(conn, text, schemas, options.role, variant.prepare);
        if (!r.ok) {
          problems.push({ kind: 'file-fails', file, message: `${file} fails on its functions with ${variant.label}: ${r.error}` });
          changed.add(file);
          break;
        }
        const bad = ownExisting.filter((sig) => r.after.get(sig)!.acl.join(', ') !== catalog.get(sig)!.acl.join(', '));
        for (const sig of bad) {
          problems.push({
            kind: 'privileges-not-explicit',
            file,
            signature: sig,
            message:
              `${file} leaves ${sig} with privileges [${r.after.get(sig)!.acl.join(', ')}] when run on it with ` +
              `${variant.label}; the migrations leave [${catalog.get(sig)!.acl.join(', ')}]. State them: ` +
              `REVOKE ALL ON FUNCTION ... FROM PUBLIC, ${apiRoles.join(', ')}; then GRANT what it needs.`,
          });
          changed.add(file);
        }
        if (bad.length > 0) break;
      }
    }
  } finally {
    await conn.unsafe('ROLLBACK').catch(() => {});
    conn.release();
  }

  const catalogNow = await readCatalog(sql, schemas);
  const functionsWithoutFile: string[] = [];
  for (const sig of catalogNow.keys()) {
    if (!coverage.has(sig)) {
      functionsWithoutFile.push(sig);
      const fn = catalogNow.get(sig)!;
      problems.push({
        kind: 'function-without-file',
        signature: sig,
        message: `${sig} has no file: write sql/functions/${fn.name}.sql (npm run sql:functions -- generate writes it from the catalog)`,
      });
    }
  }
  for (const [sig, owners] of coverage) {
    if (owners.length > 1) {
      problems.push({
        kind: 'file-touches-other-function',
        signature: sig,
        message: `${sig} is defined by several files: ${owners.join(', ')}`,
      });
    }
  }
  return { problems, changedFiles: [...changed].sort(), functionsWithoutFile, catalog: catalogNow, coverage };
}

/** The report as text, one problem per paragraph. */
export function formatProblems(report: CheckReport): string {
  return report.problems.map((p) => `- ${p.message}`).join('\n');
}

/**
 * Splits SQL text into statements at top-level semicolons (outside quotes, dollar quotes and
 * comments); each statement keeps the comments before it. drizzle's migrator runs one statement per
 * `--> statement-breakpoint` chunk, so a migration carrying a file needs its statements apart.
 * SQL-standard bodies (BEGIN ATOMIC ... END) are refused: their inner semicolons are top-level.
 */
export function splitStatements(text: string): string[] {
  const src = text.replace(/^--> statement-breakpoint[ \t]*$/gm, '');
  if (/\bBEGIN\s+ATOMIC\b/i.test(stripLiterals(src))) {
    throw new Error('splitStatements: BEGIN ATOMIC bodies are not supported; use LANGUAGE sql AS $$ ... $$');
  }
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const stmt = src.slice(start, end).trim();
    // A chunk of comments only (after the last statement) is not a statement.
    if (stmt && stripLiterals(stmt).replace(/--[^\n]*/g, '').trim()) out.push(stmt);
  };
  while (i < src.length) {
    const skip = skipLiteral(src, i);
    if (skip > i) {
      i = skip;
      continue;
    }
    if (src[i] === ';') {
      push(i + 1);
      start = i + 1;
    }
    i++;
  }
  push(src.length);
  return out;
}

/** If a literal, quoted identifier or comment starts at i, the index after it; else i. */
function skipLiteral(s: string, i: number): number {
  const c = s[i];
  if (c === '-' && s[i + 1] === '-') {
    const nl = s.indexOf('\n', i);
    return nl < 0 ? s.length : nl;
  }
  if (c === '/' && s[i + 1] === '*') {
    let depth = 1;
    let j = i + 2;
    while (j < s.length && depth > 0) {
      if (s[j] === '/' && s[j + 1] === '*') {
        depth++;
        j += 2;
      } else if (s[j] === '*' && s[j + 1] === '/') {
        depth--;
        j += 2;
      } else {
        j++;
      }
    }
    return j;
  }
  if (c === "'" || c === '"') {
    const escapes = c === "'" && /[eE]/.test(s[i - 1] ?? '') && !/[A-Za-z0-9_]/.test(s[i - 2] ?? '');
    let j = i + 1;
    while (j < s.length) {
      if (escapes && s[j] === '\\') j += 2;
      else if (s[j] === c && s[j + 1] === c) j += 2;
      else if (s[j] === c) return j + 1;
      else j++;
    }
    return s.length;
  }
  if (c === '$' && !/[A-Za-z0-9_]/.test(s[i - 1] ?? '')) {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(s.slice(i));
    if (m) {
      const end = s.indexOf(m[0], i + m[0].length);
      return end < 0 ? s.length : end + m[0].length;
    }
  }
  return i;
}

/** The text with literals, quoted identifiers and comments blanked out (for keyword tests). */
function stripLiterals(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const j = skipLiteral(s, i);
    if (j > i) {
      out += ' ';
      i = j;
    } else {
      out += s[i];
      i++;
    }
  }
  return out;
}
