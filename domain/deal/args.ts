/**
 * The shape of each command's arguments, checked again inside the workflow (the Update validators),
 * so that a caller reaching Temporal directly cannot poison a deal with what the API refuses at the
 * door: wrong types, text Postgres cannot store, amounts the column cannot hold. Pure.
 */
import { amountProblem, isKnownCurrency } from '../money';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from '../text';
import type { CommandRefusal } from './machine';

const ROLE = /^(AR|SR|FR|manager|group:[a-z0-9-]+)$/;
const TRIANGLE = /^(AR|SR|FR)$/;

function invalid(field: string, message: string): CommandRefusal {
  return { code: 'invalid', message: `${field} ${message}`, field };
}

function text(field: string, v: unknown, opts: { max: number; required?: boolean }): CommandRefusal | null {
  if (v === undefined && !opts.required) return null;
  if (typeof v !== 'string') return invalid(field, 'must be a string');
  if (opts.required && v.trim() === '') return invalid(field, 'must not be empty');
  if (v.length > opts.max) return invalid(field, `must be at most ${opts.max} characters`);
  return isStorableText(v) ? null : invalid(field, UNSTORABLE_TEXT_MESSAGE);
}

function first(...checks: (CommandRefusal | null)[]): CommandRefusal | null {
  return checks.find((c) => c !== null) ?? null;
}

function object(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function actor(a: Record<string, unknown>): CommandRefusal | null {
  return text('actorId', a.actorId, { max: 100, required: true });
}

export function signoffArgsProblem(v: unknown): CommandRefusal | null {
  const a = object(v);
  if (!a) return invalid('body', 'must be an object');
  const acting = a.actingFor;
  return first(
    actor(a),
    text('stage', a.stage, { max: 100, required: true }),
    a.role !== undefined && (typeof a.role !== 'string' || !ROLE.test(a.role))
      ? invalid('role', 'must be AR, SR, FR, manager or group:<name>')
      : null,
    a.decision !== 'approve' && a.decision !== 'reject'
      ? invalid('decision', 'must be approve or reject')
      : null,
    text('comment', a.comment, { max: 4000 }),
    !Array.isArray(acting) || acting.length > 200 || acting.some((x) => typeof x !== 'string')
      ? invalid('actingFor', 'must be a list of user ids')
      : null,
  );
}

export function reasonArgsProblem(v: unknown): CommandRefusal | null {
  const a = object(v);
  if (!a) return invalid('body', 'must be an object');
  return first(actor(a), text('reason', a.reason, { max: 2000, required: true }));
}

export function actorArgsProblem(v: unknown): CommandRefusal | null {
  const a = object(v);
  if (!a) return invalid('body', 'must be an object');
  return actor(a);
}

export function reassignArgsProblem(v: unknown): CommandRefusal | null {
  const a = object(v);
  if (!a) return invalid('body', 'must be an object');
  return first(
    actor(a),
    typeof a.role !== 'string' || !TRIANGLE.test(a.role) ? invalid('role', 'must be AR, SR or FR') : null,
    text('userId', a.userId, { max: 100, required: true }),
    text('reason', a.reason, { max: 2000, required: true }),
  );
}

export function amendArgsProblem(v: unknown): CommandRefusal | null {
  const a = object(v);
  if (!a) return invalid('body', 'must be an object');
  const value = object(a.value);
  if (!value) return invalid('value', 'must be an object');
  const amount = typeof value.amount === 'number' ? amountProblem(value.amount) : 'must be a number';
  const authority = a.mayRemove;
  return first(
    actor(a),
    amount ? invalid('value.amount', amount) : null,
    typeof value.currency !== 'string' || !isKnownCurrency(value.currency)
      ? invalid('value.currency', 'must be an ISO 4217 code')
      : null,
    authority !== undefined &&
      authority !== 'any' &&
      !(Array.isArray(authority) && authority.every((x) => typeof x === 'string'))
      ? invalid('mayRemove', "must be 'any' or a list of user ids")
      : null,
  );
}
