/**
 * What the store can hold, checked at the door. Every string the API accepts (bodies, queries) is
 * built on `storableText()`, so NUL and unpaired surrogates, which Postgres `text` and `jsonb`
 * refuse, are a 400 naming the field, never a database error inside a deal's workflow.
 * `storableInstant()` does the same for date-times: Postgres has no year 0 (nor anything before
 * 4713 BC), JavaScript does.
 */
import { z } from 'zod';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from '../../domain/text';

/** `z.string()` (or the given string schema) that refuses text Postgres cannot store. */
export function storableText(): z.ZodString;
export function storableText<S extends z.ZodType<string>>(base: S): S;
export function storableText(base: z.ZodType<string> = z.string()): z.ZodType<string> {
  return base.refine(isStorableText, { error: UNSTORABLE_TEXT_MESSAGE });
}

/** Instants whose `toISOString()` has a four-digit year from 0001 to 9999, which Postgres parses. */
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** Whether an ISO 8601 date or date-time names an instant from year 1 to 9999 (UTC). */
export function isStorableInstant(text: string): boolean {
  const ms = Date.parse(text);
  return !Number.isNaN(ms) && ms >= FIRST_INSTANT && ms <= LAST_INSTANT;
}

/** The given ISO 8601 string schema, refusing instants outside the years 1 to 9999 (UTC). */
export function storableInstant<S extends z.ZodType<string>>(base: S): S {
  // A malformed date-time is left to the base schema's format check.
  return base.refine((text) => Number.isNaN(Date.parse(text)) || isStorableInstant(text), {
    error: 'must be between the years 1 and 9999 (UTC)',
  });
}
