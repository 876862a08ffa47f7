type Row = Record<string, unknown>;

/** Text for one value in a table cell. */
export function cell(v: unknown): string {
  if (v == null) return '–';
  if (v instanceof Date) return v.toISOString().replace('T', ' ').slice(0, 16);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return Math.abs(v) < 1 ? v.toFixed(4) : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  }
  if (typeof v === 'bigint') return v.toLocaleString('en-US');
  if (Array.isArray(v)) return v.map(cell).join(' ');
  if (typeof v === 'object') return JSON.stringify(v);
  const s = String(v);
  return s.length > 42 ? `${s.slice(0, 41)}…` : s;
}

/** A plain-text table; `columns` picks and orders the keys, else every scalar key of the first row. */
export function table(rows: Row[], columns?: string[]): string {
  if (rows.length === 0) return '  (no rows)';
  const cols = columns ?? Object.keys(rows[0]!).filter((k) => !/(^id$|_id$|Id$)/.test(k) || k === 'postId');
  const body = rows.map((r) => cols.map((c) => cell(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((b) => b[i]!.length)));
  const right = cols.map((c) => rows.every((r) => r[c] == null || typeof r[c] === 'number' || typeof r[c] === 'bigint'));
  const fmt = (vals: string[]) =>
    '  ' + vals.map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ');
  return [fmt(cols), '  ' + widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(fmt)].join('\n');
}
