import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type postgres from 'postgres';

// The views and materialized views of schema public, one file each in sql/views/, holding the current
// definition (as the migrations leave it): the statement, its indexes and its privileges. The check
// builds each file's relation in a scratch schema and compares it with the catalog's by the catalog's
// own normalisation (pg_get_viewdef, pg_get_indexdef, the ACL), inside a transaction it rolls back.

export const viewsFolder = new URL('../../sql/views/', import.meta.url);

export interface ViewProblem {
  kind: 'view-without-file' | 'file-without-view' | 'file-differs' | 'file-fails';
  name: string;
  message: string;
}

interface Shape {
  kind: string;
  definition: string;
  indexes: string[];
  privileges: string[];
}

export function readViewFiles(): Map<string, string> {
  const dir = viewsFolder.pathname;
  return new Map(readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

const SCRATCH = 'socialdb_view_check';

async function shapeOf(tx: postgres.TransactionSql, schema: string, name: string): Promise<Shape | undefined> {
  const rows = await tx<{ kind: string; definition: string; indexes: string[]; privileges: string[] }[]>`
    select c.relkind::text as kind, pg_get_viewdef(c.oid, true) as definition,
           coalesce((select array_agg(x order by x) from (
                       select replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(n.nspname) || '.', ' ON <schema>.') as x
                       from pg_index i where i.indrelid = c.oid) s), '{}') as indexes,
           coalesce((select array_agg(x order by x) from (
                       select case when a.grantee = c.relowner then '<owner>' when a.grantee = 0 then 'PUBLIC' else a.grantee::regrole::text end
                              || ':' || a.privilege_type as x
                       from aclexplode(c.relacl) a) s), '{}') as privileges
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relname = ${name} and c.relkind in ('v', 'm')`;
  return rows[0];
}

class Rollback extends Error {}

/** Every disagreement between sql/views/ (or `files`) and the views of schema public. Runs as `role`. */
export async function checkViewFiles(sql: postgres.Sql, options: { role: string; files?: Map<string, string> }): Promise<ViewProblem[]> {
  const files = options.files ?? readViewFiles();
  const problems: ViewProblem[] = [];
  await sql
    .begin(async (tx) => {
      await tx.unsafe(`SET LOCAL ROLE "${options.role.replace(/"/g, '""')}"`);
      const live = await tx<{ name: string }[]>`
        select c.relname as name from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('v', 'm') order by 1`;
      const fileNames = new Set([...files.keys()].map((f) => f.replace(/\.sql$/, '')));
      for (const { name } of live) {
        if (!fileNames.has(name)) problems.push({ kind: 'view-without-file', name, message: `public.${name} has no file sql/views/${name}.sql` });
      }
      await tx.unsafe(`CREATE SCHEMA ${SCRATCH}`);
      for (const [file, text] of files) {
        const name = file.replace(/\.sql$/, '');
        const want = await shapeOf(tx, 'public', name);
        if (!want) {
          problems.push({ kind: 'file-without-view', name, message: `sql/views/${file} defines a view the migrations do not create` });
          continue;
        }
        const moved = text.replaceAll(`public.${name}`, `${SCRATCH}.${name}`);
        try {
          await tx.unsafe(`SAVEPOINT view_file`);
          await tx.unsafe(moved);
        } catch (err) {
          await tx.unsafe(`ROLLBACK TO SAVEPOINT view_file`);
          problems.push({ kind: 'file-fails', name, message: `sql/views/${file} fails: ${(err as Error).message}` });
          continue;
        }
        const got = await shapeOf(tx, SCRATCH, name);
        const differs = (['kind', 'definition', 'indexes', 'privileges'] as const).filter(
          (k) => JSON.stringify(got?.[k]) !== JSON.stringify(want[k]),
        );
        if (differs.length > 0) {
          problems.push({
            kind: 'file-differs',
            name,
            message: `sql/views/${file} and the migrations disagree on ${differs.join(', ')}: ` +
              differs.map((k) => `\n  file:       ${JSON.stringify(got?.[k])}\n  migrations: ${JSON.stringify(want[k])}`).join(''),
          });
        }
      }
      throw new Rollback();
    })
    .catch((err) => {
      if (!(err instanceof Rollback)) throw err;
    });
  return problems;
}
