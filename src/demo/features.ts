import type { Db } from '../db.js';

/**
 * The query functions the demo and the benchmark call are written by other parts of the package, some
 * of them later than this one. Looking them up by name lets the demo say "not available yet" for a
 * missing one instead of failing to compile or inventing numbers. The module is loaded on first use,
 * so `social-db migrate`, `doctor` and `--help` never depend on it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type QueryFn = (db: Db, params?: any) => Promise<any>;

let queries: Promise<Record<string, unknown>> | undefined;

export async function feature(name: string): Promise<QueryFn | undefined> {
  queries ??= import('../queries/index.js') as Promise<Record<string, unknown>>;
  const fn = (await queries)[name];
  return typeof fn === 'function' ? (fn as QueryFn) : undefined;
}
