// Arrays go to PostgreSQL as one text parameter in array-literal syntax, cast in SQL: a fixed number of
// parameters whatever the row count, and cheaper to build than the drivers' own array encoding.

const NEEDS_ESCAPE = /["\\]/g;

/** Quoted element of a PostgreSQL array literal, or NULL. */
export function quoted(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const t = v as string;
  return t.includes('"') || t.includes('\\') ? `"${t.replace(NEEDS_ESCAPE, '\\$&')}"` : `"${t}"`;
}

/** A PostgreSQL array literal of text elements (NULL for null); cast in SQL to the column's array type. */
export function textArrayLiteral(values: readonly (string | null | undefined)[]): string {
  return `{${values.map(quoted).join(',')}}`;
}

/** Same, for values that never need quoting (uuids, ISO times, integers). */
export function plainArrayLiteral(values: readonly (string | number | bigint | null | undefined)[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    parts[i] = v === null || v === undefined ? 'NULL' : String(v);
  }
  return `{${parts.join(',')}}`;
}
