/**
 * The typed API client (openapi-fetch over the generated paths). Every request carries the
 * session's token; a 401 ends the session (the app returns to sign-in with a message). Errors are
 * thrown as `ApiError`, carrying the API's problem+json body.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import { clearToken, getToken } from '../auth-token';
import type { paths } from './schema';
import type { Problem } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

/** Set by the last 401, read once by the sign-in page. */
let sessionEndedReason: string | null = null;
export function takeSessionEndedReason(): string | null {
  const r = sessionEndedReason;
  sessionEndedReason = null;
  return r;
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token && !request.headers.has('Authorization'))
      request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  async onResponse({ response }) {
    if (response.status === 401 && getToken()) {
      const body = (await response
        .clone()
        .json()
        .catch(() => undefined)) as Partial<Problem> | undefined;
      sessionEndedReason = body?.detail ?? 'unauthorized';
      clearToken();
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

/** The data of an openapi-fetch result, or an `ApiError` thrown with the problem body. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw new ApiError(response.status, error as Partial<Problem>);
  return data as NonNullable<T>;
}

/** A fresh Idempotency-Key for one user action (a retried request reuses it). */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}
