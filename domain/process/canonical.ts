/**
 * Canonical JSON: the same value gives the same text whatever its key order. Pure: used by the
 * definition diff and, through `definitions/checksum.ts`, by checksums.
 */

/**
 * JSON with object keys sorted (recursively) and no whitespace, so equal values give equal text
 * whatever their key order. Follows JSON.stringify otherwise: `undefined` (and functions) are
 * left out of objects and become `null` in arrays, non-finite numbers become `null`, `toJSON` is
 * honoured. Throws on cycles.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set()) ?? 'null';
}

function write(input: unknown, stack: Set<object>): string | undefined {
  let value = input;
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt is not JSON');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  const object = value as object;
  if (stack.has(object)) throw new TypeError('canonicalJson: cyclic value');
  stack.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${object.map((item) => write(item, stack) ?? 'null').join(',')}]`;
    }
    const record = object as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const text = write(record[key], stack);
      if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    stack.delete(object);
  }
}
