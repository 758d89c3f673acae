/**
 * Text that Postgres can store. PURE: no imports; workflow code imports this file, so the Update
 * validators repeat the API's checks.
 *
 * Postgres `text` cannot hold U+0000, and `jsonb` refuses both `\u0000` and an unpaired UTF-16
 * surrogate (`JSON.stringify` writes a lone surrogate as `\ud800`, which jsonb rejects; as `text`
 * it would silently become U+FFFD). Either one, written by a workflow's activity, is a
 * non-retryable database error, so it is refused at the door instead.
 */

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL (U+0000) or unpaired UTF-16 surrogates';

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Whether `s` can be stored in Postgres `text` and inside `jsonb`: no NUL, no unpaired surrogate. */
export function isStorableText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || isLow(c)) return false;
    if (isHigh(c)) {
      if (!isLow(s.charCodeAt(i + 1))) return false;
      i++; // the pair's low half
    }
  }
  return true;
}

/** A path into a JSON value: object keys and array indexes, e.g. `['stages', 3, 'name', 'en']`. */
export type JsonPath = (string | number)[];

export interface UnstorableText {
  /** Where the string is; for an object key, the path of the property the key names. */
  path: JsonPath;
  /** Whether the offending string is an object key rather than a value. */
  key: boolean;
}

/**
 * The first string (value or object key) inside `value` that cannot be stored, or `null`.
 * Walks iteratively, so an arbitrarily deep value cannot overflow the stack. Values that are not
 * plain JSON (functions, symbols) are skipped.
 */
export function findUnstorableText(value: unknown): UnstorableText | null {
  // Each entry links to its parent, so the path is built only for the string that is found.
  interface Entry {
    value: unknown;
    step?: string | number;
    parent?: Entry;
  }
  const pathOf = (entry: Entry | undefined, last?: string): JsonPath => {
    const path: JsonPath = last === undefined ? [] : [last];
    for (let e = entry; e && e.step !== undefined; e = e.parent) path.push(e.step);
    return path.reverse();
  };
  const stack: Entry[] = [{ value }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const v = entry.value;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return { path: pathOf(entry), key: false };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], step: i, parent: entry });
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      for (const key of keys) if (!isStorableText(key)) return { path: pathOf(entry, key), key: true };
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push({ value: (v as Record<string, unknown>)[keys[i]], step: keys[i], parent: entry });
      }
    }
  }
  return null;
}
