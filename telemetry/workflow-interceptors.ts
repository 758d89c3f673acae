/**
 * Workflow interceptors bundled with the workflow code (filled in by the tracing step).
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({});
