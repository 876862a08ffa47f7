/**
 * Seeded pseudo-random numbers (mulberry32), so the demo and the benchmark generate the same data on
 * every run and every machine. Not for anything secret.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight: `weighted([['view', 70], ['like', 20]])`. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T;
  chance(p: number): boolean;
  /** Pareto-distributed (heavy tail) value >= `min`: most draws small, a few very large. */
  pareto(min: number, alpha: number): number;
  /** A deterministic UUID (version-4 layout) from this stream. */
  uuid(): string;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted(entries) {
      let total = 0;
      for (const [, w] of entries) total += w;
      let r = next() * total;
      for (const [value, w] of entries) {
        r -= w;
        if (r < 0) return value;
      }
      return entries[entries.length - 1]![0];
    },
    chance: (p) => next() < p,
    pareto: (min, alpha) => min / Math.pow(1 - next(), 1 / alpha),
    uuid() {
      const hex: string[] = [];
      for (let i = 0; i < 4; i++) hex.push(Math.floor(next() * 2 ** 32).toString(16).padStart(8, '0'));
      const h = hex.join('');
      const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
}
