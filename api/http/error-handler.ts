/**
 * The one place where errors become HTTP responses. Mount `notFoundHandler` after every router and
 * `errorHandler(logger)` last. Nothing thrown by a handler reaches the client verbatim unless it is
 * an `HttpProblem`, a zod validation error, or a body-parser client error.
 */
import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  badRequest,
  HttpProblem,
  internalError,
  malformedJson,
  notFound,
  PROBLEM_CONTENT_TYPE,
  type ProblemFieldError,
  payloadTooLarge,
  unsupportedMediaType,
} from './problem';
import { RETRY_AFTER_SECONDS, workflowProblem } from './workflow-errors';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Formats a zod issue path: keys dotted, array indexes in brackets, odd keys bracket-quoted.
 * `['stages', 3, 'sla', 'remind', 0]` → `stages[3].sla.remind[0]`; `['headers', 'x-id']` → `headers["x-id"]`.
 */
export function formatZodPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'symbol') out += `[${String(seg)}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

type ZodIssueLike = z.core.$ZodIssue;

/** Flattens zod issues into `errors[]`; an unrecognized-keys issue yields one entry per key. */
export function zodIssuesToErrors(
  issues: readonly ZodIssueLike[],
  prefix: PropertyKey[] = [],
): ProblemFieldError[] {
  const out: ProblemFieldError[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
      for (const key of issue.keys)
        out.push({ path: formatZodPath([...path, key]), message: 'Unrecognized key' });
    } else {
      out.push({ path: formatZodPath(path), message: issue.message });
    }
  }
  return out;
}

export function isZodError(err: unknown): err is z.core.$ZodError {
  return (
    err instanceof z.core.$ZodError ||
    (err instanceof Error && err.name === 'ZodError' && Array.isArray((err as { issues?: unknown }).issues))
  );
}

/** 400 problem for a zod error (paths as produced by `validate()` already carry `body.`/`query.` …). */
export function zodErrorToProblem(err: z.core.$ZodError): HttpProblem {
  const errors = zodIssuesToErrors(err.issues);
  const n = errors.length;
  return badRequest(`The request is invalid (${n} error${n === 1 ? '' : 's'})`, errors);
}

interface ErrorWithStatus {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
  message?: unknown;
}

/** Maps a known error to a client-facing problem, or returns undefined for an unknown (→ 500) error. */
export function toClientProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  const fromWorkflow = workflowProblem(err);
  if (fromWorkflow) return fromWorkflow;
  if (isZodError(err)) return zodErrorToProblem(err);
  if (typeof err !== 'object' || err === null) return undefined;

  // Postgres refuses text it cannot store (a NUL byte, invalid UTF-8): that is bad input, not a crash.
  // drizzle 0.45 puts the driver's error on `err.cause`.
  const pgCode = postgresCode(err);
  if (pgCode === '22021' || pgCode === '22P05') {
    return badRequest('The request contains characters that cannot be stored (such as a NUL byte)');
  }

  if (isDatabaseUnavailable(err)) {
    return new HttpProblem(503, {
      type: 'database-unavailable',
      detail: 'The database is unavailable; retry shortly',
      headers: { 'Retry-After': RETRY_AFTER_SECONDS },
    });
  }

  const e = err as ErrorWithStatus;
  switch (e.type) {
    case 'entity.parse.failed':
      return malformedJson();
    case 'entity.too.large':
    case 'parameters.too.many':
      return payloadTooLarge();
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return unsupportedMediaType(typeof e.message === 'string' ? e.message : undefined);
  }

  // A path segment that is not valid percent-encoded UTF-8 (`%zz`, `%ED%A0%80`) names nothing.
  if (typeof e.message === 'string' && e.message.startsWith('Failed to decode param')) {
    return notFound('No such resource: a path segment is not valid percent-encoded UTF-8');
  }
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500) {
    // http-errors marks 4xx errors as exposable; anything else only gets the reason phrase.
    const detail = e.expose === true && typeof e.message === 'string' ? e.message : undefined;
    return new HttpProblem(status, { detail });
  }
  return undefined;
}

/** Connection-level failures of the postgres driver (no SQLSTATE, or class 08 / 57P0x). */
const DB_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/** Postgres cannot be reached right now (down, restarting, network cut): a 503, not a 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (DB_CONNECTION_CODES.has(code)) return true;
      if (/^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03')
        return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function postgresCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 3 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The request id set by `requestLogger`, or a fresh one (also set as `X-Request-Id`) when absent. */
export function getRequestId(req: Request, res: Response): string {
  const existing = res.locals.requestId ?? (req as { id?: unknown }).id;
  if (typeof existing === 'string' && SAFE_REQUEST_ID.test(existing)) return existing;
  if (typeof existing === 'number') return String(existing);
  const id = randomUUID();
  res.locals.requestId = id;
  if (!res.headersSent) res.setHeader('X-Request-Id', id);
  return id;
}

export function sendProblem(res: Response, problem: HttpProblem, requestId?: string): void {
  res.status(problem.status);
  if (problem.headers) res.set(problem.headers);
  res.type(PROBLEM_CONTENT_TYPE);
  res.send(JSON.stringify(problem.toBody(requestId)));
}

/** Central express error middleware. Must be registered after all routes (and `notFoundHandler`). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const requestId = getRequestId(req, res);
    const log: Logger = (req as { log?: Logger }).log ?? logger;
    // toClientProblem only yields 5xx for a deliberate HttpProblem (e.g. 503 with Retry-After).
    const known = toClientProblem(err);
    const problem = known ?? internalError();

    if (problem.status >= 500) {
      log.error(
        { err, requestId, method: req.method, url: req.originalUrl },
        known ? 'request failed with a server problem' : 'unhandled error while processing request',
      );
    }

    if (res.headersSent) {
      // Too late for a problem response: the only honest thing left is to cut the connection.
      if (known) log.warn({ requestId, status: problem.status }, 'error after response headers were sent');
      req.socket?.destroy();
      return;
    }
    sendProblem(res, problem, requestId);
  };
}

/** 404 problem for any request no router answered. Mount after all routers, before `errorHandler`. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(notFound(`No route matches ${req.method} ${req.path.slice(0, 200)}`));
};
