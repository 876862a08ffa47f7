#!/usr/bin/env bash
# Usage: scripts/new-migration.sh <name> [--custom]
# Generates a migration from the schema (or an empty custom SQL one) under a lock, so several
# people generating at once never produce two files with the same number.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/new-migration.sh <name> [--custom]}
shift
exec flock /tmp/socialdb-drizzle-generate.lock npx drizzle-kit generate --name "$name" "$@"
