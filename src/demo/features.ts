import * as queries from '../queries/index.js';
import type { Db } from '../db.js';

/**
 * The query functions the demo and the benchmark call are written by other parts of the package, some
 * of them later than this one. Looking them up by name lets the demo say "not available yet" for a
 * missing one instead of failing to compile or inventing numbers.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type QueryFn = (db: Db, params?: any) => Promise<any>;

export function feature(name: string): QueryFn | undefined {
  const fn = (queries as Record<string, unknown>)[name];
  return typeof fn === 'function' ? (fn as QueryFn) : undefined;
}
