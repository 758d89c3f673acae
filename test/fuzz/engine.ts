/**
 * The fuzz engine behind `npm run fuzz` (scripts/fuzz.ts, 10,000+ requests) and the short run in
 * `npm test` (test/integration/fuzz.test.ts): fast-check generates requests for EVERY route of the
 * app's route registry, sends them over real HTTP to the real app on the real Temporal and
 * Postgres of an integration `World`, and checks:
 *
 * - no response is a 5xx;
 * - every 4xx is `application/problem+json`, and every 400 names the field(s) at fault
 *   (`errors[].path`); a bad, expired, revoked or deactivated token is 401 (or 429);
 * - a body the route's own schema refuses is never accepted; admin/ops-only routes never answer
 *   2xx to others; concurrent duplicates with one Idempotency-Key create one thing;
 * - no deal changed that the requester was not allowed to change: the "vault" deals (whose
 *   people and managers send nothing) are compared row by row with a snapshot, and every new
 *   timeline entry of any deal is by someone entitled to act on it;
 * - every deal touched still takes a hold and a resume (or has ended as completed, lost or
 *   cancelled), and no deal workflow failed.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import querystring from 'node:querystring';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import type { z } from 'zod';
import { hashToken } from '../../api/auth/tokens';
import { answerClientErrors } from '../../api/http/client-errors';
import type { RegisteredRoute } from '../../api/http/route';
import { apiTokens, users } from '../../db/schema';
import { findUnstorableText } from '../../domain/text';
import {
  applyDefinition,
  createOrg,
  createUser,
  loadDefaultDefinition,
  type TestUser,
  type World,
  webhookAllowHosts,
} from '../integration/support/world';
import { definitionArb, HOSTILE_YAML, minimalDefinition } from './definitions';
import { anyKey, anyText, anyValue, NASTY_PATH_IDS, toJsonText } from './values';
import { type Hints, sampleOf } from './zod-sample';

export interface FuzzOptions {
  /** How many requests to send (duplicates of an Idempotency-Key group each count). */
  requests: number;
  seed?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  log?: (msg: string) => void;
}

export interface FuzzReport {
  requests: number;
  /** `GET /deals/:id` → status → count. */
  byRoute: Map<string, Map<number, number>>;
  violations: string[];
  dealsChecked: number;
  seed: number;
  ms: number;
}

type Transport =
  | { kind: 'json' }
  | { kind: 'yaml'; text: string }
  | { kind: 'raw'; text: string; contentType?: string; label: string }
  | { kind: 'none' };

interface Req {
  route: RegisteredRoute;
  /** Index into the requester list, or a bad credential. */
  auth: { principal: number } | { bad: string; header?: string };
  params: Record<string, string>;
  /** Whether a param holds an encoding the router may refuse before the route runs. */
  oddPath: boolean;
  query: [string, string][];
  body: unknown;
  transport: Transport;
  contentType?: string;
  idempotencyKey?: string;
  copies: number;
}

interface Res {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

interface Principal extends TestUser {
  kind: 'admin' | 'ops' | 'manager' | 'member';
}

const MB = 1024 * 1024;

/** What the org, process and deals of one run are. */
interface Fixture {
  principals: Principal[];
  badTokens: Record<string, string>;
  vaultPeople: string[];
  victims: string[];
  processKey: string;
  applyKeys: string[];
  stageKeys: string[];
  ownDeals: string[];
  vaultDeals: string[];
  ops: TestUser;
}

/** Ids found in answers, fed back into later requests. */
interface Harvest {
  deals: string[];
  /** Who each deal waits on, from the deals in answers: coherent sign-offs move deals along. */
  waiting: { dealId: string; stage: string; role: string; userId: string }[];
  notifications: string[];
  webhooks: string[];
  tokens: string[];
  cursors: string[];
}

const pickFrom = <T>(list: T[], n: number): T | undefined =>
  list.length ? list[n % list.length] : undefined;

// ------------------------------------------------------------------------------------------------
// Set-up: an org that sends requests, a "vault" org that never does, deals of both, bad tokens.

async function setUp(world: World, log: (m: string) => void): Promise<Fixture> {
  const org = await createOrg(world);
  const admin = await createUser(world, { id: 'fz-admin', roles: ['admin'] });
  const outsider = await createUser(world, { id: 'fz-outsider' });
  const vmgr = await createUser(world, { id: 'fz-vault-mgr', roles: ['manager'] });
  const vault = await Promise.all(
    ['ar', 'sr', 'fr'].map((r) => createUser(world, { id: `fz-vault-${r}`, managerId: vmgr.id })),
  );
  const victims = await Promise.all([1, 2, 3].map((i) => createUser(world, { id: `fz-victim-${i}` })));
  const deactivated = await createUser(world, { id: 'fz-deactivated' });
  await world.db.update(users).set({ deactivatedAt: new Date() }).where(eq(users.id, deactivated.id));
  const expired = `ltc_${randomUUID().replace(/-/g, '')}expired`;
  const revoked = `ltc_${randomUUID().replace(/-/g, '')}revoked`;
  await world.db.insert(apiTokens).values([
    {
      id: randomUUID(),
      userId: org.ar.id,
      tokenHash: hashToken(expired),
      expiresAt: new Date(Date.now() - 1000),
    },
    { id: randomUUID(), userId: org.sr.id, tokenHash: hashToken(revoked), revokedAt: new Date() },
  ]);

  const def = loadDefaultDefinition();
  await applyDefinition(world, def);
  // A second version, so version 1 is an older one only ops may name.
  const v2 = await applyDefinition(world, { ...def, name: { en: 'Lead to Cash (fuzz)', zh: def.name.zh } });
  const processKey = v2.key;

  const principals: Principal[] = [
    { ...org.ops, kind: 'ops' },
    { ...admin, kind: 'admin' },
    { ...org.director, kind: 'manager' },
    { ...org.manager, kind: 'manager' },
    { ...org.sdt, kind: 'manager' },
    { ...org.ar, kind: 'member' },
    { ...org.sr, kind: 'member' },
    { ...org.fr, kind: 'member' },
    { ...outsider, kind: 'member' },
  ];
  const post = (as: TestUser, path: string, body: unknown) =>
    send({
      method: 'POST',
      path,
      headers: { ...as.auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const newDeal = async (as: TestUser, triangle: Record<string, string>, amount: number, title: string) => {
    const res = await post(as, '/deals', {
      title,
      account: { name: 'Fuzz account' },
      value: { amount, currency: 'USD' },
      triangle,
      process: { key: processKey },
    });
    if (res.status !== 201) throw new Error(`fuzz set-up: deal not created (${res.status} ${res.text})`);
    return (res.json as { id: string }).id;
  };
  const tri = { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id };
  const vtri = { AR: vault[0].id, SR: vault[1].id, FR: vault[2].id };
  const ownDeals: string[] = [];
  for (let i = 0; i < 6; i++)
    ownDeals.push(await newDeal(org.manager, tri, i % 2 ? 900_000 : 1000, `Fuzz own ${i}`));
  const vaultDeals: string[] = [];
  for (let i = 0; i < 3; i++)
    vaultDeals.push(await newDeal(org.ops, vtri, i % 2 ? 900_000 : 1000, `Fuzz vault ${i}`));
  log(
    `set-up: ${principals.length} requesters, ${ownDeals.length} deals of theirs, ${vaultDeals.length} vault deals`,
  );

  return {
    principals,
    badTokens: {
      expired,
      revoked,
      deactivated: deactivated.token,
      unknown: `ltc_${randomUUID().replace(/-/g, '')}`,
      garbage: 'not-a-token',
      long: `ltc_${'a'.repeat(5000)}`,
    },
    vaultPeople: [vmgr.id, ...vault.map((v) => v.id)],
    victims: victims.map((v) => v.id),
    processKey,
    applyKeys: [`fz-a-${world.ns}`, `fz-b-${world.ns}`],
    stageKeys: def.stages.map((s) => s.key),
    ownDeals,
    vaultDeals,
    ops: org.ops,
  };
}

// ------------------------------------------------------------------------------------------------
// Generation

function hintsFor(fx: Fixture): Hints {
  const people = [...fx.principals.map((p) => p.id), ...fx.vaultPeople, ...fx.victims, 'nobody-at-all'];
  const iso = (ms: number) => new Date(Date.now() + ms).toISOString();
  const text = fc.constantFrom('Fuzz deal', '广州数据中心扩容', 'budget confirmed', 'x');
  const byField: Record<string, fc.Arbitrary<unknown>> = {
    title: text,
    name: text,
    reason: text,
    comment: text,
    label: text,
    tier: fc.constantFrom('strategic', 'key'),
    AR: fc.constantFrom(...people),
    SR: fc.constantFrom(...people),
    FR: fc.constantFrom(...people),
    userId: fc.constantFrom(...people),
    delegateId: fc.constantFrom(...people),
    managerId: fc.constantFrom(...people),
    teamManagerId: fc.constantFrom(...people),
    // Most deals stand at the first stages; the first is the one most of them are at.
    stage: fc.oneof(
      { arbitrary: fc.constant(fx.stageKeys[0]), weight: 6 },
      { arbitrary: fc.constantFrom(...fx.stageKeys.slice(1, 4)), weight: 3 },
      { arbitrary: fc.constantFrom(...fx.stageKeys), weight: 1 },
    ),
    key: fc.constantFrom(fx.processKey, ...fx.applyKeys),
    processKey: fc.constantFrom(fx.processKey),
    currency: fc.constantFrom('USD', 'USD', 'CNY', 'EUR'),
    email: fc.uuid().map((u) => `fz-${u.slice(0, 8)}@example.test`),
    id: fc.uuid().map((u) => `fz-${u.slice(0, 8)}`),
    from: fc.constantFrom(iso(-60_000), iso(0)),
    until: fc.constantFrom(iso(3_600_000), iso(86_400_000)),
    to: fc.constantFrom(iso(0), iso(86_400_000)),
    expiresAt: fc.constantFrom(iso(3_600_000), iso(-3_600_000)),
    url: fc.constantFrom(
      'http://127.0.0.1:9/fuzz-hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:7233/',
      'http://10.0.0.1/x',
      'https://hook.invalid/x',
      'ftp://127.0.0.1:9/',
    ),
    secret: fc.constantFrom('fuzz-secret'),
  };
  const numbers: Record<string, fc.Arbitrary<unknown>> = {
    amount: fc.constantFrom(1, 1000, 699_999.99, 700_000, 5_000_000),
    version: fc.constantFrom(1, 2),
    limit: fc.constantFrom(1, 2, 50, 200),
    from: fc.constantFrom(1, 2),
    to: fc.constantFrom(1, 2),
  };
  const team = [...fx.principals.filter((p) => p.kind === 'member').map((p) => p.id), ...fx.victims];
  const objects: Record<string, fc.Arbitrary<unknown>> = {
    // Mostly a deal that can be created: the run's process, three different people.
    process: fc.record(
      { key: fc.constantFrom(fx.processKey), version: fc.constantFrom(1, 2) },
      { requiredKeys: ['key'] },
    ),
    cursor: fc.constant(undefined), // forged and harvested cursors come as extra query parameters
    triangle: fc
      .shuffledSubarray(team, { minLength: 3, maxLength: 3 })
      .map(([AR, SR, FR]) => ({ AR, SR, FR })),
  };
  return (field, kind) =>
    kind === 'object' ? objects[field] : kind === 'number' ? numbers[field] : byField[field];
}

type Path = (string | number)[];

function pathsOf(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (prefix.length > 6) return out;
  if (Array.isArray(v)) for (const [i, x] of v.slice(0, 5).entries()) pathsOf(x, [...prefix, i], out);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) pathsOf(x, [...prefix, k], out);
  return out;
}

function setAt(
  root: unknown,
  path: Path,
  value: unknown,
  op: 'set' | 'delete' | 'add',
  key?: string,
): unknown {
  if (path.length === 0) {
    if (op === 'add' && root && typeof root === 'object' && !Array.isArray(root)) {
      return Object.defineProperty({ ...(root as object) }, key!, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return op === 'delete' ? undefined : value;
  }
  const clone = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<
    string | number,
    unknown
  >;
  const [head, ...rest] = path;
  if (rest.length === 0 && op === 'delete') {
    if (Array.isArray(clone)) clone.splice(head as number, 1);
    else delete clone[head];
    return clone;
  }
  clone[head] = setAt(clone[head], rest, value, op, key);
  return clone;
}

/** A base value broken in one place (or left alone): replace, delete, add a key, or swap it whole. */
function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<{ value: unknown; broken: boolean }> {
  return base.chain((b) => {
    const paths = pathsOf(b);
    return fc
      .record({
        op: fc.constantFrom(
          'keep',
          'keep',
          'keep',
          'keep',
          'keep',
          'set',
          'set',
          'set',
          'delete',
          'add',
          'whole',
        ),
        at: fc.nat(),
        value: anyValue,
        key: anyKey,
      })
      .map(({ op, at, value, key }) => {
        const path = paths[at % paths.length];
        switch (op) {
          case 'keep':
            return { value: b, broken: false };
          case 'whole':
            return { value, broken: true };
          case 'delete':
            return path.length
              ? { value: setAt(b, path, undefined, 'delete'), broken: true }
              : { value: b, broken: false };
          case 'add':
            return { value: setAt(b, path, value, 'add', key), broken: true };
          default:
            return { value: setAt(b, path, value, 'set'), broken: true };
        }
      });
  });
}

function b64(v: unknown): string {
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64url');
}

const FORGED_CURSORS = [
  b64({ u: 1, t: 'bogus', i: 'x' }),
  b64({ createdAt: '0000-01-01T00:00:00.000Z', id: '00000000-0000-0000-0000-000000000000' }),
  b64({ createdAt: '2025-02-31T00:00:00.000Z', id: 'x' }),
  b64({ createdAt: '+275760-09-13T00:00:00.000Z', id: randomUUID() }),
  b64({ seq: -1 }),
  b64({ seq: 1e20 }),
  b64({ seq: '1' }),
  b64({ key: '\u0000' }),
  b64({ key: 'x'.repeat(5000) }),
  b64({ at: '2025-01-01T00:00:00.000000Z', id: "' OR 1=1 --" }),
  b64('[]'),
  b64('null'),
  b64('"\\ud800"'),
  b64('{"seq":1,"seq":2}'),
  b64('{'),
  'not base64!',
  '%00',
  '====',
  'x'.repeat(3000),
];

function requestArb(routes: readonly RegisteredRoute[], fx: Fixture, harvest: Harvest): fc.Arbitrary<Req> {
  const hints = hintsFor(fx);
  const paramPool = (route: RegisteredRoute, name: string, requester: Principal | undefined): string[] => {
    const top = route.path.split('/')[1];
    const write = route.method !== 'get';
    if (top === 'deals') {
      const ids = [...fx.ownDeals, ...harvest.deals, ...fx.vaultDeals];
      // Ops may act on any deal: keep them off the vault so it proves what others cannot do.
      return requester && (requester.kind === 'ops' || requester.kind === 'admin') && write
        ? [...fx.ownDeals, ...harvest.deals]
        : ids;
    }
    if (top === 'users' && name === 'id')
      return write
        ? ['me', ...fx.victims]
        : ['me', ...fx.victims, ...fx.principals.map((p) => p.id), ...fx.vaultPeople];
    if (name === 'tokenId') return harvest.tokens;
    if (top === 'webhooks') return harvest.webhooks;
    if (top === 'me' || top === 'notifications') return harvest.notifications;
    if (name === 'key') return [fx.processKey, ...fx.applyKeys, 'ltc-standard'];
    if (name === 'version') return ['1', '2', '3'];
    return [];
  };

  /** Who sends a request: mostly those who could succeed on the route, so deals move on. */
  const weightOf = (route: RegisteredRoute, p: Principal): number => {
    const role = p.id.split('-')[0];
    if (route.path.endsWith('/signoffs'))
      return ['ar', 'sr', 'fr'].includes(role) ? 5 : role === 'manager' ? 2 : 1;
    if (route.path.startsWith('/deals/:id') && route.method !== 'get')
      return role === 'manager' || role === 'director' ? 3 : 1;
    return 1;
  };
  const authArbFor = (route: RegisteredRoute) =>
    fc.oneof(
      {
        arbitrary: fc.oneof(
          ...fx.principals.map((p, principal) => ({
            arbitrary: fc.constant({ principal }),
            weight: weightOf(route, p),
          })),
        ),
        weight: 17,
      },
      { arbitrary: fc.constantFrom(...Object.keys(fx.badTokens)).map((bad) => ({ bad })), weight: 2 },
      {
        arbitrary: fc.constantFrom(
          { bad: 'none' },
          { bad: 'empty', header: 'Bearer ' },
          { bad: 'basic', header: 'Basic YWRtaW46YWRtaW4=' },
          { bad: 'scheme', header: 'bearer' },
          { bad: 'spaces', header: `Bearer  ${'x'.repeat(10)} y` },
          { bad: 'latin1', header: 'Bearer \u00e9\u00e9' },
        ),
        weight: 1,
      },
    );

  const principalIndex = new Map(fx.principals.map((p, i) => [p.id, i]));
  const vault = new Set(fx.vaultDeals);
  /** A sign-off by someone a deal waits on, for the stage it is at (as answers last showed it). */
  const coherentSignoff = (route: RegisteredRoute) => {
    const open = harvest.waiting.filter((w) => principalIndex.has(w.userId) && !vault.has(w.dealId));
    if (!open.length || !route.path.endsWith('/signoffs')) return undefined;
    return fc.tuple(fc.constantFrom(...open), fc.boolean(), fc.option(fc.uuid())).map(
      ([w, withRole, key]): Req =>
        ({
          route,
          auth: { principal: principalIndex.get(w.userId)! },
          params: { id: w.dealId },
          oddPath: false,
          query: [],
          body: {
            value: {
              stage: w.stage,
              ...(withRole ? { role: w.role } : {}),
              decision: 'approve',
              comment: 'fuzz',
            },
            broken: false,
          },
          transport: { kind: 'json' },
          idempotencyKey: key ?? undefined,
          copies: 1,
        }) as Req,
    );
  };

  return fc.constantFrom(...routes).chain((route) => {
    const coherent = coherentSignoff(route);
    const fuzzed = fuzzedRequest(route);
    return coherent ? fc.oneof({ arbitrary: fuzzed, weight: 1 }, { arbitrary: coherent, weight: 1 }) : fuzzed;
  });

  function fuzzedRequest(route: RegisteredRoute): fc.Arbitrary<Req> {
    return authArbFor(route).chain((auth: Req['auth']) => {
      const requester = 'principal' in auth ? fx.principals[auth.principal] : undefined;
      const names = [...route.path.matchAll(/:([A-Za-z_$][\w$]*)/g)].map((m) => m[1]);
      const paramArb = fc.tuple(
        ...names.map((name) =>
          fc.oneof(
            {
              arbitrary: fc
                .nat()
                .map((n) => ({ v: pickFrom(paramPool(route, name, requester), n), odd: false })),
              weight: 7,
            },
            { arbitrary: fc.uuid().map((v) => ({ v, odd: false })), weight: 1 },
            { arbitrary: fc.constantFrom(...NASTY_PATH_IDS).map((v) => ({ v, odd: true })), weight: 2 },
            { arbitrary: anyText.map((t) => ({ v: safeEncode(t), odd: false })), weight: 1 },
          ),
        ),
      );
      const querySchema = route.spec.query as z.ZodType | undefined;
      const baseQuery = querySchema ? sampleOf(querySchema, hints) : fc.constant({});
      const queryArb = fc
        .tuple(
          baseQuery,
          fc.oneof(
            { arbitrary: fc.constant<null>(null), weight: 10 },
            {
              arbitrary: fc.tuple(
                fc.oneof(
                  fc.constantFrom(
                    'limit',
                    'cursor',
                    'from',
                    'to',
                    'q',
                    'extra',
                    'status',
                    'unread',
                    'overdue',
                  ),
                  anyKey,
                ),
                anyText.map(String),
              ),
              weight: 3,
            },
            {
              arbitrary: fc.tuple(
                fc.constant('cursor'),
                fc.oneof(
                  fc.constantFrom(...FORGED_CURSORS),
                  fc.nat().map((n) => pickFrom(harvest.cursors, n) ?? FORGED_CURSORS[0]),
                ),
              ),
              weight: 2,
            },
            {
              arbitrary: fc.tuple(
                fc.constantFrom('limit', 'version', 'from', 'to'),
                fc.constantFrom(
                  '0',
                  '-1',
                  '201',
                  '1.5',
                  '1e3',
                  '9'.repeat(40),
                  'NaN',
                  'Infinity',
                  '0x10',
                  ' 5',
                  '',
                ),
              ),
              weight: 2,
            },
          ),
          fc.nat({ max: 9 }).map((n) => n === 0),
        )
        .map(([q, extra, dup]) => {
          const pairs: [string, string][] = Object.entries((q ?? {}) as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
          if (extra) pairs.push(extra as [string, string]);
          if (dup && pairs.length) pairs.push(pairs[0]);
          return pairs;
        });

      const isDefinition = route.spec.bodyContentTypes !== undefined;
      const bodySchema = route.spec.body as z.ZodType | undefined;
      const base: fc.Arbitrary<unknown> = isDefinition
        ? fc.oneof(
            definitionArb([fx.processKey, ...fx.applyKeys]),
            fc.constantFrom(...fx.applyKeys).map(minimalDefinition),
          )
        : bodySchema
          ? sampleOf(bodySchema, hints)
          : fc.constant(undefined);
      const hasBody = isDefinition || bodySchema !== undefined || route.method !== 'get';
      const bodyArb = mutated(base);
      const transportArb: fc.Arbitrary<Transport> = !hasBody
        ? fc.constant({ kind: 'json' } as Transport)
        : fc.oneof(
            { arbitrary: fc.constant({ kind: 'json' } as Transport), weight: 30 },
            ...(isDefinition
              ? [
                  { arbitrary: fc.constant({ kind: 'yaml', text: '' } as Transport), weight: 4 },
                  {
                    arbitrary: fc.constantFrom(...HOSTILE_YAML).map(
                      (text) =>
                        ({
                          kind: 'raw',
                          text,
                          contentType: 'application/yaml',
                          label: 'yaml',
                        }) as Transport,
                    ),
                    weight: 2,
                  },
                ]
              : []),
            {
              arbitrary: fc
                .constantFrom(
                  '{',
                  '{"title":',
                  '{"a":1,}',
                  "{'a':1}",
                  'nul',
                  '[1,2',
                  '{"a":1}{"b":2}',
                  '\u0000',
                  '{"a":"\\u0000"}',
                  '"\\ud800"',
                  `{"a":${'['.repeat(100_000)}`,
                  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
                  `{"a":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_001)}`,
                  '',
                )
                .map((text) => ({ kind: 'raw', text, label: 'bad-json' }) as Transport),
              weight: 2,
            },
            {
              arbitrary: fc.constantFrom(
                {
                  kind: 'raw',
                  text: JSON.stringify({ pad: 'x'.repeat(MB + 10) }),
                  label: 'oversized',
                } as Transport,
                {
                  kind: 'raw',
                  text: `[${Array.from({ length: 300_000 }, () => '1').join(',')}]`,
                  label: 'oversized',
                } as Transport,
              ),
              weight: 1,
            },
            {
              arbitrary: fc
                .constantFrom(
                  'text/plain',
                  'application/xml',
                  'application/x-www-form-urlencoded',
                  'multipart/form-data; boundary=x',
                  'application/json; charset=utf-16',
                  'application/json; charset=latin1',
                  'application/merge-patch+json',
                  'application/yaml',
                  'image/png',
                  '*/*',
                  'application/json, text/plain',
                )
                .map(
                  (ct) => ({ kind: 'raw', text: '', contentType: ct, label: 'content-type' }) as Transport,
                ),
              weight: 2,
            },
            { arbitrary: fc.constant({ kind: 'none' } as Transport), weight: 1 },
          );
      const idemArb = fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 6 },
        { arbitrary: fc.uuid(), weight: 3 },
        { arbitrary: fc.constantFrom('a b', 'x'.repeat(201), '\u00e9t\u00e9', 'crm-1', ''), weight: 1 },
      );
      return fc
        .record({
          params: paramArb,
          query: queryArb,
          body: bodyArb,
          transport: transportArb,
          idempotencyKey: route.method === 'get' ? fc.constant(undefined) : idemArb,
          copies:
            route.method === 'get'
              ? fc.constant(1)
              : fc.oneof(
                  { arbitrary: fc.constant(1), weight: 10 },
                  // Concurrent duplicates with one Idempotency-Key, most often where it matters.
                  {
                    arbitrary: fc.integer({ min: 2, max: 4 }),
                    weight: route.path.startsWith('/deals') ? 3 : 1,
                  },
                ),
        })
        .map((r): Req => {
          const params: Record<string, string> = {};
          let oddPath = false;
          names.forEach((n, i) => {
            const p = r.params[i];
            params[n] = p.v ?? randomUUID();
            oddPath ||= p.odd || !decodes(params[n]);
          });
          const copies = r.copies;
          return {
            route,
            auth,
            params,
            oddPath,
            query: r.query,
            body: r.body,
            transport: r.transport,
            idempotencyKey: copies > 1 ? (r.idempotencyKey ?? randomUUID()) : r.idempotencyKey,
            copies,
          } as Req & { body: { value: unknown; broken: boolean } };
        });
    });
  }
}

function decodes(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

/** Percent-encodes text for a path segment; text with lone surrogates is sent as invalid UTF-8 bytes. */
function safeEncode(t: string): string {
  try {
    return encodeURIComponent(t) || '%20';
  } catch {
    return '%ED%A0%80';
  }
}

// ------------------------------------------------------------------------------------------------
// Transport

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

let baseUrl: { port: number } | undefined;
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/**
 * One request over HTTP/1.1. A connection error (a kept-alive socket the server closed after an
 * early answer to a large body) is retried once on a fresh connection; a second one is reported
 * as status 598, a violation.
 */
async function send(r: RawRequest): Promise<Res> {
  const first = await sendOnce(r, agent);
  return first.status === 598 ? sendOnce(r, false) : first;
}

function sendOnce(r: RawRequest, via: http.Agent | false): Promise<Res> {
  const port = baseUrl?.port;
  if (!port) throw new Error('fuzz server not listening');
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body, 'utf8');
    const req = http.request(
      { host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent: via },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size < 4 * MB) chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = String(res.headers['content-type'] ?? '');
          let json: unknown;
          if (/json/.test(contentType)) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, contentType, text, json });
        });
        res.on('error', (err) =>
          resolve({ status: 598, contentType: '', text: `response error: ${err.message}`, json: undefined }),
        );
      },
    );
    req.on('error', (err) =>
      resolve({ status: 598, contentType: '', text: `connection error: ${err.message}`, json: undefined }),
    );
    if (r.body !== undefined) req.write(r.body, 'utf8');
    req.end();
  });
}

function toRaw(req: Req & { body: { value: unknown; broken: boolean } }, fx: Fixture): RawRequest {
  const path =
    req.route.path.replace(/:([A-Za-z_$][\w$]*)/g, (_, n: string) => req.params[n]) +
    (req.query.length ? `?${req.query.map(([k, v]) => `${safeEncode(k)}=${safeEncode(v)}`).join('&')}` : '');
  const headers: Record<string, string> = {};
  if ('principal' in req.auth) headers.authorization = fx.principals[req.auth.principal].auth.Authorization;
  else if (req.auth.header !== undefined) headers.authorization = req.auth.header;
  else if (req.auth.bad !== 'none') headers.authorization = `Bearer ${fx.badTokens[req.auth.bad]}`;
  if (req.idempotencyKey !== undefined) headers['idempotency-key'] = req.idempotencyKey;
  const t = req.transport;
  let body: string | undefined;
  if (req.route.method !== 'get' || t.kind === 'raw') {
    if (t.kind === 'json') {
      if (req.body.value !== undefined) {
        body = toJsonText(req.body.value);
        headers['content-type'] = 'application/json';
      }
    } else if (t.kind === 'yaml') {
      body = toYaml(req.body.value ?? null);
      headers['content-type'] = 'application/yaml';
    } else if (t.kind === 'raw') {
      body = t.label === 'content-type' ? toJsonText(req.body.value ?? {}) : t.text;
      headers['content-type'] = t.contentType ?? 'application/json';
    }
  }
  return { method: req.route.method.toUpperCase(), path, headers, body };
}

// ------------------------------------------------------------------------------------------------
// Checks

const PROBLEM = /^application\/problem\+json/;
const PROBLEM_BASE = 'https://ltc.example/problems/';

interface Problem {
  type?: unknown;
  title?: unknown;
  status?: unknown;
  detail?: unknown;
  errors?: { path?: unknown; message?: unknown }[];
}

function describe(req: Req, raw: RawRequest, res: Res): string {
  const who = 'principal' in req.auth ? `principal#${req.auth.principal}` : `bad:${req.auth.bad}`;
  const body =
    raw.body === undefined
      ? ''
      : ` body=${raw.body.slice(0, 300)}${raw.body.length > 300 ? `…(${raw.body.length})` : ''}`;
  return `${raw.method} ${raw.path.slice(0, 300)} [${who}${raw.headers['content-type'] ? ` ${raw.headers['content-type']}` : ''}]${body} → ${res.status} ${res.text.slice(0, 400)}`;
}

function checkResponse(
  req: Req & { body: { value: unknown; broken: boolean } },
  raw: RawRequest,
  res: Res,
  fx: Fixture,
  violations: string[],
): boolean {
  const fail = (why: string): false => {
    violations.push(`${why}: ${describe(req, raw, res)}`);
    return false;
  };
  if (res.status === 598) return fail('no answer (connection failed twice)');
  if (res.status >= 500) return fail('5xx');
  if (res.status >= 400) {
    if (!PROBLEM.test(res.contentType)) return fail('4xx not problem+json');
    const p = res.json as Problem | undefined;
    if (
      !p ||
      typeof p.type !== 'string' ||
      typeof p.title !== 'string' ||
      typeof p.detail !== 'string' ||
      p.status !== res.status
    )
      return fail('4xx problem body malformed');
    if (res.status === 400) {
      const ok =
        Array.isArray(p.errors) &&
        p.errors.length > 0 &&
        p.errors.every((e) => typeof e.path === 'string' && typeof e.message === 'string');
      if (!ok) return fail('400 names no field');
    }
  }
  const transportOk = req.transport.kind === 'json' || req.transport.kind === 'yaml';
  const badAuth = !('principal' in req.auth);
  // The JSON parser runs before authentication: a body it refuses is answered first.
  const parserFirst =
    res.status === 431 ||
    res.status === 413 ||
    res.status === 415 ||
    (res.json as Problem)?.type === `${PROBLEM_BASE}malformed-json`;
  if (
    badAuth &&
    req.route.spec.auth &&
    !req.oddPath &&
    transportOk &&
    res.status !== 401 &&
    res.status !== 429 &&
    !parserFirst
  )
    return fail('bad token not refused with 401');
  if (badAuth || res.status >= 300) return true;
  const requester = fx.principals[(req.auth as { principal: number }).principal];
  const key = `${req.route.method} ${req.route.path}`;
  const adminOnly = key === 'post /users' || key === 'patch /users/:id';
  const opsOnly = key === 'post /process-definitions';
  const managersOnly =
    req.route.path.startsWith('/reports/') ||
    [
      'post /deals/:id/reassign',
      'post /deals/:id/hold',
      'post /deals/:id/resume',
      'post /deals/:id/cancel',
      'patch /deals/:id',
    ].includes(key);
  if (adminOnly && requester.kind !== 'admin') return fail(`${requester.kind} passed an admin-only route`);
  if (opsOnly && requester.kind !== 'admin' && requester.kind !== 'ops')
    return fail(`${requester.kind} passed an ops-only route`);
  if (managersOnly && requester.kind === 'member') return fail('member passed a managers-and-ops route');
  // The route's own schema refuses this body or query: the door must have refused it too.
  if (req.transport.kind === 'json' && !req.oddPath) {
    // What the server saw: the JSON text as parsed, the query string as express 5 parses it.
    const sentBody = raw.body === undefined || raw.body === '' ? undefined : JSON.parse(raw.body);
    const qs = raw.path.includes('?') ? querystring.parse(raw.path.slice(raw.path.indexOf('?') + 1)) : {};
    for (const [part, schema, value] of [
      ['body', req.route.spec.body, sentBody],
      ['query', req.route.spec.query, { ...qs }],
    ] as const) {
      if (!schema) continue;
      let parsed: ReturnType<z.ZodType['safeParse']>;
      try {
        parsed = (schema as z.ZodType).safeParse(value);
      } catch {
        continue; // too deep for zod here: the server answered without a 5xx, which is what counts
      }
      if (!parsed.success || findUnstorableText(parsed.data))
        return fail(`accepted a ${part} its schema refuses`);
    }
  }
  return true;
}

// ------------------------------------------------------------------------------------------------
// Deal snapshots

async function snapshotDeals(world: World, ids: string[]) {
  if (!ids.length) return new Map<string, string>();
  const rows = await world.sql<{ id: string; snap: string }[]>`
    SELECT d.id, json_build_object(
      'deal', to_jsonb(d),
      'events', (SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.seq), '[]') FROM deal_events e WHERE e.deal_id = d.id),
      'signoffs', (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.id), '[]') FROM signoffs s WHERE s.deal_id = d.id)
    )::text AS snap
    FROM deals d WHERE d.id = ANY(${ids})`;
  return new Map(rows.map((r) => [r.id, r.snap]));
}

/** Waits until the given deals' timelines stop growing (set-up writes land before the snapshot). */
async function settle(world: World, ids: string[]): Promise<void> {
  let last = '';
  for (let i = 0; i < 50; i++) {
    const [row] = await world.sql<
      { n: string }[]
    >`SELECT count(*)::text AS n FROM deal_events WHERE deal_id = ANY(${ids})`;
    if (row.n === last) return;
    last = row.n;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Everyone entitled to act on each deal: its people ever, their managers, their delegates, ops. */
async function entitled(
  world: World,
  ids: string[],
  since: Date,
  fx: Fixture,
  delegates: Map<string, Set<string>>,
) {
  const rows = await world.sql<{ id: string; people: string[]; actors: string[] }[]>`
    SELECT d.id,
      array_remove(array_cat(ARRAY[d.ar_id, d.sr_id, d.fr_id, d.created_by] || d.participant_ids,
        coalesce((SELECT array_agg(x) FROM deal_events e, LATERAL (VALUES (e.data->>'from'), (e.data->>'to')) v(x)
                  WHERE e.deal_id = d.id AND e.type = 'role.reassigned'), '{}')), NULL) AS people,
      coalesce((SELECT array_agg(DISTINCT e.actor_id) FROM deal_events e WHERE e.deal_id = d.id AND e.at >= ${since.toISOString()}::timestamptz), '{}') AS actors
    FROM deals d WHERE d.id = ANY(${ids})`;
  const managers = new Map<string, string | null>(
    (await world.sql<{ id: string; manager_id: string | null }[]>`SELECT id, manager_id FROM users`).map(
      (u) => [u.id, u.manager_id],
    ),
  );
  const ops = new Set(fx.principals.filter((p) => p.kind === 'ops' || p.kind === 'admin').map((p) => p.id));
  const out: { id: string; strangers: string[] }[] = [];
  for (const r of rows) {
    const allowed = new Set<string>(['system', ...ops]);
    for (const person of r.people) {
      allowed.add(person);
      for (const d of delegates.get(person) ?? []) allowed.add(d);
      for (let m = managers.get(person), hops = 0; m && hops < 20; m = managers.get(m), hops++)
        allowed.add(m);
    }
    const strangers = r.actors.filter((a) => !allowed.has(a));
    if (strangers.length) out.push({ id: r.id, strangers });
  }
  return out;
}

async function holdAndResume(world: World, fx: Fixture, id: string): Promise<string | null> {
  const as = { ...fx.ops.auth, 'content-type': 'application/json' };
  const get = await send({ method: 'GET', path: `/deals/${id}`, headers: fx.ops.auth });
  if (get.status !== 200) return `GET /deals/${id} → ${get.status}`;
  const status = (get.json as { status: string }).status;
  if (['completed', 'lost', 'cancelled'].includes(status)) {
    const d = await world.client.workflow.getHandle(`deal-${id}`).describe();
    return ['COMPLETED', 'RUNNING'].includes(d.status.name)
      ? null
      : `deal ${id} is ${status} but its workflow is ${d.status.name}`;
  }
  const steps: [string, string][] =
    status === 'on_hold'
      ? [
          ['resume', 'active'],
          ['hold', 'on_hold'],
          ['resume', 'active'],
        ]
      : [
          ['hold', 'on_hold'],
          ['resume', 'active'],
        ];
  for (const [cmd, want] of steps) {
    const body = cmd === 'hold' ? JSON.stringify({ reason: 'fuzz: still takes a hold' }) : '{}';
    const res = await send({ method: 'POST', path: `/deals/${id}/${cmd}`, headers: as, body });
    if (res.status !== 200 || (res.json as { status?: string })?.status !== want)
      return `deal ${id} (${status}) did not take a ${cmd}: ${res.status} ${res.text.slice(0, 300)}`;
  }
  return null;
}

// ------------------------------------------------------------------------------------------------
// The run

export async function runFuzz(world: World, opts: FuzzOptions): Promise<FuzzReport> {
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? Date.now() % 2_147_483_647;
  const concurrency = opts.concurrency ?? 8;
  const started = Date.now();
  const server = answerClientErrors(http.createServer(world.app));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = { port: (server.address() as AddressInfo).port };
  webhookAllowHosts.add('127.0.0.1:9');
  const violations: string[] = [];
  const byRoute = new Map<string, Map<number, number>>();
  const delegates = new Map<string, Set<string>>();
  let sent = 0;
  let fixture: Fixture | undefined;
  try {
    const fx = await setUp(world, log);
    fixture = fx;
    const routes = world.routes;
    await settle(world, [...fx.ownDeals, ...fx.vaultDeals]);
    const since = new Date();
    const before = await snapshotDeals(world, fx.vaultDeals);
    const harvest: Harvest = {
      deals: [],
      waiting: [],
      notifications: [],
      webhooks: [],
      tokens: [],
      cursors: [],
    };
    const arb = requestArb(routes, fx, harvest) as fc.Arbitrary<
      Req & { body: { value: unknown; broken: boolean } }
    >;
    log(
      `fuzzing ${routes.length} routes with ${opts.requests} requests (seed ${seed}, ${concurrency} at a time)`,
    );

    const count = (req: Req, status: number) => {
      const label = `${req.route.method.toUpperCase()} ${req.route.path}`;
      const m = byRoute.get(label) ?? new Map<number, number>();
      m.set(status, (m.get(status) ?? 0) + 1);
      byRoute.set(label, m);
    };
    const learn = (req: Req, res: Res) => {
      const j = res.json as Record<string, unknown> | undefined;
      if (!j || res.status >= 300) return;
      if (typeof j.nextCursor === 'string') harvest.cursors.push(j.nextCursor);
      const top = req.route.path.split('/')[1];
      const ids = [j, ...((Array.isArray(j.items) ? j.items : []) as Record<string, unknown>[])]
        .map((x) => x?.id)
        .filter((x): x is string => typeof x === 'string');
      if (top === 'deals') {
        for (const d of [j, ...((Array.isArray(j.items) ? j.items : []) as Record<string, unknown>[])]) {
          const stage = d?.stage as
            | { key?: string; waitingOn?: { role: string; userId: string }[] }
            | undefined;
          if (typeof d?.id !== 'string' || !stage?.key || !Array.isArray(stage.waitingOn)) continue;
          const waits = stage.waitingOn.map((w) => ({
            dealId: d.id as string,
            stage: stage.key as string,
            ...w,
          }));
          harvest.waiting = [...harvest.waiting.filter((w) => w.dealId !== d.id), ...waits];
        }
      }
      if (req.route.path === '/deals' && req.route.method === 'post') harvest.deals.push(...ids);
      else if (top === 'webhooks') harvest.webhooks.push(...ids);
      else if (req.route.path.endsWith('/tokens')) harvest.tokens.push(...ids);
      else if (top === 'me' || top === 'notifications') harvest.notifications.push(...ids);
      for (const list of Object.values(harvest)) if (list.length > 200) list.splice(0, list.length - 200);
      if (
        req.route.path === '/users/me/delegation' &&
        req.route.method === 'put' &&
        'principal' in req.auth
      ) {
        const who = fx.principals[req.auth.principal].id;
        const set = delegates.get(who) ?? new Set();
        set.add(String(j.delegateId));
        delegates.set(who, set);
      }
    };

    let batch = 0;
    while (sent < opts.requests) {
      const reqs = fc.sample(arb, { seed: seed + batch, numRuns: Math.min(200, opts.requests - sent) });
      batch++;
      let next = 0;
      const worker = async () => {
        while (next < reqs.length && sent < opts.requests) {
          const req = reqs[next++];
          const raw = toRaw(req, fx);
          const copies = Math.min(req.copies, opts.requests - sent);
          sent += copies;
          const results = await Promise.all(Array.from({ length: copies }, () => send(raw)));
          for (const res of results) {
            count(req, res.status);
            checkResponse(req, raw, res, fx, violations);
            learn(req, res);
          }
          const ids = results.filter((r) => r.status < 300).map((r) => (r.json as { id?: unknown })?.id);
          if (copies > 1 && req.route.path === '/deals' && new Set(ids).size > 1)
            violations.push(
              `one Idempotency-Key made ${new Set(ids).size} deals: ${describe(req, raw, results[0])}`,
            );
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      if (batch % 10 === 0) log(`${sent} requests, ${violations.length} violations`);
    }
    log(`${sent} requests sent; checking deals`);

    // The vault: nobody who sent a request may change these deals, so nothing changed.
    const after = await snapshotDeals(world, fx.vaultDeals);
    for (const id of fx.vaultDeals)
      if (before.get(id) !== after.get(id))
        violations.push(`vault deal ${id} changed by someone not allowed to change it`);
    const created = await world.sql<{ id: string }[]>`
      SELECT id FROM deals WHERE created_at >= ${since.toISOString()}::timestamptz AND created_by = ANY(${fx.principals.map((p) => p.id)})`;
    const check = [...new Set([...fx.ownDeals, ...fx.vaultDeals, ...created.map((r) => r.id)])];
    for (const { id, strangers } of await entitled(world, check, since, fx, delegates))
      violations.push(`deal ${id} has timeline entries by ${strangers.join(', ')}, who may not act on it`);
    for (let i = 0; i < check.length; i += 4) {
      const problems = await Promise.all(check.slice(i, i + 4).map((id) => holdAndResume(world, fx, id)));
      for (const p of problems) if (p) violations.push(p);
    }
    return {
      requests: sent,
      byRoute,
      violations,
      dealsChecked: check.length,
      seed,
      ms: Date.now() - started,
    };
  } finally {
    // The run's webhooks would go on receiving every later deal's notifications: switch them off.
    if (fixture) {
      const ids = fixture.principals.map((p) => p.id);
      await world.sql`UPDATE webhooks SET disabled_at = now() WHERE created_by = ANY(${ids}) AND disabled_at IS NULL`;
    }
    webhookAllowHosts.delete('127.0.0.1:9');
    await new Promise((r) => server.close(r));
    agent.destroy();
    baseUrl = undefined;
  }
}

/** The table of requests by route and status. */
export function formatReport(report: FuzzReport, routes: readonly RegisteredRoute[]): string {
  const statuses = [...new Set([...report.byRoute.values()].flatMap((m) => [...m.keys()]))].sort(
    (a, b) => a - b,
  );
  const labels = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
  const width = Math.max(5, ...labels.map((l) => l.length));
  const head = `${'route'.padEnd(width)} ${statuses.map((s) => String(s).padStart(5)).join(' ')} ${'total'.padStart(6)}`;
  const lines = [head, '-'.repeat(head.length)];
  const totals = new Map<number, number>();
  for (const label of labels) {
    const m = report.byRoute.get(label) ?? new Map<number, number>();
    let sum = 0;
    const cells = statuses.map((s) => {
      const n = m.get(s) ?? 0;
      sum += n;
      totals.set(s, (totals.get(s) ?? 0) + n);
      return (n ? String(n) : '.').padStart(5);
    });
    lines.push(`${label.padEnd(width)} ${cells.join(' ')} ${String(sum).padStart(6)}`);
  }
  lines.push('-'.repeat(head.length));
  lines.push(
    `${'all routes'.padEnd(width)} ${statuses.map((s) => String(totals.get(s) ?? 0).padStart(5)).join(' ')} ${String(report.requests).padStart(6)}`,
  );
  return lines.join('\n');
}
