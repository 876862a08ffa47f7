// What Supabase's Data API sessions refuse: pg-safeupdate rejects every DELETE or UPDATE without a
// WHERE clause (SQLSTATE 21000), also inside functions and CTEs. The extension is not packaged for
// this machine, so the package checks function bodies itself: this scanner finds such statements in
// SQL text (comments and literals blanked out first) so a test and `auditSecurity` can fail on them.

/** One DELETE or UPDATE that pg-safeupdate would refuse. */
export interface UnqualifiedDml {
  command: 'DELETE' | 'UPDATE';
  /** The statement's first line, for the message. */
  excerpt: string;
}

/**
 * Blanks comments, string literals (E'...' escapes included) and dollar-quote delimiters, and masks the
 * letters of quoted identifiers (keeping length), leaving SQL keywords.
 */
export function blankLiterals(source: string): string {
  const out = source.split('');
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '-' && next === '-') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "'") {
      // E'...' (escape string syntax): a backslash escapes the next character, \' included.
      const escapes = /[Ee]/.test(source[i - 1] ?? '') && !/[A-Za-z0-9_$]/.test(source[i - 2] ?? '');
      let j = i + 1;
      while (j < source.length) {
        if (escapes && source[j] === '\\') j += 2;
        else if (source[j] === "'" && source[j + 1] === "'") j += 2;
        else if (source[j] === "'") break;
        else j++;
      }
      blank(i, j + 1);
      i = j + 1;
    } else if (c === '"') {
      // A quoted identifier ("delete", "my table"): kept as a name, its letters never read as keywords.
      let j = i + 1;
      while (j < source.length) {
        if (source[j] === '"' && source[j + 1] === '"') j += 2;
        else if (source[j] === '"') break;
        else j++;
      }
      for (let k = i + 1; k < Math.min(j, source.length); k++) if (out[k] !== '\n') out[k] = 'x';
      i = j + 1;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(source.slice(i));
      if (tag && !/[A-Za-z0-9_]/.test(source[i - 1] ?? '')) {
        // A dollar-quoted literal whose content is SQL (a function body, EXECUTE $q$...$q$) is scanned too:
        // only the delimiters are blanked.
        blank(i, i + tag[0].length);
        i += tag[0].length;
      } else i++;
    } else i++;
  }
  return out.join('');
}

const KEYWORD = /\b(DELETE|UPDATE)\b/gi;

/**
 * Every DELETE/UPDATE statement in `source` without a WHERE at its own nesting level. `ON DELETE`,
 * `ON UPDATE`, `FOR UPDATE`, `DO UPDATE` (ON CONFLICT) and trigger event lists are not statements.
 */
export function findUnqualifiedDml(source: string): UnqualifiedDml[] {
  const text = blankLiterals(source);
  const found: UnqualifiedDml[] = [];
  for (const m of text.matchAll(KEYWORD)) {
    const at = m.index!;
    const before = text.slice(Math.max(0, at - 40), at).replace(/\s+/g, ' ').trimEnd().toUpperCase();
    if (/\b(ON|FOR|DO|OR|BEFORE|AFTER|INSTEAD OF|NO KEY|KEY)$/.test(before) || /,$/.test(before)) continue;
    const after = text.slice(at + m[0].length);
    if (/^\s*(ON|OR|OF)\b/i.test(after)) continue; // event lists: UPDATE ON t, UPDATE OR DELETE, UPDATE OF col
    if (m[0].toUpperCase() === 'DELETE' && !/^\s+FROM\b/i.test(after)) continue;
    if (m[0].toUpperCase() === 'UPDATE' && !/^\s+(ONLY\s+)?[A-Za-z_"][\w."]*(\s+(AS\s+)?[A-Za-z_]\w*)?\s+SET\b/i.test(after)) continue;
    // The statement runs to a ';' or to the ')' closing the CTE it stands in, at depth 0.
    let depth = 0;
    let hasWhere = false;
    for (let k = 0; k < after.length; k++) {
      const ch = after[k];
      if (ch === '(') depth++;
      else if (ch === ')') {
        if (depth === 0) break;
        depth--;
      } else if (ch === ';' && depth === 0) {
        break;
      } else if (depth === 0 && /[Ww]/.test(ch!) && /^WHERE\b/i.test(after.slice(k, k + 6)) && !/\w/.test(after[k - 1] ?? ' ')) {
        hasWhere = true;
        break;
      }
    }
    if (!hasWhere) {
      const line = source.slice(at).split('\n', 1)[0]!.trim();
      found.push({ command: m[0].toUpperCase() as 'DELETE' | 'UPDATE', excerpt: line.slice(0, 120) });
    }
  }
  return found;
}
