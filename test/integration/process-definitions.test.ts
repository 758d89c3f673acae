/**
 * Process definition API on the real app and Postgres: apply (versions, idempotence, YAML and
 * JSON, groups, roles), validate (dry run), reads, diff and list pagination.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import { createOrg, createUser, startWorld, type TestUser, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let admin: TestUser;
let member: TestUser;

const standardYaml = fs.readFileSync(path.join(__dirname, '../../processes/ltc-standard.yaml'), 'utf8');

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  admin = await createUser(world, { id: 'admin', roles: ['admin'] });
  member = await createUser(world, { id: 'member' });
});

afterAll(async () => {
  await world?.stop();
});

/** A small, valid definition with key `<base>-<ns>`. */
function small(base: string): ProcessDefinition {
  return {
    key: `${base}-${world.ns}`,
    name: { en: 'Small', zh: '小流程' },
    stages: [
      {
        key: 'lead',
        name: { en: 'Lead', zh: '线索' },
        approvers: ['AR'],
        rule: 'all',
        sla: { within: '1d', remind: ['4h'], escalate: [{ after: '0s', notify: ['manager'] }] },
        weights: { AR: 1 },
        onReject: 'lost',
      },
      {
        key: 'atb',
        name: { en: 'Bid decision', zh: '投标决策' },
        gate: 'ATB',
        approvers: ['AR', 'SR', 'FR'],
        rule: 'all',
        sla: { within: '1h', escalate: [{ after: '0s', notify: ['manager'] }] },
        weights: { AR: 0.4, SR: 0.4, FR: 0.2 },
        onReject: 'lead',
      },
      {
        key: 'close',
        name: { en: 'Close', zh: '关闭' },
        approvers: ['AR', 'FR'],
        rule: 'all',
        sla: { within: '1h', escalate: [{ after: '0s', notify: ['manager'] }] },
        weights: { AR: 0.5, FR: 0.5 },
      },
    ],
  };
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

function postYaml(url: string, user: TestUser, yaml: string) {
  return request(world.app).post(url).set(user.auth).set('Content-Type', 'application/yaml').send(yaml);
}

function postJson(url: string, user: TestUser, body: unknown) {
  return request(world.app)
    .post(url)
    .set(user.auth)
    .send(body as object);
}

describe('POST /process-definitions (apply)', () => {
  test('YAML creates version 1; identical content (YAML or JSON) answers 200 with that version', async () => {
    const key = `ltc-standard-${world.ns}`;
    const yaml = standardYaml.replace(/^key: ltc-standard$/m, `key: ${key}`);
    expect(yaml).not.toBe(standardYaml);

    const first = await postYaml('/process-definitions', org.ops, yaml);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ key, version: 1, checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(first.headers.location).toBe(`/process-definitions/${key}/versions/1`);

    const again = await postYaml('/process-definitions', org.ops, yaml);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);

    // The same definition as JSON, keys in another order: same content, same version.
    const stored = await request(world.app).get(`/process-definitions/${key}`).set(member.auth);
    expect(stored.status).toBe(200);
    const { stages, name, currencies } = stored.body.definition;
    const reordered = { stages, currencies, name, key };
    const json = await postJson('/process-definitions', org.ops, reordered);
    expect(json.status).toBe(200);
    expect(json.body).toEqual(first.body);

    // `application/x-yaml` and `text/yaml` are YAML too.
    for (const type of ['application/x-yaml', 'text/yaml; charset=utf-8']) {
      const res = await request(world.app)
        .post('/process-definitions')
        .set(org.ops.auth)
        .set('Content-Type', type)
        .send(yaml);
      expect(res.status).toBe(200);
      expect(res.body.version).toBe(1);
    }
  });

  test('changed content creates the next version; old versions stay as they were', async () => {
    const v1 = small('versions');
    const a = await postJson('/process-definitions', org.ops, v1);
    expect(a.status).toBe(201);
    expect(a.body.version).toBe(1);

    const v2 = clone(v1);
    v2.stages[1].sla.within = '2h';
    const b = await postJson('/process-definitions', admin, v2);
    expect(b.status).toBe(201);
    expect(b.body).toEqual({ key: v1.key, version: 2, checksum: expect.any(String) });
    expect(b.body.checksum).not.toBe(a.body.checksum);

    // Back to v1's content: a new version 3 (it differs from the latest), not v1 again.
    const c = await postJson('/process-definitions', org.ops, v1);
    expect(c.status).toBe(201);
    expect(c.body).toEqual({ key: v1.key, version: 3, checksum: a.body.checksum });

    const latest = await request(world.app).get(`/process-definitions/${v1.key}`).set(member.auth);
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual({
      key: v1.key,
      version: 3,
      checksum: a.body.checksum,
      createdAt: expect.any(String),
      definition: v1,
    });
    expect(Number.isNaN(Date.parse(latest.body.createdAt))).toBe(false);

    const second = await request(world.app).get(`/process-definitions/${v1.key}/versions/2`).set(member.auth);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ key: v1.key, version: 2, checksum: b.body.checksum, definition: v2 });

    const first = await request(world.app).get(`/process-definitions/${v1.key}/versions/1`).set(member.auth);
    expect(first.body).toMatchObject({ version: 1, checksum: a.body.checksum, definition: v1 });
  });

  test('an invalid definition → 400 with the definition’s own paths, nothing stored', async () => {
    const def = small('invalid');
    def.stages[0].sla.remind = ['2d'];
    def.stages[1].weights = { AR: 0.5, SR: 0.4, FR: 0.2 };
    const res = await postJson('/process-definitions', org.ops, def);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: 'https://ltc.example/problems/validation-error',
      status: 400,
      detail: 'The process definition is invalid (2 errors)',
    });
    expect(res.body.errors).toEqual([
      { path: 'stages[0].sla.remind[0]', message: expect.stringContaining('shorter than within') },
      { path: 'stages[1].weights', message: 'weights must sum to 1 (got 1.1)' },
    ]);
    const get = await request(world.app).get(`/process-definitions/${def.key}`).set(org.ops.auth);
    expect(get.status).toBe(404);
  });

  test('an unknown group → 400 naming the path; a group some user has is accepted', async () => {
    const def = small('groups');
    def.stages[1].approvers = ['AR', 'SR', 'FR', `group:nobody-${world.ns}`];
    def.stages[1].sla.escalate = [{ after: '0s', notify: ['manager', `group:ghosts-${world.ns}`] }];
    const res = await postJson('/process-definitions', org.ops, def);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { path: 'stages[1].approvers[3]', message: `unknown group "nobody-${world.ns}"` },
      { path: 'stages[1].sla.escalate[0].notify[1]', message: `unknown group "ghosts-${world.ns}"` },
    ]);

    // createOrg gave a user the group `sdt`.
    def.stages[1].approvers = ['AR', 'SR', 'FR', 'group:sdt'];
    def.stages[1].sla.escalate = [{ after: '0s', notify: ['manager', 'group:sdt'] }];
    const ok = await postJson('/process-definitions', org.ops, def);
    expect(ok.status).toBe(201);
  });

  test('YAML that does not parse → 400 at the document path', async () => {
    const res = await postYaml('/process-definitions', org.ops, 'key: [oops\n');
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toEqual({ path: '', message: expect.stringMatching(/^invalid YAML/) });
    const empty = await postYaml('/process-definitions', org.ops, '# nothing\n');
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([{ path: '', message: 'the document is empty' }]);
  });

  test('malformed JSON → 400; other media types → 415', async () => {
    const bad = await request(world.app)
      .post('/process-definitions')
      .set(org.ops.auth)
      .set('Content-Type', 'application/json')
      .send('{"key": ');
    expect(bad.status).toBe(400);
    expect(bad.body.type).toBe('https://ltc.example/problems/malformed-json');

    const text = await request(world.app)
      .post('/process-definitions')
      .set(org.ops.auth)
      .set('Content-Type', 'text/plain')
      .send('key: x\n');
    expect(text.status).toBe(415);
    expect(text.body).toMatchObject({
      type: 'https://ltc.example/problems/unsupported-media-type',
      accepted: expect.arrayContaining(['application/json', 'application/yaml']),
    });
  });

  test('non-ops → 403 (nothing stored); no token → 401', async () => {
    const def = small('forbidden');
    for (const user of [member, org.manager]) {
      const res = await postJson('/process-definitions', user, def);
      expect(res.status).toBe(403);
      expect(res.body.type).toBe('https://ltc.example/problems/forbidden');
    }
    const yaml = await postYaml('/process-definitions', member, 'key: x\n');
    expect(yaml.status).toBe(403);
    expect((await request(world.app).get(`/process-definitions/${def.key}`).set(org.ops.auth)).status).toBe(
      404,
    );

    const anonymous = await request(world.app).post('/process-definitions').send(def);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    for (const url of [
      '/process-definitions',
      `/process-definitions/${def.key}`,
      `/process-definitions/${def.key}/versions/1`,
      `/process-definitions/${def.key}/diff?from=1&to=1`,
    ]) {
      expect((await request(world.app).get(url)).status).toBe(401);
    }
    expect((await request(world.app).post('/process-definitions/validate').send(def)).status).toBe(401);
  });
});

describe('POST /process-definitions/validate (dry run)', () => {
  test('valid with warnings, for any authenticated user; nothing stored', async () => {
    const def = small('dry-run');
    delete def.stages[2].sla.escalate;
    def.stages[0].sla.remind = ['1h', '4h'];
    const res = await postJson('/process-definitions/validate', member, def);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      valid: true,
      warnings: [
        { path: 'stages[0].sla.remind', message: expect.stringContaining('longest first') },
        { path: 'stages[2].sla.escalate', message: expect.stringContaining('no escalation levels') },
      ],
    });
    const get = await request(world.app).get(`/process-definitions/${def.key}`).set(member.auth);
    expect(get.status).toBe(404);
  });

  test('YAML works too; the standard definition is valid without warnings', async () => {
    const res = await postYaml('/process-definitions/validate', member, standardYaml);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ valid: true, warnings: [] });
  });

  test('invalid → 400 with exact paths (structure and semantics, all reported)', async () => {
    const yaml = [
      `key: dry-bad-${world.ns}`,
      'name: { en: Bad, zh: 坏 }',
      'stages:',
      '  - key: lead',
      '    name: { en: Lead, zh: 线索 }',
      '    approvers: [AR]',
      '    rule: all',
      '    sla: { within: 1h, remind: [2h] }',
      '    weights: { AR: 1 }',
      '  - key: atb',
      '    name: { en: Bid, zh: 投标 }',
      '    approvers: [AR, boss]',
      '    sla: { within: 1h }',
      '    weights: { AR: 1, XR: 0 }',
      '',
    ].join('\n');
    const res = await postYaml('/process-definitions/validate', member, yaml);
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('https://ltc.example/problems/validation-error');
    // Structure is checked first: the zod errors of stage 1 come without the semantic ones.
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(
      ['stages[1].approvers[1]', 'stages[1].rule', 'stages[1].weights.XR'].sort(),
    );

    const semantic = yaml
      .replace('[AR, boss]', '[AR]')
      .replace('    sla: { within: 1h }\n', '    rule: any\n    sla: { within: 1h }\n')
      .replace('{ AR: 1, XR: 0 }', '{ AR: 1 }');
    const res2 = await postYaml('/process-definitions/validate', member, semantic);
    expect(res2.status).toBe(400);
    expect(res2.body.errors).toEqual([
      { path: 'stages[0].sla.remind[0]', message: 'reminder 2h before due must be shorter than within (1h)' },
    ]);
  });

  test('unknown groups are reported by the dry run as by apply', async () => {
    const def = small('dry-groups');
    def.stages[0].approvers = ['AR', `group:nobody-${world.ns}`];
    const res = await postJson('/process-definitions/validate', member, def);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { path: 'stages[0].approvers[1]', message: `unknown group "nobody-${world.ns}"` },
    ]);
  });

  test('other media types → 415', async () => {
    const res = await request(world.app)
      .post('/process-definitions/validate')
      .set(member.auth)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('key=x');
    expect(res.status).toBe(415);
  });
});

describe('reads', () => {
  test('unknown key or version → 404; a malformed version → 400', async () => {
    const def = small('reads');
    expect((await postJson('/process-definitions', org.ops, def)).status).toBe(201);

    const unknownKey = await request(world.app).get(`/process-definitions/nope-${world.ns}`).set(member.auth);
    expect(unknownKey.status).toBe(404);
    expect(unknownKey.body.type).toBe('https://ltc.example/problems/not-found');

    const unknownVersion = await request(world.app)
      .get(`/process-definitions/${def.key}/versions/2`)
      .set(member.auth);
    expect(unknownVersion.status).toBe(404);
    const unknownBoth = await request(world.app)
      .get(`/process-definitions/nope-${world.ns}/versions/1`)
      .set(member.auth);
    expect(unknownBoth.status).toBe(404);

    const bad = await request(world.app)
      .get(`/process-definitions/${def.key}/versions/first`)
      .set(member.auth);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'params.version', message: expect.any(String) }]);
  });
});

describe('GET /process-definitions/:key/diff', () => {
  let key: string;

  beforeAll(async () => {
    const v1 = small('diff');
    key = v1.key;
    const v2 = clone(v1);
    v2.stages[0].gate = 'LQ';
    v2.stages[1].sla.within = '2h';
    v2.stages[1].rule = { atLeast: 2 };
    v2.stages[2] = {
      key: 'handover',
      name: { en: 'Handover', zh: '交接' },
      approvers: ['FR'],
      rule: 'all',
      sla: { within: '1d', escalate: [{ after: '0s', notify: ['manager'] }] },
      weights: { FR: 1 },
    };
    expect((await postJson('/process-definitions', org.ops, v1)).status).toBe(201);
    expect((await postJson('/process-definitions', org.ops, v2)).status).toBe(201);
  });

  test('stages added, removed and changed field by field', async () => {
    const res = await request(world.app).get(`/process-definitions/${key}/diff?from=1&to=2`).set(member.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      key,
      from: 1,
      to: 2,
      changed: true,
      name: null,
      stagesAdded: [{ key: 'handover', index: 2 }],
      stagesRemoved: [{ key: 'close', index: 2 }],
      stagesChanged: [
        { key: 'lead', changes: [{ field: 'gate', from: null, to: 'LQ' }] },
        {
          key: 'atb',
          changes: [
            { field: 'rule', from: 'all', to: { atLeast: 2 } },
            { field: 'sla.within', from: '1h', to: '2h' },
          ],
        },
      ],
      orderChanged: false,
      lines: [
        '+ stage handover (at position 3)',
        '- stage close (was at position 3)',
        '~ stage lead',
        '    gate: (none) -> "LQ"',
        '~ stage atb',
        '    rule: "all" -> {"atLeast":2}',
        '    sla.within: "1h" -> "2h"',
      ],
    });
  });

  test('backwards, and a version against itself', async () => {
    const back = await request(world.app)
      .get(`/process-definitions/${key}/diff?from=2&to=1`)
      .set(member.auth);
    expect(back.status).toBe(200);
    expect(back.body.stagesAdded).toEqual([{ key: 'close', index: 2 }]);
    expect(back.body.stagesRemoved).toEqual([{ key: 'handover', index: 2 }]);
    expect(back.body.stagesChanged[0]).toEqual({
      key: 'lead',
      changes: [{ field: 'gate', from: 'LQ', to: null }],
    });

    const same = await request(world.app)
      .get(`/process-definitions/${key}/diff?from=2&to=2`)
      .set(member.auth);
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({
      changed: false,
      stagesAdded: [],
      stagesRemoved: [],
      stagesChanged: [],
      lines: [],
    });
  });

  test('unknown versions or key → 404; bad params → 400', async () => {
    const unknown = await request(world.app)
      .get(`/process-definitions/${key}/diff?from=1&to=9`)
      .set(member.auth);
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain('9');
    const noKey = await request(world.app)
      .get(`/process-definitions/nope-${world.ns}/diff?from=1&to=2`)
      .set(member.auth);
    expect(noKey.status).toBe(404);

    const missing = await request(world.app).get(`/process-definitions/${key}/diff?from=1`).set(member.auth);
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.to']);
    const bad = await request(world.app)
      .get(`/process-definitions/${key}/diff?from=abc&to=0`)
      .set(member.auth);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.from', 'query.to']);
  });
});

describe('GET /process-definitions (list)', () => {
  test('the latest version of each key, paginated with limit and cursor', async () => {
    const keys = ['list-a', 'list-b', 'list-c'].map((base) => `${base}-${world.ns}`);
    for (const key of keys) {
      const def = { ...small('x'), key };
      expect((await postJson('/process-definitions', org.ops, def)).status).toBe(201);
    }
    const b2 = { ...small('x'), key: keys[1], name: { en: 'Small v2', zh: '小流程二' } };
    expect((await postJson('/process-definitions', org.ops, b2)).status).toBe(201);

    const first = await request(world.app).get('/process-definitions?limit=1').set(member.auth);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    expect(typeof first.body.nextCursor).toBe('string');
    expect(Object.keys(first.body.items[0]).sort()).toEqual([
      'checksum',
      'createdAt',
      'key',
      'name',
      'version',
    ]);

    // Walk every page (other test files share the database): ascending keys, each key once.
    const seen: { key: string; version: number; name: unknown }[] = [...first.body.items];
    let cursor: string | null = first.body.nextCursor;
    while (cursor) {
      const res = await request(world.app)
        .get('/process-definitions')
        .query({ limit: 1, cursor })
        .set(member.auth);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    }
    const seenKeys = seen.map((i) => i.key);
    expect(new Set(seenKeys).size).toBe(seenKeys.length);
    expect([...seenKeys].sort()).toEqual(seenKeys);
    const mine = seen.filter((i) => keys.includes(i.key));
    expect(mine.map((i) => [i.key, i.version, i.name])).toEqual([
      [keys[0], 1, { en: 'Small', zh: '小流程' }],
      [keys[1], 2, { en: 'Small v2', zh: '小流程二' }],
      [keys[2], 1, { en: 'Small', zh: '小流程' }],
    ]);

    // Without a limit: the first page (default 50) starts the same walk. Other files may have added
    // keys since (a CI run saw one land between the walk and this page), never removed one: every
    // key the walk saw up to the page's last key is on it, in the same ascending order.
    const all = await request(world.app).get('/process-definitions').set(member.auth);
    expect(all.status).toBe(200);
    const page: string[] = all.body.items.map((i: { key: string }) => i.key);
    expect(page.length).toBeLessThanOrEqual(50);
    expect([...page].sort()).toEqual(page);
    expect(new Set(page).size).toBe(page.length);
    const last = page[page.length - 1];
    expect(page.filter((k) => seenKeys.includes(k))).toEqual(seenKeys.filter((k) => k <= last));
    if (seenKeys.length >= 50) expect(page).toHaveLength(50);
  });

  test('a bad limit or cursor → 400', async () => {
    const limit = await request(world.app).get('/process-definitions?limit=0').set(member.auth);
    expect(limit.status).toBe(400);
    expect(limit.body.errors[0].path).toBe('query.limit');
    const cursor = await request(world.app).get('/process-definitions?cursor=%7Bnope').set(member.auth);
    expect(cursor.status).toBe(400);
    expect(cursor.body.errors[0].path).toBe('query.cursor');
  });
});

test('the endpoints are in the OpenAPI document', async () => {
  const res = await request(world.app).get('/openapi.json');
  expect(res.status).toBe(200);
  const paths = res.body.paths;
  expect(Object.keys(paths['/process-definitions'])).toEqual(['post', 'get']);
  expect(paths['/process-definitions/validate'].post).toBeDefined();
  expect(paths['/process-definitions/{key}'].get).toBeDefined();
  expect(paths['/process-definitions/{key}/versions/{version}'].get).toBeDefined();
  expect(
    paths['/process-definitions/{key}/diff'].get.parameters.map((p: { name: string }) => p.name),
  ).toEqual(['key', 'from', 'to']);
  const apply = paths['/process-definitions'].post;
  expect(Object.keys(apply.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '403', '415']));
  expect(apply.description).toContain('without the `body.` prefix');
});
