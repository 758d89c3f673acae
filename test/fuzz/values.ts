/**
 * Hostile values for the fuzz engine (fast-check arbitraries): every kind of Unicode including NUL
 * and unpaired surrogates, numbers at and beyond their limits, wrong JSON types, huge and deeply
 * nested values, path traversals and SQL-looking strings.
 */
import fc from 'fast-check';
import { MAX_AMOUNT } from '../../domain/money';

/** Raw JSON number texts JSON.stringify cannot write (Infinity, -0, huge exponents): spliced in by `toJsonText`. */
export const RAW_NUMBER_PREFIX = '\u0001raw-number:';
const RAW_NUMBERS = [
  '1e400',
  '-1e400',
  '-0',
  '1E+2',
  '0.0000000000000000000001',
  '123456789012345678901234567890',
];

/** A marker string that `toJsonText` turns into a bare JSON number text. */
export const rawNumber = fc.constantFrom(...RAW_NUMBERS).map((n) => `${RAW_NUMBER_PREFIX}${n}`);

/** A marker string that `toJsonText` turns into `depth` levels of arrays or objects (too deep for JSON.stringify). */
export const DEEP_PREFIX = '\u0001deep:';

export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text
    .replace(/"\\u0001raw-number:([^"]*)"/g, '$1')
    .replace(/"\\u0001deep:(array|object):(\d+)"/g, (_, kind: string, n: string) =>
      kind === 'array'
        ? `${'['.repeat(Number(n))}1${']'.repeat(Number(n))}`
        : `${'{"a":'.repeat(Number(n))}1${'}'.repeat(Number(n))}`,
    );
}

/** Strings that poke at injection, traversal, mentions and encodings. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\t\n',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '\udc00\ud800',
  '\ud83d',
  '😀',
  '\u202eevil',
  '\u200b',
  '\ufeff',
  '\uffff',
  'e\u0301\u0301\u0301',
  '铁三角 LTC',
  "' OR '1'='1",
  "'; DROP TABLE deals; --",
  '1; SELECT pg_sleep(10)',
  '%',
  '_',
  '\\',
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '<script>alert(1)</script>',
  '<at user_id="all">all</at>',
  '<@U123>',
  '<!channel>',
  '@all',
  `$\{jndi:ldap://x/a}`,
  '{{7*7}}',
  '__proto__',
  'constructor',
  'null',
  'true',
  'NaN',
  '-1',
  '1e309',
  'me',
  'group:sdt',
];

const longString = fc.constantFrom(200, 201, 2000, 4001, 10_000, 100_000).map((n) => 'x'.repeat(n));

/** Any text: fast-check's full code-point range (surrogates included), graphemes, and the list above. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
  {
    arbitrary: fc.string({
      unit: fc.constantFrom('\u0000', '\ud800', '\udfff', 'a', '\ud83d\ude00'),
      maxLength: 8,
    }),
    weight: 2,
  },
  { arbitrary: longString, weight: 1 },
);

/** Numbers at and beyond the limits the API knows (amounts, versions, Postgres integers, JS safe integers). */
export const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.5,
  0.001,
  1.005,
  4_999_999.99,
  5_000_000,
  MAX_AMOUNT,
  MAX_AMOUNT + 0.01,
  MAX_AMOUNT * 10,
  2_147_483_647,
  2_147_483_648,
  -2_147_483_649,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  1e21,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MAX_VALUE,
];

export const anyNumber: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_NUMBERS), weight: 5 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 2 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: rawNumber, weight: 2 },
);

const deep = fc
  .tuple(fc.constantFrom(20, 200, 2_000, 20_000), fc.constantFrom('array', 'object'))
  .map(([d, k]) => `${DEEP_PREFIX}${k}:${d}`);

const huge = fc.constantFrom(
  Array.from({ length: 10_000 }, (_, i) => i),
  Array.from({ length: 2_000 }, () => 'x'.repeat(100)),
  Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i])),
);

/** Object keys that are odd: prototype names, NUL, lone surrogates, empty, long. */
export const anyKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '',
    '\u0000',
    '\ud800',
    'x'.repeat(300),
    'extra',
    '$where',
    'id',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** A value of any JSON type (and hostile content), for replacing a field. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: anyText, weight: 6 },
  { arbitrary: anyNumber, weight: 4 },
  {
    arbitrary: fc.constantFrom(null, true, false, [], {}, [[]], [null], { $gt: '' }, ['a', 1, null]),
    weight: 3,
  },
  { arbitrary: fc.dictionary(anyKey, anyText, { maxKeys: 3 }), weight: 1 },
  { arbitrary: fc.array(anyText, { maxLength: 4 }), weight: 1 },
  { arbitrary: deep, weight: 1 },
  { arbitrary: huge, weight: 1 },
);

/** Ids for path parameters: traversals, SQL-looking, encodings that do not decode, very long. */
export const NASTY_PATH_IDS = [
  '..',
  '.',
  '%2e%2e',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2fapi',
  "'%20OR%20'1'%3D'1",
  '1%3B%20DROP%20TABLE%20deals',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%F0%9F%98%80',
  '%FF',
  '%E9',
  '%',
  '%zz',
  'me',
  'null',
  'undefined',
  '-1',
  '0',
  '2147483648',
  '1e3',
  'x'.repeat(101),
  'x'.repeat(5000),
  encodeURIComponent('铁三角'),
  encodeURIComponent('<script>'),
];
