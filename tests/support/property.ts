import fc from 'fast-check';

/**
 * fast-check, configured once for the suite: import `fc` from here (not from 'fast-check').
 *
 * - One fixed seed, so CI and every developer run the same cases: `FC_SEED` (a number) replays
 *   another run, `FC_SEED=random` explores with a new seed each run (printed on failure).
 * - A failure is shrunk to a minimal counterexample, and fast-check's message names it together with
 *   `{ seed, path }`: `FC_SEED=<seed>` and `fc.assert(..., { path })` replay exactly that case.
 * - `FC_RUNS` multiplies every property's own `numRuns` (e.g. `FC_RUNS=10` for a long local soak).
 */
const raw = process.env.FC_SEED;
export const FC_SEED = raw === 'random' ? Date.now() ^ (Math.random() * 0x100000000) : Number(raw ?? 424242);
if (!Number.isInteger(FC_SEED)) throw new Error(`FC_SEED must be an integer or "random", got ${raw}`);
const scale = Number(process.env.FC_RUNS ?? 1);

fc.configureGlobal({ seed: FC_SEED, numRuns: Math.max(1, Math.round(100 * scale)) });

/** `n` runs, times `FC_RUNS`: each property says what its runtime allows. */
export const runs = (n: number): number => Math.max(1, Math.round(n * scale));

export { fc };
