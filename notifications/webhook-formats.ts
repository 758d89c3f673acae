/**
 * Webhook request builders, one per receiver format. Pure: no network; `opts.now` fixes the clock.
 *
 * - `generic`: our own JSON, HMAC-SHA256 signed (`X-LTC-Signature`), see `verifyGenericSignature`.
 * - `wecom`: 企业微信 group robot, markdown message (no signing; the key is in the URL).
 * - `dingtalk`: 钉钉 custom robot, markdown message; optional 加签 (timestamp + sign in the query).
 * - `feishu`: 飞书/Lark custom bot, interactive card with a markdown element; optional 签名校验
 *   (timestamp + sign in the body).
 * - `slack`: incoming webhook, one mrkdwn section block.
 *
 * Text from users cannot mention anyone in the chat formats (see `mentions.ts`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NotificationKind, OutgoingNotification } from '../domain/notifications/types';
import { neutraliseDingTalkMentions, neutraliseFeishuMentions, neutraliseWeComMentions } from './mentions';

export const WEBHOOK_FORMATS = ['generic', 'wecom', 'dingtalk', 'feishu', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookBuildOptions {
  url: string;
  secret?: string | null;
  now?: Date;
}

/** Body of a `generic` webhook. */
export interface GenericWebhookBody {
  id: string;
  kind: NotificationKind;
  dealId: string;
  stage: string;
  recipients: string[];
  text: string;
  at: string;
}

export const GENERIC_HEADERS = {
  timestamp: 'X-LTC-Timestamp',
  signature: 'X-LTC-Signature',
  id: 'X-LTC-Id',
} as const;

/** WeCom rejects markdown content over 4096 bytes (UTF-8). */
const WECOM_MAX_BYTES = 4096;
/** DingTalk documents 20000 bytes for markdown text; stay below. */
const DINGTALK_MAX_BYTES = 18000;
/** Feishu cards may be up to 30 KB in total. */
const FEISHU_MAX_BYTES = 20000;
/** Slack section text is limited to 3000 characters. */
const SLACK_MAX_CHARS = 3000;

const JSON_HEADERS = { 'Content-Type': 'application/json' };

const FEISHU_TEMPLATES: Record<NotificationKind, string> = {
  task: 'blue',
  reminder: 'orange',
  escalation: 'red',
  decision: 'turquoise',
  status: 'grey',
};

function unixSeconds(now: Date): number {
  return Math.floor(now.getTime() / 1000);
}

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + rawBody)>`. */
export function signGeneric(secret: string, timestamp: string | number, rawBody: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(rawBody);
  return `sha256=${mac.digest('hex')}`;
}

type HeaderValue = string | string[] | null | undefined;

function single(value: HeaderValue): string | null {
  if (Array.isArray(value)) return value.length === 1 ? value[0] : null;
  return typeof value === 'string' ? value.trim() : null;
}

/**
 * Check a `generic` webhook: the signature must match `signGeneric(secret, timestamp, rawBody)`
 * (constant-time compare) and the timestamp must be within `toleranceSec` of `now` either way,
 * so a captured request cannot be replayed later. `rawBody` must be the exact bytes received.
 */
export function verifyGenericSignature(
  secret: string,
  timestampHeader: HeaderValue,
  signatureHeader: HeaderValue,
  rawBody: string | Buffer,
  opts: { toleranceSec?: number; now?: Date } = {},
): boolean {
  if (!secret) return false;
  const timestamp = single(timestampHeader);
  const signature = single(signatureHeader);
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  const toleranceSec = opts.toleranceSec ?? 300;
  const nowSec = unixSeconds(opts.now ?? new Date());
  if (Math.abs(nowSec - Number(timestamp)) > toleranceSec) return false;
  const expected = Buffer.from(signGeneric(secret, timestamp, rawBody), 'utf8');
  const given = Buffer.from(signature.toLowerCase(), 'utf8');
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

/** DingTalk 加签: base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)), not url-encoded. */
export function signDingTalk(secret: string, timestampMs: string | number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** Feishu 签名校验: base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")). */
export function signFeishu(secret: string, timestampSec: string | number): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Cut `s` to at most `max` units (as measured), on a code point boundary, adding an ellipsis. */
function cut(s: string, max: number, measure: (s: string) => number): string {
  if (measure(s) <= max) return s;
  const chars = Array.from(s);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(chars.slice(0, mid).join('') + '…') <= max) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join('') + '…';
}

/** Fit a rendered message into a size limit, shortening the middle and keeping the last line (the link). */
function fitMessage(markdown: string, max: number, measure: (s: string) => number): string {
  if (measure(markdown) <= max) return markdown;
  const nl = markdown.lastIndexOf('\n');
  if (nl < 0) return cut(markdown, max, measure);
  const last = markdown.slice(nl + 1);
  const room = max - measure(last) - measure('\n\n');
  if (room <= 0) return cut(markdown, max, measure);
  return `${cut(markdown.slice(0, nl).trimEnd(), room, measure)}\n\n${last}`;
}

/** Drop the leading `**title**` line (card formats show the title in their header). */
function withoutTitleLine(markdown: string): string {
  const lines = markdown.split('\n');
  if (lines.length > 1 && lines[0].startsWith('**') && lines[0].endsWith('**')) {
    return lines.slice(1).join('\n').replace(/^\n+/, '');
  }
  return markdown;
}

function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Parse `[text](url)` starting at `start` (which holds `[`). */
function parseLink(md: string, start: number): { text: string; url: string; end: number } | null {
  const m = /^\[([^[\]\n]*)\]\(([^()\s]+)\)/.exec(md.slice(start));
  return m ? { text: m[1], url: m[2], end: start + m[0].length } : null;
}

/**
 * Convert our markdown subset to Slack mrkdwn: `[t](u)` -> `<u|t>`, `**b**` -> `*b*`,
 * `&<>` entity-escaped, `- ` items -> `• `.
 */
export function markdownToSlack(md: string): string {
  let out = '';
  let i = 0;
  while (i < md.length) {
    const c = md[i];
    if (c === '*' && md[i + 1] === '*') {
      out += '*';
      i += 2;
    } else if (c === '[') {
      const link = parseLink(md, i);
      if (link) {
        out += `<${slackEscape(link.url)}|${slackEscape(link.text).replace(/\|/g, '¦')}>`;
        i = link.end;
      } else {
        out += c;
        i += 1;
      }
    } else {
      out += slackEscape(c);
      i += 1;
    }
  }
  return out.replace(/^- /gm, '• ');
}

/** Append `timestamp` and `sign` query parameters (DingTalk), keeping the URL otherwise as given. */
function appendQuery(url: string, params: Record<string, string>): string {
  const query = Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const fragment = hash >= 0 ? url.slice(hash) : '';
  const sep = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${sep}${query}${fragment}`;
}

/** Build the HTTP request (POST) that delivers `n` to a webhook of the given format. */
export function buildWebhookRequest(
  format: WebhookFormat,
  n: OutgoingNotification,
  opts: WebhookBuildOptions,
): WebhookRequest {
  const now = opts.now ?? new Date();
  const secret = opts.secret || null;
  const { title, text, markdown } = n.message;

  switch (format) {
    case 'generic': {
      const payload: GenericWebhookBody = {
        id: n.id,
        kind: n.kind,
        dealId: n.dealId,
        stage: n.stage,
        recipients: n.recipients,
        text,
        at: n.at,
      };
      const body = JSON.stringify(payload);
      const timestamp = String(unixSeconds(now));
      const headers: Record<string, string> = {
        ...JSON_HEADERS,
        [GENERIC_HEADERS.timestamp]: timestamp,
        [GENERIC_HEADERS.id]: n.id,
      };
      if (secret) headers[GENERIC_HEADERS.signature] = signGeneric(secret, timestamp, body);
      return { url: opts.url, headers, body };
    }

    case 'wecom': {
      const body = JSON.stringify({
        msgtype: 'markdown',
        markdown: { content: fitMessage(neutraliseWeComMentions(markdown), WECOM_MAX_BYTES, byteLength) },
      });
      return { url: opts.url, headers: { ...JSON_HEADERS }, body };
    }

    case 'dingtalk': {
      const body = JSON.stringify({
        msgtype: 'markdown',
        markdown: {
          title: neutraliseDingTalkMentions(title),
          text: fitMessage(neutraliseDingTalkMentions(markdown), DINGTALK_MAX_BYTES, byteLength),
        },
      });
      let url = opts.url;
      if (secret) {
        const timestamp = String(now.getTime());
        url = appendQuery(url, { timestamp, sign: signDingTalk(secret, timestamp) });
      }
      return { url, headers: { ...JSON_HEADERS }, body };
    }

    case 'feishu': {
      const card = {
        config: { wide_screen_mode: true },
        header: {
          title: { tag: 'plain_text', content: neutraliseFeishuMentions(title) },
          template: FEISHU_TEMPLATES[n.kind] ?? 'blue',
        },
        elements: [
          {
            tag: 'markdown',
            content: fitMessage(
              neutraliseFeishuMentions(withoutTitleLine(markdown)),
              FEISHU_MAX_BYTES,
              byteLength,
            ),
          },
        ],
      };
      const payload: Record<string, unknown> = {};
      if (secret) {
        const timestamp = String(unixSeconds(now));
        payload.timestamp = timestamp;
        payload.sign = signFeishu(secret, timestamp);
      }
      payload.msg_type = 'interactive';
      payload.card = card;
      return { url: opts.url, headers: { ...JSON_HEADERS }, body: JSON.stringify(payload) };
    }

    case 'slack': {
      const mrkdwn = fitMessage(markdownToSlack(markdown), SLACK_MAX_CHARS, (s) => s.length);
      const body = JSON.stringify({
        text: slackEscape(title),
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }],
      });
      return { url: opts.url, headers: { ...JSON_HEADERS }, body };
    }

    default: {
      const unknown: never = format;
      throw new Error(`unknown webhook format: ${String(unknown)}`);
    }
  }
}
