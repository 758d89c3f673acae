/**
 * Channel senders: webhook POST (global fetch) and SMTP email (nodemailer).
 *
 * Every failure is a `DeliveryError` whose `retryable` tells the calling activity whether to let
 * Temporal retry (network trouble, 5xx, 408, 429, chat platforms' error codes) or to give up
 * (other 4xx, permanent SMTP rejections). Delivery is at least once: receivers dedupe on the
 * notification id (`X-LTC-Id` header, email `Message-ID`).
 */

import type { SMTPTransportOptions } from 'nodemailer';
import { createTransport } from 'nodemailer';
import type { OutgoingNotification } from './types';
import type { WebhookRequest } from './webhook-formats';

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  /** True when the same delivery may succeed later. */
  readonly retryable: boolean;
  /** HTTP status, or SMTP reply code for email. */
  readonly status?: number;
  /** Platform error code (`errcode`/`code` of DingTalk, WeCom, Feishu) or a network/SMTP error code. */
  readonly code?: string | number;
  /** From a `Retry-After` header, when the receiver sent one. */
  readonly retryAfterMs?: number;

  constructor(
    message: string,
    opts: {
      retryable: boolean;
      status?: number;
      code?: string | number;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retryable = opts.retryable;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.code !== undefined) this.code = opts.code;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

export interface SendWebhookOptions {
  /** Whole request including reading the response body. Default 10 s. */
  timeoutMs?: number;
  /** Aborts the request early (e.g. the activity's cancellation signal); a retryable failure. */
  signal?: AbortSignal;
}

const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * Webhook URLs carry their credentials (WeCom `key`, DingTalk `access_token`, Feishu and Slack
 * hook paths): keep them out of error messages and logs.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname
      .split('/')
      .map((seg) => (seg.length > 12 ? `${seg.slice(0, 4)}…` : seg))
      .join('/');
    return `${u.protocol}//${u.host}${path}${u.search ? '?…' : ''}`;
  } catch {
    return '<invalid url>';
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? `: ${cause.message}` : '';
    return `${err.name}: ${err.message}${causeText}`;
  }
  return String(err);
}

function errorCode(err: unknown): string | undefined {
  const pick = (e: unknown): string | undefined => {
    const code = (e as { code?: unknown } | null)?.code;
    return typeof code === 'string' ? code : undefined;
  };
  if (err instanceof Error && err.name === 'TimeoutError') return 'ETIMEDOUT';
  return pick(err) ?? pick((err as { cause?: unknown } | null)?.cause);
}

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function snippet(body: string): string {
  const s = body.replace(/\s+/g, ' ').trim();
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/**
 * DingTalk and WeCom answer HTTP 200 with `{"errcode": n, "errmsg": ...}`, Feishu with
 * `{"code": n, "msg": ...}` (older bots `{"StatusCode": n}`); a non-zero number is a failure.
 */
function platformError(body: string): { code: number; message: string } | null {
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
    if (n !== null && n !== 0) {
      const msg = o.errmsg ?? o.msg ?? o.StatusMessage ?? o.message;
      return { code: n, message: typeof msg === 'string' ? msg : '' };
    }
  }
  return null;
}

/** POST a built webhook request. Resolves on 2xx (without a platform error code); throws `DeliveryError`. */
export async function sendWebhook(req: WebhookRequest, opts: SendWebhookOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const where = redactUrl(req.url);
  let protocol: string;
  try {
    protocol = new URL(req.url).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new DeliveryError(`webhook url ${where} is not a valid http(s) URL`, { retryable: false });
  }
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      // A redirected POST would silently become a GET; treat it as a misconfigured URL instead.
      redirect: 'manual',
      signal: opts.signal
        ? AbortSignal.any([AbortSignal.timeout(timeoutMs), opts.signal])
        : AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new DeliveryError(`webhook ${where} failed: ${errorText(err)}`, {
      retryable: true,
      code: errorCode(err),
      cause: err,
    });
  }

  let body: string;
  try {
    body = await res.text();
  } catch (err) {
    throw new DeliveryError(
      `webhook ${where} answered ${res.status} but the response could not be read: ${errorText(err)}`,
      {
        retryable: true,
        status: res.status,
        code: errorCode(err),
        cause: err,
      },
    );
  }

  if (res.status < 200 || res.status >= 300) {
    const retryable = isRetryableStatus(res.status);
    throw new DeliveryError(
      `webhook ${where} answered HTTP ${res.status}${body ? `: ${snippet(body)}` : ''}`,
      {
        retryable,
        status: res.status,
        retryAfterMs: retryable ? parseRetryAfter(res.headers.get('retry-after')) : undefined,
      },
    );
  }

  const platform = platformError(body);
  if (platform) {
    throw new DeliveryError(
      `webhook ${where} answered error code ${platform.code}${platform.message ? `: ${platform.message}` : ''}`,
      { retryable: true, status: res.status, code: platform.code },
    );
  }
}

export interface MailRecipient {
  email: string;
  name: string;
}

export interface Mailer {
  send(n: OutgoingNotification, to: MailRecipient): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  /** Sender, default `LTC <ltc@localhost>`. */
  from?: string;
  /** Extra nodemailer SMTP options (timeouts, tls, ignoreTLS, ...); keys in the URL win. */
  transport?: Omit<SMTPTransportOptions, 'url'>;
}

const DEFAULT_FROM = 'LTC <ltc@localhost>';

/** `Message-ID` of a notification email: stable per notification, so receivers can dedupe. */
export function notificationMessageId(id: string): string {
  const local = id.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '_').replace(/^\.+|\.+$/g, '') || 'x';
  return `<${local}@ltc.local>`;
}

/**
 * An SMTP mailer over `nodemailer.createTransport(smtpUrl)` (e.g. `smtp://user:pass@host:587`,
 * `smtps://host:465`, query keys become options: `?ignoreTLS=true`).
 */
export function createMailer(smtpUrl: string, opts: MailerOptions = {}): Mailer {
  const from = opts.from ?? DEFAULT_FROM;
  const transporter = createTransport({
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    ...opts.transport,
    url: smtpUrl,
  });

  return {
    async send(n: OutgoingNotification, to: MailRecipient): Promise<void> {
      const text = n.message.text.includes(n.link) ? n.message.text : `${n.message.text}\n\n${n.link}`;
      try {
        await transporter.sendMail({
          from,
          to: { name: to.name, address: to.email },
          subject: n.message.title,
          text,
          messageId: notificationMessageId(n.id),
          headers: {
            'X-LTC-Id': n.id,
            'X-LTC-Kind': n.kind,
            'X-LTC-Deal': n.dealId,
            // machine-sent: no out-of-office replies back to the sender
            'Auto-Submitted': 'auto-generated',
            'X-Auto-Response-Suppress': 'All',
          },
        });
      } catch (err) {
        const e = err as { permanent?: boolean; responseCode?: number; code?: string };
        const retryable = e.permanent !== true && e.code !== 'ECONFIG';
        throw new DeliveryError(`email to ${to.email} failed: ${errorText(err)}`, {
          retryable,
          status: typeof e.responseCode === 'number' ? e.responseCode : undefined,
          code: typeof e.code === 'string' ? e.code : undefined,
          cause: err,
        });
      }
    },
    close(): void {
      transporter.close();
    },
  };
}
