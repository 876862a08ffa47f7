/**
 * A minimal progress indicator. On a terminal it redraws one line (`\r`); anywhere else (CI logs,
 * pipes, tests) it prints a plain line at most every `everyMs` and at the end, so logs stay short.
 */
export interface Progress {
  tick(n?: number): void;
  done(note?: string): void;
}

export interface ProgressOptions {
  out?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  everyMs?: number;
  width?: number;
}

export function progress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const out = options.out ?? process.stdout;
  const tty = Boolean((out as { isTTY?: boolean }).isTTY);
  const everyMs = options.everyMs ?? (tty ? 100 : 5_000);
  const width = options.width ?? 28;
  const started = Date.now();
  let count = 0;
  let lastDraw = 0;
  let finished = false;

  const line = (): string => {
    const fraction = total > 0 ? Math.min(1, count / total) : 1;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? count / seconds : 0;
    const rateText = rate > 0 ? ` ${formatCount(Math.round(rate))}/s` : '';
    if (!tty) return `${label}: ${formatCount(count)}/${formatCount(total)} (${Math.floor(fraction * 100)}%)${rateText}`;
    const filled = Math.round(fraction * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    return `${label.padEnd(24)} ${bar} ${String(Math.floor(fraction * 100)).padStart(3)}% ${formatCount(count)}/${formatCount(total)}${rateText}`;
  };

  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastDraw < everyMs) return;
    lastDraw = now;
    out.write(tty ? `\r${line()}\x1b[K` : `${line()}\n`);
  };
  if (tty) draw(true);
  else lastDraw = Date.now();

  return {
    tick(n = 1) {
      count += n;
      if (!finished) draw(false);
    },
    done(note?: string) {
      if (finished) return;
      finished = true;
      count = Math.max(count, total);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (tty) out.write(`\r${line()} ${seconds}s${note ? `  ${note}` : ''}\x1b[K\n`);
      else out.write(`${label}: done, ${formatCount(count)} in ${seconds}s${note ? `, ${note}` : ''}\n`);
    },
  };
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
