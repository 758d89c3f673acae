/**
 * OpenTelemetry tracing through @temporalio/interceptors-opentelemetry: one trace from the API
 * request (a span per request, `http.server` middleware below) through the workflow (its run and
 * each Update) to its activities. Spans are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT
 * is set; tests pass an in-memory exporter instead.
 */
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';

export interface Tracing {
  clientInterceptors: ClientInterceptors;
  /** Activity interceptors, and the workflow interceptor module for a worker that bundles itself. */
  workerInterceptors: WorkerInterceptors;
  /** The `exporter` sink through which workflow spans leave the sandbox. */
  // biome-ignore lint/suspicious/noExplicitAny: the sink's type is the library's own
  sinks: InjectedSinks<any>;
  shutdown(): Promise<void>;
}

export const WORKFLOW_INTERCEPTORS_MODULE = require.resolve('./workflow-interceptors');

/**
 * Register a global tracer provider exporting to `exporter` and return the Temporal interceptors.
 * `simple`: export each span at its end (tests); otherwise batched.
 */
export function createTracing(opts: {
  serviceName: string;
  exporter?: SpanExporter;
  simple?: boolean;
}): Tracing {
  const resource = new Resource({ 'service.name': opts.serviceName });
  const processor: SpanProcessor = opts.exporter
    ? opts.simple
      ? new SimpleSpanProcessor(opts.exporter)
      : new BatchSpanProcessor(opts.exporter)
    : new NoopSpanProcessor();
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  return {
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    workerInterceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
      workflowModules: [WORKFLOW_INTERCEPTORS_MODULE],
    },
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
    shutdown: () => provider.shutdown(),
  };
}

/**
 * Tracing for a process (`ltc-api`, `ltc-worker`): OTLP/HTTP export when `endpoint` is set
 * (`http://collector:4318`, spans go to `/v1/traces`), otherwise spans are not recorded.
 */
export async function startTracing(
  defaultName: string,
  endpoint: string | undefined,
  serviceName?: string,
): Promise<Tracing | undefined> {
  const name = serviceName ?? defaultName;
  if (!endpoint) return undefined;
  const url = endpoint.endsWith('/v1/traces') ? endpoint : `${endpoint.replace(/\/$/, '')}/v1/traces`;
  // Loaded only here: the OTLP exporter is large, and most processes (every test file) never export.
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  return createTracing({ serviceName: name, exporter: new OTLPTraceExporter({ url }) });
}
