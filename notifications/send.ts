/**
 * Delivery failures and the SMTP email sender (nodemailer); webhooks are sent by `webhook-send.ts`.
 *
 * Every failure is a `DeliveryError` whose `retryable` tells the calling activity whether to let
 * Temporal retry (network trouble, 5xx, 408, 429, chat platforms' error codes) or to give up
 * (other 4xx, a refused address, permanent SMTP rejections). Its message is a short reason of our
 * own (`HTTP 500`, `SMTP 550`, `timeout`, ...), never the receiver's answer. Delivery is at least
 * once: receivers dedupe on the notification id (`X-LTC-Id` header, email `Message-ID`).
 */

import type { SMTPTransportOptions } from 'nodemailer';
import { createTransport } from 'nodemailer';
import type { OutgoingNotification } from '../domain/notifications/types';

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

/**
 * A short reason of our own for a network or TLS failure: the stored `last_error` never carries
 * text a receiver wrote.
 */
export function networkReason(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : '';
  if (code === 'EADDRNOTALLOWED') return 'address not allowed';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection reset';
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || code === 'ETIMEOUT') return 'timeout';
  if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_NODATA') return 'host not found';
  if (code === 'EAI_AGAIN') return 'DNS lookup failed';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN') return 'host unreachable';
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH/.test(code)) return 'TLS error';
  if (code === 'ECONNECTION' || code === 'ESOCKET') return 'connection failed';
  return /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? `network error (${code})` : 'network error';
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
        // the SMTP reply code only: the server's reply text is not ours to keep
        const reason = typeof e.responseCode === 'number' ? `SMTP ${e.responseCode}` : networkReason(err);
        throw new DeliveryError(reason, {
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
