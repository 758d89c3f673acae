/**
 * Gates that ask for evidence: a stage whose sign-offs are in waits for its `requires` (a mapped
 * decision maker, a margin sheet), lists each as met or missing, and completes as soon as the
 * evidence is added, told through the deal's `evidence` Update (nobody polls).
 */
import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import { dealApi } from './support/api';
import { soloStage } from './support/process';
import { applyDefinition, createOrg, startWorld, triangleOf, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;
let key: string;

const def: ProcessDefinition = {
  key: 'evidence',
  name: { en: 'Evidence', zh: '证据' },
  stages: [
    soloStage('ati', {
      gate: 'ATI',
      requires: [{ decisionChain: { roles: ['decision_maker'], minKnownStance: 1 } }],
    }),
    soloStage('atb', { gate: 'ATB', requires: [{ attachment: { kind: 'margin-sheet' } }] }),
    soloStage('close', { requires: [{ field: { path: 'deal.expectedCloseDate' } }] }),
  ],
};

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  api = dealApi(world);
  key = (await applyDefinition(world, def)).key;
});

afterAll(async () => {
  await world?.stop();
});

test('a gate held back by missing evidence completes as soon as the evidence is added', async () => {
  const account = await request(world.app)
    .post('/accounts')
    .set(org.manager.auth)
    .send({ name: `Evidence account ${world.ns}`, team: triangleOf(org) });
  const contact = await request(world.app)
    .post(`/accounts/${account.body.id}/contacts`)
    .set(org.ar.auth)
    .send({ name: 'Director Wu', buyingRole: 'decision_maker' });
  expect(contact.body.stance).toBe('unknown');
  const created = await api.createOn(org.manager, key, triangleOf(org), {
    account: { id: account.body.id },
    expectedCloseDate: '2027-03-31',
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect(created.body.stage.requirements).toEqual([
    expect.objectContaining({
      met: false,
      requirement: { decisionChain: { roles: ['decision_maker'], minKnownStance: 1 } },
    }),
  ]);

  // The sign-off is in, the decision maker's stance is not known: the stage waits.
  const signed = await api.sign(org.ar, id, { stage: 'ati' });
  expect(signed.status).toBe(200);
  expect(signed.body.stage).toMatchObject({ key: 'ati', waitingOn: [], requirements: [{ met: false }] });
  expect((await api.get(org.ar, id)).body.stage).toMatchObject({
    key: 'ati',
    requirements: [{ met: false }],
  });

  // Mapping the stance is the evidence: the stage completes at once.
  const mapped = await request(world.app)
    .patch(`/contacts/${contact.body.id}`)
    .set(org.ar.auth)
    .send({ stance: 'supporter' });
  expect(mapped.status).toBe(200);
  const atb = await api.get(org.ar, id);
  expect(atb.body.stage).toMatchObject({
    key: 'atb',
    requirements: [{ met: false, requirement: { attachment: { kind: 'margin-sheet' } } }],
  });

  // ATB: signed first, then the margin sheet arrives.
  expect((await api.sign(org.ar, id, { stage: 'atb' })).body.stage.key).toBe('atb');
  const bytes = Buffer.from('cost,price\n80,100\n');
  const attached = await request(world.app)
    .post(`/deals/${id}/attachments`)
    .set(org.sr.auth)
    .send({
      kind: 'margin-sheet',
      filename: 'margin.csv',
      contentType: 'text/csv',
      content: bytes.toString('base64'),
    });
  expect(attached.status).toBe(201);
  expect(attached.body).toMatchObject({ kind: 'margin-sheet', size: bytes.length });
  const close = await api.get(org.ar, id);
  expect(close.body.stage).toMatchObject({ key: 'close', requirements: [{ met: true }] });
  // A field given at creation already holds: the sign-off alone completes it.
  expect((await api.sign(org.ar, id, { stage: 'close' })).body.status).toBe('completed');

  const events = (await api.timeline(org.ar, id)).map((e) => `${e.type}${e.stage ? `:${e.stage}` : ''}`);
  expect(events.filter((e) => e.startsWith('stage.completed'))).toEqual([
    'stage.completed:ati',
    'stage.completed:atb',
    'stage.completed:close',
  ]);

  const list = await request(world.app).get(`/deals/${id}/attachments`).set(org.manager.auth);
  expect(list.body.items.map((a: { filename: string }) => a.filename)).toEqual(['margin.csv']);
  const download = await request(world.app)
    .get(`/deals/${id}/attachments/${attached.body.id}`)
    .set(org.manager.auth)
    .buffer(true)
    .parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  expect(download.status).toBe(200);
  expect(download.headers['content-type']).toMatch(/^text\/csv/);
  expect(Buffer.compare(download.body as Buffer, bytes)).toBe(0);
});

test('attachments are checked at the door and visible only with their deal', async () => {
  const created = await api.createOn(org.manager, key, triangleOf(org));
  const id = created.body.id as string;
  const bad = await request(world.app)
    .post(`/deals/${id}/attachments`)
    .set(org.ar.auth)
    .send({ kind: 'Margin Sheet', filename: 'a\u0000', content: 'not base64!' });
  expect(bad.status).toBe(400);
  expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
    'body.content',
    'body.filename',
    'body.kind',
  ]);
  const big = await request(world.app)
    .post(`/deals/${id}/attachments`)
    .set(org.ar.auth)
    .send({
      kind: 'margin-sheet',
      filename: 'big.bin',
      content: Buffer.alloc(600 * 1024).toString('base64'),
    });
  expect(big.status).toBe(400);
  expect(big.body.errors[0].path).toBe('body.content');
  expect((await request(world.app).get(`/deals/${id}/attachments`).set(org.sdt.auth)).status).toBe(404);
  expect(
    (
      await request(world.app)
        .get(`/deals/${id}/attachments/00000000-0000-4000-8000-000000000000`)
        .set(org.ar.auth)
    ).status,
  ).toBe(404);
});
