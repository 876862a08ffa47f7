/** Where a command writes and what it reads from its environment; tests pass their own. */
export interface Io {
  out(s: string): void;
  err(s: string): void;
  env: NodeJS.ProcessEnv;
  /** Where the progress bars draw: a TTY gets a redrawn line, anything else periodic lines. */
  stream?: NodeJS.WriteStream;
}
