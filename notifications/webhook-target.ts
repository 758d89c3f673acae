/**
 * Which hosts a webhook may reach. A webhook POSTs to a URL ops typed in, from inside our network:
 * without a check it could reach the database, the Temporal frontend, the cloud metadata service or
 * the API itself. So only public unicast addresses are reached, unless the host is on the allow-list
 * (`WEBHOOK_ALLOW_HOSTS`, e.g. an internal chat gateway).
 *
 * The address classes come from `ipaddr.js`: anything it does not call `unicast` (loopback,
 * private, link-local, CGNAT, multicast, unspecified, broadcast, reserved, unique-local, 6to4,
 * NAT64, ...) is refused; an IPv4-mapped IPv6 address is judged as its IPv4 address. Odd spellings
 * (`http://2130706433/`, `http://0x7f.1/`) are normalised by the WHATWG URL parser first.
 *
 * The check runs when a webhook is created (`checkWebhookTarget`) and again when each delivery
 * connects (`connectLookup`: the DNS answer the socket actually connects to), since DNS answers
 * change between the two.
 */
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface WebhookTargetPolicy {
  /** Normalised `host` or `host:port` entries (see `parseAllowHosts`) that may be reached whatever they resolve to. */
  allowHosts: ReadonlySet<string>;
  /** DNS lookup, `dns.lookup` by default (a seam for tests). */
  lookup?: LookupFunction;
}

/** No allow-list, real DNS: only public addresses. */
export const STRICT_WEBHOOK_POLICY: WebhookTargetPolicy = { allowHosts: new Set() };

/** The error of a refused address; `code` is `EADDRNOTALLOWED`. */
export class AddressNotAllowedError extends Error {
  override readonly name = 'AddressNotAllowedError';
  readonly code = 'EADDRNOTALLOWED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(`${host} resolves to ${address} (${range}), which webhooks may not reach`);
  }
}

/** The URL parser's form of a host (lower case, IPv4 in dotted quad, IPv6 in brackets); null if invalid. */
function normaliseHost(host: string): string | null {
  try {
    const u = new URL(`http://${host}/`);
    return u.username || u.password || u.port || u.pathname !== '/' ? null : u.hostname;
  } catch {
    return null;
  }
}

/**
 * Parse `WEBHOOK_ALLOW_HOSTS`: comma-separated `host` or `host:port` entries (`chat.internal`,
 * `10.0.0.5:8080`, `[fd00::1]:443`). Throws an Error naming the first bad entry.
 */
export function parseAllowHosts(value: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    // `[v6]:port`, `[v6]`, a bare IPv6 address (two or more colons), or `host[:port]`
    const m =
      /^(\[[^\]]+\])(?::(\d{1,5}))?$/.exec(entry) ??
      (entry.split(':').length > 2 ? [entry, `[${entry}]`, undefined] : null) ??
      /^([^:]+)(?::(\d{1,5}))?$/.exec(entry);
    const host = m ? normaliseHost(m[1]) : null;
    const port = m?.[2] === undefined ? null : Number(m[2]);
    if (!host || (port !== null && (port < 1 || port > 65535))) {
      throw new Error(`"${entry}" is not a host or host:port`);
    }
    out.add(port === null ? host : `${host}:${port}`);
  }
  return out;
}

function effectivePort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Whether the URL's host (or host:port) is on the allow-list. */
export function isAllowListed(url: URL, policy: WebhookTargetPolicy): boolean {
  return (
    policy.allowHosts.has(url.hostname) || policy.allowHosts.has(`${url.hostname}:${effectivePort(url)}`)
  );
}

/** `unicast` for an address webhooks may reach, otherwise its range (`loopback`, `private`, ...). */
export function addressRange(address: string): string {
  if (!ipaddr.isValid(address)) return 'invalid';
  return ipaddr.process(address).range();
}

export function isPublicAddress(address: string): boolean {
  return addressRange(address) === 'unicast';
}

/** The IP address a URL names literally (brackets of IPv6 removed), or null for a host name. */
function literalAddress(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : null;
}

function lookupAll(lookup: LookupFunction, host: string): Promise<dns.LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(host, { all: true }, (err, addresses) => {
      if (err) reject(err);
      else resolve(Array.isArray(addresses) ? addresses : [{ address: addresses, family: 0 }]);
    });
  });
}

const LOOKUP_TIMEOUT_MS = 5_000;

/**
 * The check at creation. Answers null when the URL may be used, otherwise why not. A host name that
 * does not resolve (yet) is accepted: every delivery checks again when it connects.
 */
export async function checkWebhookTarget(url: URL, policy: WebhookTargetPolicy): Promise<string | null> {
  if (isAllowListed(url, policy)) return null;
  const literal = literalAddress(url);
  if (literal) {
    const range = addressRange(literal);
    return range === 'unicast' ? null : `${url.hostname} is a ${range} address, which webhooks may not reach`;
  }
  let addresses: dns.LookupAddress[];
  try {
    let timer: NodeJS.Timeout | undefined;
    addresses = await Promise.race([
      lookupAll(policy.lookup ?? dns.lookup, url.hostname),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('DNS lookup timed out')), LOOKUP_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  } catch {
    return null;
  }
  for (const a of addresses) {
    const range = addressRange(a.address);
    if (range !== 'unicast') {
      return `${url.hostname} resolves to ${a.address} (${range}), which webhooks may not reach`;
    }
  }
  return null;
}

/**
 * The check at delivery, before anything is sent. Throws `AddressNotAllowedError` for a literal
 * address that is refused; answers the `lookup` to connect with, which refuses (with the same
 * error) a host name resolving to any refused address, so the socket only ever connects to an
 * address that passed. Allow-listed hosts get the plain lookup.
 */
export function connectLookup(url: URL, policy: WebhookTargetPolicy): LookupFunction {
  const base = policy.lookup ?? dns.lookup;
  if (isAllowListed(url, policy)) return base;
  const literal = literalAddress(url);
  if (literal && !isPublicAddress(literal)) {
    throw new AddressNotAllowedError(url.hostname, literal, addressRange(literal));
  }
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = Array.isArray(addresses) ? addresses : [{ address: addresses, family: 0 }];
      const refused = list.find((a) => !isPublicAddress(a.address));
      if (refused || list.length === 0) {
        const address = refused?.address ?? '';
        const error = new AddressNotAllowedError(hostname, address, addressRange(address));
        return callback(error as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
