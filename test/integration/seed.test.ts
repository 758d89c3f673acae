/**
 * The demo seed of `npm start`: a first run fills every screen with deals made through the API by
 * the workflows themselves; a second run changes nothing, never overwrites what ops applied since,
 * and keeps the tokens.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { applyProcessDefinition, getLatestProcessVersion } from '../../api/process-definitions/repo';
import { DEMO_USERS, seedDemo } from '../../scripts/seed';
import { loadDefaultDefinition, startWorld, type World } from './support/world';

let world: World;
let server: Server;
let dataDir: string;

beforeAll(async () => {
  world = await startWorld();
  server = world.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltc-seed-'));
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await world?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('the first seed makes 30+ deals over two teams in every stage and state; a second seed changes nothing', async () => {
  const opts = {
    db: world.db,
    dataDir,
    root: path.resolve(__dirname, '..', '..'),
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    // The demo clock at 5 s instead of 45 s: the seed waits for its deals to escalate.
    demoClockSeconds: 5,
  };
  const first = await seedDemo(opts);
  expect(Object.keys(first.tokens).sort()).toEqual(DEMO_USERS.map((u) => u.id).sort());
  expect(first.created).toBeGreaterThanOrEqual(30);
  // Version 1 is the demo clock; new deals get version 2, the file.
  expect(first.processVersion).toBe(2);

  const demo = await world.sql<
    {
      id: string;
      status: string;
      stage_key: string | null;
      process_version: number;
      ar_id: string;
      overdue: boolean;
      escalation_level: number;
    }[]
  >`select id, status, stage_key, process_version, ar_id, escalation_level,
       (status = 'active' and due_at < now()) as overdue
     from deals where idempotency_key like 'demo-%' and process_key = 'ltc-standard'`;
  expect(demo.length).toBe(first.created);
  expect(new Set(demo.map((d) => d.ar_id))).toEqual(new Set(['ar-li', 'ar-zhou']));
  for (const { key: stage } of loadDefaultDefinition().stages) {
    expect([stage, demo.some((d) => d.status === 'active' && d.stage_key === stage)]).toEqual([stage, true]);
  }
  for (const status of ['on_hold', 'completed', 'lost', 'cancelled']) {
    expect([status, demo.some((d) => d.status === status)]).toEqual([status, true]);
  }
  const overdue = demo.filter((d) => d.overdue && d.escalation_level >= 1);
  expect(overdue.length).toBeGreaterThanOrEqual(1);
  expect(overdue.every((d) => d.process_version === 1)).toBe(true);

  // Real timelines, written by the workflows.
  const events = await world.sql<{ type: string }[]>`
    select distinct e.type from deal_events e join deals d on d.id = e.deal_id
    where d.idempotency_key like 'demo-%'`;
  const types = events.map((e) => e.type);
  for (const type of [
    'stage.escalated',
    'role.reassigned',
    'deal.amended',
    'deal.on_hold',
    'signoff.rejected',
    'deal.completed',
    'deal.lost',
    'deal.cancelled',
  ]) {
    expect([type, types.includes(type)]).toEqual([type, true]);
  }

  // Ops change the default process: a new version.
  const latest = (await getLatestProcessVersion(world.db, 'ltc-standard'))!;
  const changed = {
    ...latest.definition,
    name: { en: 'Lead to Cash (ops edit)', zh: '从线索到回款（修订）' },
  };
  const applied = await applyProcessDefinition(world.db, changed, 'ops-liu');
  expect(applied.created).toBe(true);

  const second = await seedDemo(opts);
  expect(second.created).toBe(0);
  expect(second.demoDealId).toBe(first.demoDealId);
  expect(second.tokens).toEqual(first.tokens);
  expect(second.processVersion).toBe(applied.version.version);
  const after = (await getLatestProcessVersion(world.db, 'ltc-standard'))!;
  expect(after.version).toBe(applied.version.version);
  expect(after.definition.name.en).toBe('Lead to Cash (ops edit)');
  const count = await world.sql`select count(*)::int as n from deals where idempotency_key like 'demo-%'`;
  expect(count[0].n).toBe(first.created);
}, 900_000);
