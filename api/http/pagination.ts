/**
 * Cursor pagination: every list takes `?limit=&cursor=` and answers `{ items, nextCursor }`.
 * A cursor is base64url(JSON) of whatever keyset the feature orders by (e.g. `{ createdAt, id }`);
 * it is opaque to clients and validated when decoded with a strict schema built from
 * `cursorFields`, so a garbled or forged cursor is a 400 naming `query.cursor`, never a database
 * error.
 */
import { z } from 'zod';
import { badRequest } from './problem';
import { storableText } from './storable';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;

/** `limit` (coerced integer 1..200, default 50) and optional `cursor`. Extend it for filters. */
export const paginationQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .default(DEFAULT_PAGE_LIMIT)
    .describe(`Page size (1..${MAX_PAGE_LIMIT}, default ${DEFAULT_PAGE_LIMIT})`),
  cursor: storableText()
    .min(1)
    .max(2048)
    .optional()
    .describe('Opaque cursor from the previous page’s `nextCursor`'),
});

export type PaginationQuery = z.output<typeof paginationQuery>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Response schema `{ items: T[], nextCursor: string | null }` for OpenAPI and tests. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Cursor for the next page; null on the last page'),
  });
}

/** Whether `text` (ISO 8601, UTC) names a real instant from year 1 on: `2021-02-31` does not. */
function isRealInstant(text: string): boolean {
  const ms = Date.parse(`${text.slice(0, 23)}Z`);
  return (
    !Number.isNaN(ms) &&
    ms >= Date.UTC(1, 0, 1) &&
    new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19)
  );
}

/** Field schemas for cursor keysets; combine them with `z.strictObject`. */
export const cursorFields = {
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as `to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` writes it. */
  microTimestamp: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    .refine(isRealInstant),
  /** `Date.toISOString()` output. */
  isoTimestamp: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    .refine(isRealInstant),
  /** An id or key compared as text. */
  text: storableText().max(200),
  /** A Postgres `integer` (0 to 2^31 - 1). */
  int: z.number().int().min(0).max(2_147_483_647),
} as const;

export function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function invalidCursor(): never {
  throw badRequest('The cursor is invalid', [{ path: 'query.cursor', message: 'Invalid cursor' }]);
}

/** Decodes and validates a cursor; a malformed one is a 400 with `errors[0].path === 'query.cursor'`. */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.output<S>;
export function decodeCursor<S extends z.ZodType>(
  cursor: string | undefined,
  schema: S,
): z.output<S> | undefined;
export function decodeCursor<S extends z.ZodType>(
  cursor: string | undefined,
  schema: S,
): z.output<S> | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) invalidCursor();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    invalidCursor();
  }
  const result = schema.safeParse(json);
  if (!result.success) invalidCursor();
  return result.data;
}

/**
 * Builds a page from `limit + 1` fetched rows: when there is an extra row, it is dropped and
 * `nextCursor` encodes `cursorOf(lastReturnedItem)`.
 */
export function page<T>(items: readonly T[], limit: number, cursorOf: (last: T) => object): Page<T> {
  if (items.length <= limit) return { items: [...items], nextCursor: null };
  const kept = items.slice(0, limit);
  return { items: kept, nextCursor: encodeCursor(cursorOf(kept[kept.length - 1])) };
}
