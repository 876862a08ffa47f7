export * from './db.js';
export { migrate, migrationsFolder, migrationsTable } from './migrate.js';
export * as schema from './schema/index.js';
export * from './queries/index.js';
