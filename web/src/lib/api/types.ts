/**
 * Names for the API's types, all derived from the generated schema.d.ts (npm run gen:api): nothing
 * here restates a field.
 */
import type { components, paths } from './schema';

type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never;
/** The JSON body of a path's 200 (or 201) answer. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: infer Ok }
    ? Json<Ok>
    : R extends { 201: infer Created }
      ? Json<Created>
      : never
  : never;
/** The JSON request body of a path. */
export type BodyOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: infer B;
}
  ? Json<NonNullable<B>>
  : never;
export type QueryOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

export type Deal = ResponseOf<'/deals/{id}', 'get'>;
export type DealStage = NonNullable<Deal['stage']>;
export type DealStatus = Deal['status'];
export type DealEvent = ResponseOf<'/deals/{id}/timeline', 'get'>['items'][number];
export type DealListQuery = QueryOf<'/deals', 'get'>;
export type Task = ResponseOf<'/me/tasks', 'get'>['items'][number];
export type User = ResponseOf<'/users/me', 'get'>;
export type ProcessVersion = ResponseOf<'/process-definitions/{key}', 'get'>;
export type ProcessSummary = ResponseOf<'/process-definitions', 'get'>['items'][number];
export type ProcessDefinition = components['schemas']['ProcessDefinition'];
export type StageDefinition = ProcessDefinition['stages'][number];
export type ProcessDiff = ResponseOf<'/process-definitions/{key}/diff', 'get'>;
export type PipelineReport = components['schemas']['PipelineReport'];
export type SlaReport = components['schemas']['SlaReport'];
export type CreditReport = components['schemas']['CreditReport'];
export type NotificationItem = components['schemas']['NotificationItem'];
export type Problem = components['schemas']['Problem'];
export type LocalizedName = DealStage['name'];
export type SignoffBody = BodyOf<'/deals/{id}/signoffs', 'post'>;
export type ReassignBody = BodyOf<'/deals/{id}/reassign', 'post'>;
export type Money = Deal['value'];
