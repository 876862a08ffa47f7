import { execFile } from 'node:child_process';
import { main } from '../../src/cli.js';

/** What one run of `social-db` gave: its exit code and everything it printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI in this process, through `main` (what the bin calls), for speed: output and exit code are
 * those of the bin. The environment is only PATH plus `env` (no DATABASE_URL leaks in from the shell).
 */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (s) => (stdout += s),
    err: (s) => (stderr += s),
    env: { PATH: process.env.PATH, ...env },
  });
  return { code, stdout, stderr };
}

/**
 * The real entry point in a child process (`node --import tsx src/cli.ts`), as the `social-db` bin
 * runs. DATABASE_URL and SOCIAL_DB_PGLITE_DIR are cleared unless `env` sets them; an `undefined`
 * value removes a variable.
 */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: undefined, SOCIAL_DB_PGLITE_DIR: undefined, ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { env: childEnv, cwd: process.cwd(), timeout: 110_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
