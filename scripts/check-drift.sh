#!/usr/bin/env bash
# Fails when the TypeScript schema and drizzle/ disagree, or the journal is out of order, or (when
# DATABASE_URL names a server) a file of sql/functions/ and the function the migrations leave disagree.
# Generates into a scratch copy, so the working tree is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
# drizzle-kit wants a path relative to the project (it prefixes './').
scratch=.drift-check
log=$(mktemp)
trap 'rm -rf "$scratch" "$log"' EXIT
rm -rf "$scratch" && mkdir "$scratch" && cp -r drizzle/. "$scratch/"
# drizzle-kit can exit 0 on failure: trust only its success line.
DRIZZLE_OUT="$scratch" npx drizzle-kit generate >"$log" 2>&1 || true
grep -qE "nothing to migrate|Your SQL migration file" "$log" || { echo "drift: drizzle-kit generate failed:" >&2; cat "$log" >&2; exit 1; }
if ! diff -rq drizzle "$scratch" >/dev/null; then
  echo "drift: the schema in src/schema changed without a migration. drizzle-kit generate would write:" >&2
  diff -rq drizzle "$scratch" >&2 || true
  echo "Run 'npx drizzle-kit generate' and commit the new migration." >&2
  exit 1
fi
npx drizzle-kit check >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
grep -q "Everything's fine" "$log" || { echo "drift: drizzle-kit check failed:" >&2; cat "$log" >&2; exit 1; }
# drizzle-kit's migrator silently skips a migration whose time is older than the last one applied.
node -e '
  const j = JSON.parse(require("fs").readFileSync("drizzle/meta/_journal.json", "utf8"));
  let last = 0;
  for (const e of j.entries) {
    if (e.when <= last) { console.error(`drift: journal entry ${e.tag} is not later than the one before it`); process.exit(1); }
    last = e.when;
  }
'
echo "drift check: schema and drizzle/ agree ($(grep -c '"tag"' drizzle/meta/_journal.json) migrations, journal in order)"
# SQL functions (docs/sql-functions.md): a scratch database on DATABASE_URL's server is migrated with
# src/migrate.ts, every file of sql/functions/ is checked against its catalog, the database is dropped.
# .ci/run exports DATABASE_URL; without one this step cannot run and says so.
if [[ -n "${DATABASE_URL:-}" ]]; then
  if ! npx tsx scripts/sql-functions/cli.ts check; then
    echo "drift: sql/functions/ and the migrations disagree (above). Change a function in its file, then" >&2
    echo "'npm run sql:migration -- <name>' writes the migration that carries it (docs/sql-functions.md)." >&2
    exit 1
  fi
else
  echo "drift check: sql/functions/ NOT checked: set DATABASE_URL to a PostgreSQL server that allows CREATE DATABASE" >&2
fi
