/**
 * Workflow interceptors bundled with the workflow code (`npm run build:workflows`): OpenTelemetry
 * spans for the workflow run, its Updates and the activities it schedules, continuing the trace
 * the client (the API) started. Spans leave the sandbox through the worker's `exporter` sink.
 */
export { interceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';
