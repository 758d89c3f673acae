/**
 * OpenTelemetry tracing (filled in by step 6): undefined unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import type { ClientInterceptors } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';

export interface Tracing {
  clientInterceptors: ClientInterceptors;
  workerInterceptors: WorkerInterceptors;
  sinks: InjectedSinks<never>;
  shutdown(): Promise<void>;
}

export async function startTracing(
  _service: string,
  endpoint: string | undefined,
  _serviceName?: string,
): Promise<Tracing | undefined> {
  if (!endpoint) return undefined;
  return undefined;
}
