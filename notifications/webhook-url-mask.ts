/**
 * Webhook URLs of the chat platforms carry their credential: whoever reads one can post into the
 * group. `maskWebhookUrl` hides it for display (`GET /webhooks`), keeping the last 4 characters of
 * a long secret so ops can still tell two hooks apart:
 *
 * - query values of credential-like parameters: WeCom `key=`, DingTalk `access_token=`, and
 *   `token`, `secret`, `sign`, `signature`, `api_key`, ...;
 * - Feishu/Lark `/open-apis/bot/v2/hook/<token>`, Slack `/services/T…/B…/<secret>`;
 * - any other path segment that looks like a random token (24+ letters and digits, mixed);
 * - the password of `user:password@`.
 */

const SECRET_PARAMS = new Set([
  'key',
  'access_token',
  'token',
  'secret',
  'sign',
  'signature',
  'sig',
  'api_key',
  'apikey',
  'auth',
  'code',
]);

const MASK = '****';

function mask(value: string): string {
  return value.length >= 12 ? `${MASK}${value.slice(-4)}` : MASK;
}

function looksLikeToken(segment: string): boolean {
  return /^[A-Za-z0-9_-]{24,}$/.test(segment) && /[0-9]/.test(segment) && /[A-Za-z]/.test(segment);
}

/** Indexes of the path segments that hold a platform's secret. */
function secretSegments(segments: string[]): Set<number> {
  const out = new Set<number>();
  const hook = segments.findIndex(
    (s, i) => s === 'hook' && segments.slice(i - 3, i).join('/') === 'open-apis/bot/v2',
  );
  if (hook >= 0 && hook + 1 < segments.length) out.add(hook + 1); // Feishu / Lark
  const services = segments.indexOf('services');
  if (services >= 0 && segments.length > services + 3) out.add(services + 3); // Slack
  segments.forEach((s, i) => {
    if (looksLikeToken(s)) out.add(i);
  });
  return out;
}

/** The URL with its credentials masked; an unparsable value is masked whole. */
export function maskWebhookUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return MASK;
  }
  if (u.password) u.password = MASK;
  const segments = u.pathname.split('/');
  const secret = secretSegments(segments);
  if (secret.size) u.pathname = segments.map((s, i) => (secret.has(i) && s ? mask(s) : s)).join('/');
  const params = [...u.searchParams];
  if (params.some(([name]) => SECRET_PARAMS.has(name.toLowerCase()))) {
    const masked = new URLSearchParams();
    for (const [name, value] of params) {
      masked.append(name, SECRET_PARAMS.has(name.toLowerCase()) && value ? mask(value) : value);
    }
    u.search = masked.toString();
  }
  if (u.hash.length > 1) u.hash = MASK;
  return u.toString();
}
