/**
 * What a new deal must satisfy: three different people in the triangle unless the process allows a
 * pair, a currency the process can judge, the latest process version unless ops name another, and
 * an idempotent replay that shows only what the caller may still see.
 */
import type request from 'supertest';
import { applyProcessDefinition } from '../../api/process-definitions/repo';
import type { ProcessDefinition } from '../../domain/process/types';
import { dealApi } from './support/api';
import { soloStage, stage } from './support/process';
import {
  applyDefinition,
  createOrg,
  createUser,
  loadDefaultDefinition,
  startWorld,
  triangleOf,
  type World,
} from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  api = dealApi(world);
});

afterAll(async () => {
  await world?.stop();
});

const def = (key: string, over: Partial<ProcessDefinition> = {}): ProcessDefinition => ({
  key,
  name: { en: key, zh: key },
  stages: [soloStage('first')],
  ...over,
});

function errors(res: request.Response): { path: string; message: string }[] {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return res.body.errors ?? [];
}

describe('separation of duties', () => {
  test('by default one person in two roles is refused, naming the later role of each pair', async () => {
    const key = (await applyDefinition(world, def('sod'))).key;
    const me = org.ar.id;
    const all = await api.createOn(org.ar, key, { AR: me, SR: me, FR: me });
    expect(all.status).toBe(400);
    expect(errors(all).map((e) => e.path)).toEqual([
      'body.triangle.SR',
      'body.triangle.FR',
      'body.triangle.FR',
    ]);
    expect(errors(all)[0].message).toBe(
      `${me} already holds AR; this process needs different people as AR and SR`,
    );
    const two = await api.createOn(org.manager, key, { AR: org.ar.id, SR: org.fr.id, FR: org.fr.id });
    expect(two.status).toBe(400);
    expect(errors(two).map((e) => e.path)).toEqual(['body.triangle.FR']);
    expect((await api.createOn(org.manager, key, triangleOf(org))).status).toBe(201);
  });

  test('a process that allows [SR, FR] takes one person as both, and still refuses the other pairs', async () => {
    const key = (
      await applyDefinition(
        world,
        def('sod-relaxed', { separationOfDuties: { allowSamePerson: [['SR', 'FR']] } }),
      )
    ).key;
    const both = await api.createOn(org.manager, key, { AR: org.ar.id, SR: org.sr.id, FR: org.sr.id });
    expect(both.status).toBe(201);
    expect(both.body.triangle).toEqual({ AR: org.ar.id, SR: org.sr.id, FR: org.sr.id });
    const arSr = await api.createOn(org.manager, key, { AR: org.ar.id, SR: org.ar.id, FR: org.fr.id });
    expect(arSr.status).toBe(400);
    expect(errors(arSr).map((e) => e.path)).toEqual(['body.triangle.SR']);
  });
});

describe('currencies', () => {
  test('the default process judges CNY and USD, each by its own threshold; other currencies are refused', async () => {
    const key = (await applyDefinition(world, loadDefaultDefinition())).key;
    const eur = await api.createOn(org.manager, key, triangleOf(org), {
      value: { amount: 1, currency: 'EUR' },
    });
    expect(eur.status).toBe(400);
    expect(errors(eur)).toEqual([
      {
        path: 'body.value.currency',
        message: expect.stringMatching(/judges deals in CNY, USD only/),
      },
    ]);
    for (const currency of ['CNY', 'USD']) {
      const res = await api.createOn(org.manager, key, triangleOf(org), { value: { amount: 1, currency } });
      expect(res.status).toBe(201);
    }
  });

  test('a USD threshold adds the manager to a USD deal; a CNY threshold does not', async () => {
    const gate = stage('gate', {
      when: [
        { if: { valueAtLeast: { amount: 5_000_000, currency: 'CNY' } }, add: ['manager'] },
        { if: { valueAtLeast: { amount: 700_000, currency: 'USD' } }, add: ['manager'] },
      ],
    });
    const key = (await applyDefinition(world, def('thresholds', { stages: [gate] }))).key;
    const requiredFor = async (amount: number, currency: string) => {
      const res = await api.createOn(org.manager, key, triangleOf(org), { value: { amount, currency } });
      expect(res.status).toBe(201);
      return res.body.stage.required.map((r: { role: string }) => r.role);
    };
    // The example: 4,999,999 USD used to pass under a threshold of 5,000,000 "in any currency".
    expect(await requiredFor(4_999_999, 'USD')).toEqual(['AR', 'SR', 'FR', 'manager']);
    expect(await requiredFor(699_999.99, 'USD')).toEqual(['AR', 'SR', 'FR']);
    expect(await requiredFor(4_999_999, 'CNY')).toEqual(['AR', 'SR', 'FR']);
    expect(await requiredFor(5_000_000, 'CNY')).toEqual(['AR', 'SR', 'FR', 'manager']);
  });

  test('a stored version with legacy thresholds (no currency) judges no currency: new deals are refused', async () => {
    const legacy = def(`legacy-${world.ns}`, {
      stages: [stage('gate', { when: [{ if: { valueAtLeast: 5_000_000 }, add: ['manager'] }] })],
    });
    // Stored as an old release would have (apply now refuses the bare number).
    const { key } = (await applyProcessDefinition(world.db, legacy, 'test')).version;
    const res = await api.createOn(org.manager, key, triangleOf(org), {
      value: { amount: 1, currency: 'CNY' },
    });
    expect(res.status).toBe(400);
    expect(errors(res)).toEqual([
      { path: 'body.value.currency', message: expect.stringMatching(/thresholds that name no currency/) },
    ]);
  });
});

describe('process versions', () => {
  let key: string;
  beforeAll(async () => {
    key = (await applyDefinition(world, def('versions'))).key;
    const v2 = await applyDefinition(world, def('versions', { name: { en: 'v2', zh: 'v2' } }));
    expect(v2.version).toBe(2);
  });
  const on = (as: Parameters<typeof api.createOn>[0], version?: number) =>
    api.createOn(as, key, triangleOf(org), { process: { key, ...(version ? { version } : {}) } });

  test('members and managers start on the latest; naming an older version is 403 body.process.version', async () => {
    for (const who of [org.ar, org.manager]) {
      const older = await on(who, 1);
      expect(older.status).toBe(403);
      expect(errors(older)).toEqual([
        { path: 'body.process.version', message: expect.stringMatching(/only ops .* the latest is 2/) },
      ]);
      expect((await on(who, 2)).body.process).toEqual({ key, version: 2 });
      expect((await on(who)).body.process).toEqual({ key, version: 2 });
    }
  });

  test('ops may name an older version; an unknown version is 400', async () => {
    const older = await on(org.ops, 1);
    expect(older.status).toBe(201);
    expect(older.body.process).toEqual({ key, version: 1 });
    const unknown = await on(org.ops, 9);
    expect(unknown.status).toBe(400);
    expect(errors(unknown).map((e) => e.path)).toEqual(['body.process.version']);
  });
});

test('an idempotent replay answers only what the caller may still see: 404 once the deal is reassigned away', async () => {
  const key = (await applyDefinition(world, def('replay'))).key;
  const idem = { 'Idempotency-Key': `replay-${world.ns}` };
  const body = {
    title: 'Replay',
    account: { name: 'Acme' },
    value: { amount: 1, currency: 'USD' },
    triangle: triangleOf(org),
    process: { key },
  };
  const first = await api.create(org.ar, body, idem);
  expect(first.status).toBe(201);
  const again = await api.create(org.ar, body, idem);
  expect(again.status).toBe(201);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body.id).toBe(first.body.id);

  const newAr = await createUser(world, { id: 'new-ar', managerId: org.manager.id });
  const reassigned = await api.command(org.manager, first.body.id, 'reassign', {
    role: 'AR',
    userId: newAr.id,
    reason: 'account moved to another team',
  });
  expect(reassigned.status).toBe(200);
  expect((await api.get(org.ar, first.body.id)).status).toBe(404);
  const replay = await api.create(org.ar, body, idem);
  expect(replay.status).toBe(404);
  expect(replay.body.title).not.toBe('Replay');
  expect(JSON.stringify(replay.body)).not.toContain(first.body.id);
});
