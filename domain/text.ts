/**
 * Text Postgres can store: `text` and `jsonb` refuse U+0000, and JSON text with an unpaired UTF-16
 * surrogate cannot be stored as `jsonb` either. Pure; used at the API's door and again inside the
 * deal workflow.
 */

/** Why `s` cannot be stored, or null when it can. */
export function storableTextProblem(s: string): string | null {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return 'must not contain NUL (U+0000)';
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return 'must not contain an unpaired surrogate';
    }
    if (c >= 0xdc00 && c <= 0xdfff) return 'must not contain an unpaired surrogate';
  }
  return null;
}
