/** The API's request spans (only @opentelemetry/api: a no-op until a tracer provider is registered). */
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';

/**
 * A server span per API request, active while the request is handled, so the Temporal client
 * calls it makes (start, Update, Query) become its children. Without a registered provider the
 * tracer is a no-op. The request id is an attribute of the span.
 */
export function requestTracing(): RequestHandler {
  const tracer = trace.getTracer('ltc-api');
  return (req, res, next) => {
    const span: Span = tracer.startSpan(`HTTP ${req.method}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': req.path },
    });
    const requestId = res.getHeader('X-Request-Id');
    if (typeof requestId === 'string') span.setAttribute('ltc.request_id', requestId);
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      if (route) span.updateName(`HTTP ${req.method} ${req.baseUrl}${route}`);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(context.active(), span), next);
  };
}
