/**
 * RFC 9457 problem details. Every error answered by the API is an `HttpProblem` serialised as
 * `application/problem+json` by the central error handler (see error-handler.ts).
 *
 * Problem types are URIs of the form `https://ltc.example/problems/<slug>`; the slug is stable and
 * meant for clients to branch on (`title`/`detail` are for humans).
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://ltc.example/problems/';

/** Builds the `type` URI for a problem slug, e.g. `problemType('not-found')`. */
export function problemType(slug: string): string {
  return PROBLEM_TYPE_BASE + slug;
}

/** One entry of `errors[]`, e.g. `{ path: 'body.stages[3].sla.remind[0]', message: 'Expected number' }`. */
export interface ProblemFieldError {
  path: string;
  message: string;
}

/** The JSON body of a problem response. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: ProblemFieldError[];
  requestId?: string;
  [extension: string]: unknown;
}

/** The problem+json body as a zod schema: the single source of the OpenAPI `Problem` component. */
export const ProblemSchema = z
  .looseObject({
    type: z.string().describe('Problem type URI, e.g. https://ltc.example/problems/not-found'),
    title: z.string().describe('Short, human-readable summary of the problem type'),
    status: z.number().int().min(400).max(599).describe('HTTP status code'),
    detail: z.string().describe('Human-readable explanation of this occurrence'),
    errors: z
      .array(
        z.object({
          path: z.string().describe('Offending location, e.g. body.stages[3].sla.remind[0] or query.limit'),
          message: z.string(),
        }),
      )
      .optional()
      .describe('Field errors (validation problems only)'),
    requestId: z.string().optional().describe('Request id, also in the X-Request-Id header and the logs'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export interface HttpProblemInit {
  /** Slug (`'not-found'`) or absolute URI. Defaults to `about:blank`. */
  type?: string;
  /** Defaults to the HTTP reason phrase of `status`. */
  title?: string;
  /** Defaults to `title`. */
  detail?: string;
  errors?: ProblemFieldError[];
  /** Extra response headers, e.g. `Retry-After`. */
  headers?: Record<string, string>;
  /** RFC 9457 extension members merged into the body (cannot override the standard members). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

const RESERVED_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'errors', 'requestId']);

export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly errors?: ProblemFieldError[];
  readonly headers?: Record<string, string>;
  readonly extensions?: Record<string, unknown>;

  constructor(status: number, init: HttpProblemInit = {}) {
    const title = init.title ?? STATUS_CODES[status] ?? 'Error';
    const detail = init.detail ?? title;
    super(detail, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'HttpProblem';
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpProblem status must be an integer 400..599, got ${status}`);
    }
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = init.type === undefined ? 'about:blank' : toTypeUri(init.type);
    if (init.errors) this.errors = init.errors;
    if (init.headers) this.headers = init.headers;
    if (init.extensions) this.extensions = init.extensions;
  }

  /** The problem+json body. `requestId` is added when known. */
  toBody(requestId?: string): ProblemBody {
    const body: ProblemBody = {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.detail,
    };
    if (this.extensions) {
      for (const [k, v] of Object.entries(this.extensions)) {
        if (!RESERVED_MEMBERS.has(k)) body[k] = v;
      }
    }
    if (this.errors) body.errors = this.errors;
    if (requestId) body.requestId = requestId;
    return body;
  }
}

function toTypeUri(type: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(type) ? type : problemType(type);
}

export function isHttpProblem(err: unknown): err is HttpProblem {
  return err instanceof HttpProblem;
}

/** 400. With `errors`, the problem type is `validation-error`. */
export function badRequest(detail: string, errors?: ProblemFieldError[]): HttpProblem {
  return errors
    ? new HttpProblem(400, { type: 'validation-error', title: 'Validation Failed', detail, errors })
    : new HttpProblem(400, { type: 'bad-request', title: 'Bad Request', detail });
}

/** 400 for a request body that is not parseable JSON: the field at fault is the whole `body`. */
export function malformedJson(detail = 'The request body is not valid JSON'): HttpProblem {
  return new HttpProblem(400, {
    type: 'malformed-json',
    title: 'Malformed JSON',
    detail,
    errors: [{ path: 'body', message: 'must be a JSON object or array' }],
  });
}

/** 401, with a `WWW-Authenticate: Bearer` challenge. */
export function unauthorized(detail = 'Authentication is required'): HttpProblem {
  return new HttpProblem(401, {
    type: 'unauthorized',
    title: 'Unauthorized',
    detail,
    headers: { 'WWW-Authenticate': 'Bearer' },
  });
}

export function forbidden(detail: string): HttpProblem {
  return new HttpProblem(403, { type: 'forbidden', title: 'Forbidden', detail });
}

export function notFound(detail = 'The requested resource was not found'): HttpProblem {
  return new HttpProblem(404, { type: 'not-found', title: 'Not Found', detail });
}

/** 409. `extra` becomes extension members of the body, e.g. `{ currentVersion: 4 }`. */
export function conflict(detail: string, extra?: Record<string, unknown>): HttpProblem {
  return new HttpProblem(409, { type: 'conflict', title: 'Conflict', detail, extensions: extra });
}

/** 429 with a `Retry-After` header (integer seconds, at least 1). */
export function tooManyRequests(retryAfterSec: number): HttpProblem {
  const seconds = Math.max(1, Math.ceil(Number.isFinite(retryAfterSec) ? retryAfterSec : 1));
  return new HttpProblem(429, {
    type: 'too-many-requests',
    title: 'Too Many Requests',
    detail: `Rate limit exceeded; retry after ${seconds} second${seconds === 1 ? '' : 's'}`,
    headers: { 'Retry-After': String(seconds) },
    extensions: { retryAfter: seconds },
  });
}

export function unsupportedMediaType(
  detail = 'The request body has an unsupported media type',
  accepted?: string[],
): HttpProblem {
  return new HttpProblem(415, {
    type: 'unsupported-media-type',
    title: 'Unsupported Media Type',
    detail,
    extensions: accepted ? { accepted } : undefined,
  });
}

export function payloadTooLarge(detail = 'The request body is too large'): HttpProblem {
  return new HttpProblem(413, { type: 'payload-too-large', title: 'Payload Too Large', detail });
}

export function internalError(): HttpProblem {
  return new HttpProblem(500, {
    type: 'internal-error',
    title: 'Internal Server Error',
    detail: 'An unexpected error occurred',
  });
}
