#!/usr/bin/env bash
# Packs the package as npm would publish it, installs the tarball into an empty TypeScript project,
# and checks that every subpath of the exports map imports at run time and type-checks there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(npm pack --silent --pack-destination "$work" | tail -1)
tsver=$(node -p "require('./node_modules/typescript/package.json').version")
cd "$work"
cat > package.json <<'JSON'
{ "name": "consumer", "private": true, "type": "module" }
JSON
npm install --silent --no-audit --no-fund "./$tarball" "typescript@$tsver" "@types/node@20" >/dev/null
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true, "noEmit": true, "skipLibCheck": true, "types": ["node"] }, "include": ["consumer.ts"] }
JSON
cat > consumer.ts <<'TS'
import { createDb, createEmbeddedDb, close, queryRows, type Db } from '@jmefit/social-db';
import { socialPosts, engagementEvents, type SocialPost } from '@jmefit/social-db/schema';
import * as queries from '@jmefit/social-db/queries';
import { insertPostSchema } from '@jmefit/social-db/validation';
import { migrate, migrationsFolder } from '@jmefit/social-db/migrate';
import { existsSync } from 'node:fs';

const post: Partial<SocialPost> = { caption: 'leg day' };
const fns: unknown[] = [createDb, createEmbeddedDb, close, queryRows, migrate, socialPosts, engagementEvents, insertPostSchema, post];
const useDb = (db: Db) => db;
void useDb;
if (fns.some((f) => f === undefined)) throw new Error('an export is undefined');
if (!existsSync(`${migrationsFolder}/meta/_journal.json`)) throw new Error(`migrations not shipped at ${migrationsFolder}`);
console.log(`consumer ok: ${Object.keys(queries).length} query exports, migrations at ${migrationsFolder}`);
TS
npx tsc -p tsconfig.json
npx tsc -p tsconfig.json --noEmit false --outDir out >/dev/null
node out/consumer.js
echo "pack check: $(basename "$tarball") installs, imports and type-checks in a clean project"
