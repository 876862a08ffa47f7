/**
 * A small seeded PRNG (mulberry32) for fixtures that must be the same on every run and every database:
 * the same seed gives the same stream. For randomized properties use fast-check instead
 * (tests/support/property.ts), which shrinks a failure and prints the seed that replays it.
 */
export function mulberry32(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    /** In [0, 1). */
    next,
    /** An integer in [lo, hi], both included. */
    int: (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number): boolean => next() < p,
    /** A version-4-shaped UUID from the stream: the same seed builds the same ids on every database. */
    uuid: (): string => {
      const h = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
    },
  };
}

export type Rng = ReturnType<typeof mulberry32>;
