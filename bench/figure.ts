/** One line of the benchmark's report: bench/run.ts records them, its sections (rls.ts, publishing.ts) make them. */
export interface BenchFigure {
  id: string;
  name: string;
  value: number | null;
  unit: string;
  target: string;
  pass: boolean | null;
  detail: string;
}
