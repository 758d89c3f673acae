/**
 * Structured JSON logs (pino) with a request id on every line (`requestId`). An incoming
 * `X-Request-Id` is honoured when it is a short safe token, otherwise a UUID is generated; the id
 * is echoed in the `X-Request-Id` response header, `req.id` and `res.locals.requestId`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';

export type { Logger } from 'pino';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Paths whose successful requests are not access-logged (scrapes, docs assets). */
const QUIET_PATHS = /^\/(metrics|docs\/assets\/)/;

export interface CreateLoggerOptions {
  /** Extra base bindings, e.g. `{ service: 'ltc-api' }`. */
  base?: Record<string, unknown>;
  /** Where to write; defaults to stdout. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
}

/** A pino JSON logger; secrets in request headers are redacted. */
export function createLogger(level: Level | 'silent' = 'info', options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level,
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      censor: '[redacted]',
    },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** The request id to use for an incoming request: a safe `X-Request-Id`, else a new UUID. */
export function resolveRequestId(incoming: string | string[] | undefined): string {
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  return typeof value === 'string' && SAFE_REQUEST_ID.test(value) ? value : randomUUID();
}

/** pino-http access logging + request id. Mount first, before anything that may log or fail. */
export function requestLogger(logger: Logger): RequestHandler {
  const http = pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = resolveRequestId(req.headers['x-request-id']);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    customProps: (req: IncomingMessage) => ({ requestId: req.id }),
    customLogLevel: (_req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
    serializers: {
      req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
    },
  });
  return (req, res, next) => {
    // Express 5 does not define req.id; pino-http sets it before calling next.
    http(req, res, (err?: unknown) => {
      res.locals.requestId = String(req.id);
      next(err);
    });
  };
}
