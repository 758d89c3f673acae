/**
 * Request validation with zod. Parsed values live in `res.locals.body|query|params` (Express 5's
 * `req.query` is a getter and is never reassigned). A failure throws one `ZodError` whose issue
 * paths are prefixed with the request part (`body.value.amount`, `query.limit`), which the error
 * handler answers as a 400 problem.
 *
 * Behind the schemas, the parsed values are walked once more for text Postgres cannot store (NUL,
 * unpaired surrogates), so a schema that lets such text through (`z.unknown()`, a record's keys)
 * still cannot carry it to the database: 400 naming the field, or 404 for a path id, which then
 * names nothing that exists.
 */
import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from '../../domain/text';
import { notFound } from './problem';

export type RequestPart = 'params' | 'query' | 'body';

export interface RequestSchemas<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  params?: P;
  query?: Q;
  body?: B;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** Shape of `res.locals` after `validate()` ran with the given schemas. */
export interface ValidatedLocals<P = undefined, Q = undefined, B = undefined>
  extends Record<string, unknown> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  requestId?: string;
}

const PARTS: readonly RequestPart[] = ['params', 'query', 'body'];

/** Validates the request against the given schemas; all parts are checked and reported together. */
export function validate(schemas: RequestSchemas): RequestHandler {
  return async (req, res, next) => {
    const issues: z.core.$ZodIssue[] = [];
    for (const part of PARTS) {
      const schema = schemas[part];
      if (!schema) continue;
      const input: unknown = part === 'params' ? req.params : part === 'query' ? req.query : req.body;
      const result = await schema.safeParseAsync(input);
      const unstorable = result.success ? findUnstorableText(result.data) : null;
      if (unstorable && part === 'params') throw notFound();
      if (unstorable) {
        const what = unstorable.key ? 'field name' : 'text';
        issues.push({
          code: 'custom',
          input: undefined,
          path: [part, ...unstorable.path],
          message: `${what} ${UNSTORABLE_TEXT_MESSAGE}`,
        });
      } else if (result.success) {
        res.locals[part] = result.data;
      } else {
        for (const issue of result.error.issues) issues.push({ ...issue, path: [part, ...issue.path] });
      }
    }
    if (issues.length > 0) throw new z.ZodError(issues);
    next();
  };
}

function read(res: Response, part: RequestPart): unknown {
  if (!Object.hasOwn(res.locals, part)) {
    throw new Error(`res.locals.${part} is not set: the route has no validated ${part} schema`);
  }
  return res.locals[part];
}

/** The validated body. Pass the schema to infer the type (it is not re-parsed). */
export function getBody<S extends z.ZodType>(res: Response, schema: S): z.output<S>;
export function getBody<T = unknown>(res: Response): T;
export function getBody(res: Response, _schema?: z.ZodType): unknown {
  return read(res, 'body');
}

/** The validated query. Pass the schema to infer the type (it is not re-parsed). */
export function getQuery<S extends z.ZodType>(res: Response, schema: S): z.output<S>;
export function getQuery<T = unknown>(res: Response): T;
export function getQuery(res: Response, _schema?: z.ZodType): unknown {
  return read(res, 'query');
}

/** The validated path params. Pass the schema to infer the type (it is not re-parsed). */
export function getParams<S extends z.ZodType>(res: Response, schema: S): z.output<S>;
export function getParams<T = unknown>(res: Response): T;
export function getParams(res: Response, _schema?: z.ZodType): unknown {
  return read(res, 'params');
}
