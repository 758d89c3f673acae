/**
 * POST a built webhook request (node:http/https, one fresh connection per request).
 *
 * - Only addresses the `WebhookTargetPolicy` allows are connected to: a literal address is checked
 *   before anything is sent, a host name in the socket's DNS lookup (see `connectLookup`). A refused
 *   address is a non-retryable failure, `address not allowed`.
 * - At most `MAX_RESPONSE_BYTES` of the answer are read; then the connection is closed, so a
 *   receiver that streams forever neither hangs nor bloats the worker. The whole exchange has a
 *   deadline (`timeoutMs`).
 * - A failure is a `DeliveryError` whose message is a short reason of our own (`HTTP 500`,
 *   `timeout`, `connection refused`, `platform error 310000`, `address not allowed`): nothing the
 *   receiver wrote is kept.
 * - Redirects are not followed (a redirected POST would silently become a GET).
 */
import http from 'node:http';
import https from 'node:https';
import { DeliveryError, networkReason } from './send';
import type { WebhookRequest } from './webhook-formats';
import { connectLookup, STRICT_WEBHOOK_POLICY, type WebhookTargetPolicy } from './webhook-target';

export interface SendWebhookOptions {
  /** Whole request including reading the response. Default 10 s. */
  timeoutMs?: number;
  /** Aborts the request early (e.g. the activity's cancellation signal); a retryable failure. */
  signal?: AbortSignal;
  /** Which hosts may be reached; default: public addresses only. */
  policy?: WebhookTargetPolicy;
}

const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** What is read of an answer at most: enough for a chat platform's `{"errcode": n, ...}`. */
export const MAX_RESPONSE_BYTES = 4096;

interface Answer {
  status: number;
  retryAfter: string | undefined;
  /** The first MAX_RESPONSE_BYTES of the body, as UTF-8. */
  head: string;
}

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * DingTalk and WeCom answer HTTP 200 with `{"errcode": n, "errmsg": ...}`, Feishu with
 * `{"code": n, "msg": ...}` (older bots `{"StatusCode": n}`); a non-zero number is a failure.
 */
function platformErrorCode(body: string): number | null {
  const trimmed = body.trim();
  if (!trimmed.startsWith('{')) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object') return null;
  const o = parsed as Record<string, unknown>;
  for (const key of ['errcode', 'code', 'StatusCode']) {
    const v = o[key];
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : null;
    if (n !== null && n !== 0) return n;
  }
  return null;
}

/** One POST; resolves with the status and the head of the body, rejects with a `DeliveryError`. */
function post(
  url: URL,
  req: WebhookRequest,
  timeoutMs: number,
  policy: WebhookTargetPolicy,
  signal?: AbortSignal,
) {
  return new Promise<Answer>((resolve, reject) => {
    let lookup: ReturnType<typeof connectLookup>;
    try {
      lookup = connectLookup(url, policy);
    } catch (err) {
      reject(
        new DeliveryError('address not allowed', { retryable: false, code: 'EADDRNOTALLOWED', cause: err }),
      );
      return;
    }
    let settled = false;
    const fail = (reason: string, err: unknown, extra: { status?: number } = {}) => {
      if (settled) return;
      settled = true;
      cleanup();
      const code = (err as { code?: unknown } | null)?.code;
      outgoing.destroy();
      reject(
        new DeliveryError(reason, {
          retryable: code !== 'EADDRNOTALLOWED',
          code: typeof code === 'string' ? code : undefined,
          cause: err,
          ...extra,
        }),
      );
    };
    const timer = setTimeout(
      () => fail('timeout', Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    const onAbort = () => fail('cancelled', Object.assign(new Error('cancelled'), { code: 'ECANCELED' }));
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };

    const body = Buffer.from(req.body, 'utf8');
    const send = url.protocol === 'https:' ? https.request : http.request;
    const outgoing = send(url, {
      method: 'POST',
      headers: { ...req.headers, 'Content-Length': String(body.length) },
      lookup,
      agent: false,
    });
    outgoing.on('error', (err) => fail(networkReason(err), err));
    outgoing.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        if (settled) return;
        settled = true;
        cleanup();
        res.destroy();
        outgoing.destroy();
        const retryAfter = res.headers['retry-after'];
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
          head: Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8'),
        });
      };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_RESPONSE_BYTES) done();
      });
      res.on('end', done);
      res.on('error', (err) => fail(networkReason(err), err, { status: res.statusCode }));
      // a connection closed before the answer ended: what arrived is enough to judge
      res.on('close', done);
    });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.end(body);
  });
}

/** POST a built webhook request. Resolves on 2xx (without a platform error code); throws `DeliveryError`. */
export async function sendWebhook(req: WebhookRequest, opts: SendWebhookOptions = {}): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new DeliveryError('invalid URL', { retryable: false });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DeliveryError('invalid URL', { retryable: false });
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const answer = await post(url, req, timeoutMs, opts.policy ?? STRICT_WEBHOOK_POLICY, opts.signal);

  if (answer.status < 200 || answer.status >= 300) {
    const retryable = isRetryableStatus(answer.status);
    throw new DeliveryError(`HTTP ${answer.status}`, {
      retryable,
      status: answer.status,
      retryAfterMs: retryable ? parseRetryAfter(answer.retryAfter) : undefined,
    });
  }
  const code = platformErrorCode(answer.head);
  if (code !== null) {
    throw new DeliveryError(`platform error ${code}`, { retryable: true, status: answer.status, code });
  }
}
