import type { LookupFunction } from 'node:net';
import {
  addressRange,
  checkWebhookTarget,
  isAllowListed,
  parseAllowHosts,
  type WebhookTargetPolicy,
} from '../../notifications/webhook-target';

/** A DNS answering from a table (names not in it do not exist). */
function dnsTable(table: Record<string, string[]>): LookupFunction {
  return (host, options, cb) => {
    const addresses = table[host];
    if (!addresses) {
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return cb(err, '', 0);
    }
    const list = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    if (options.all) cb(null, list);
    else cb(null, list[0].address, list[0].family);
  };
}

describe('parseAllowHosts', () => {
  test('host and host:port entries, normalised as the URL parser does', () => {
    expect([...parseAllowHosts(' Chat.Internal , 10.0.0.5:8080,[FD00::1]:443, ::1,2130706433:80,,')]).toEqual(
      ['chat.internal', '10.0.0.5:8080', '[fd00::1]:443', '[::1]', '127.0.0.1:80'],
    );
    expect(parseAllowHosts(undefined).size).toBe(0);
    expect(parseAllowHosts('').size).toBe(0);
  });

  test.each(['a b', 'x:99999', 'x:0', 'http://x', 'x/y', 'u@x', 'x:port'])('refuses %p', (entry) => {
    expect(() => parseAllowHosts(entry)).toThrow(entry);
  });

  test('an entry with a port allows that port only; without, every port', () => {
    const policy = { allowHosts: parseAllowHosts('gw.internal:8443,10.1.2.3') };
    expect(isAllowListed(new URL('https://gw.internal:8443/x'), policy)).toBe(true);
    expect(isAllowListed(new URL('https://gw.internal/x'), policy)).toBe(false);
    expect(isAllowListed(new URL('http://10.1.2.3:9/x'), policy)).toBe(true);
    expect(isAllowListed(new URL('http://10.1.2.4/x'), policy)).toBe(false);
    // default ports count: gw.internal:443 is https://gw.internal/
    expect(
      isAllowListed(new URL('https://gw.internal/x'), { allowHosts: parseAllowHosts('gw.internal:443') }),
    ).toBe(true);
  });
});

describe('address classes (ipaddr.js)', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['10.20.30.40', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.251', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['93.184.216.34', 'unicast'],
    ['2606:4700:4700::1111', 'unicast'],
  ])('%s is %s', (address, range) => {
    expect(addressRange(address)).toBe(range);
  });
});

describe('checkWebhookTarget (at creation)', () => {
  const lookup = dnsTable({
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
    'inside.example.com': ['93.184.216.34', '10.0.0.7'],
    'rebind.example.com': ['127.0.0.1'],
    'gw.internal': ['10.9.9.9'],
  });
  const policy: WebhookTargetPolicy = { allowHosts: parseAllowHosts('gw.internal'), lookup };
  const check = (url: string) => checkWebhookTarget(new URL(url), policy);

  test.each([
    'http://127.0.0.1:5432/',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]:7233/',
    'http://10.1.2.3/hook',
    'http://100.64.0.9/hook',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://0/',
    'http://[fd00::1]/',
    'http://224.0.0.1/',
  ])('refuses %s', async (url) => {
    expect(await check(url)).toMatch(/which webhooks may not reach$/);
  });

  test('a name resolving to any refused address is refused', async () => {
    expect(await check('https://rebind.example.com/hook')).toBe(
      'rebind.example.com resolves to 127.0.0.1 (loopback), which webhooks may not reach',
    );
    expect(await check('https://inside.example.com/hook')).toMatch(/10\.0\.0\.7 \(private\)/);
  });

  test('public addresses, allow-listed hosts and names that do not resolve (yet) pass', async () => {
    expect(await check('https://hooks.example.com/hook')).toBeNull();
    expect(await check('http://93.184.216.34/hook')).toBeNull();
    expect(await check('http://gw.internal:8080/hook')).toBeNull();
    expect(await check('https://nowhere.example.com/hook')).toBeNull();
  });

  test('localhost resolves (real DNS) to loopback', async () => {
    expect(
      await checkWebhookTarget(new URL('http://localhost:3000/users'), { allowHosts: new Set() }),
    ).toMatch(/^localhost resolves to (127\.0\.0\.1|::1) \(loopback\)/);
  });
});
