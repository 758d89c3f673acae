/**
 * The demo seed of `npm start` is idempotent and never overwrites what ops applied since.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { applyProcessDefinition, getLatestProcessVersion } from '../../api/process-definitions/repo';
import { deals } from '../../db/schema';
import { seedDemo } from '../../scripts/seed';
import { startWorld, type World } from './support/world';

let world: World;
let dataDir: string;

beforeAll(async () => {
  world = await startWorld();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltc-seed-'));
});

afterAll(async () => {
  await world?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('seeding twice keeps the deal, the tokens and the process version ops applied in between', async () => {
  const opts = {
    db: world.db,
    temporal: world.client,
    taskQueue: world.taskQueue,
    namespace: 'default',
    dataDir,
    root: path.resolve(__dirname, '..', '..'),
  };
  const first = await seedDemo(opts);
  expect(Object.keys(first.tokens).sort()).toEqual([
    'ar-li',
    'fr-zhang',
    'mgr-wang',
    'ops-liu',
    'sr-chen',
    'vp-zhao',
  ]);
  const deal = await world.db.select().from(deals).where(eq(deals.id, first.demoDealId));
  expect(deal[0]).toMatchObject({ arId: 'ar-li', processKey: 'ltc-standard', status: 'active' });

  // Ops change the default process: a new version.
  const latest = (await getLatestProcessVersion(world.db, 'ltc-standard'))!;
  const changed = {
    ...latest.definition,
    name: { en: 'Lead to Cash (ops edit)', zh: '从线索到回款（修订）' },
  };
  const applied = await applyProcessDefinition(world.db, changed, 'ops-liu');
  expect(applied.created).toBe(true);

  const second = await seedDemo(opts);
  expect(second.demoDealId).toBe(first.demoDealId);
  expect(second.tokens).toEqual(first.tokens);
  expect(second.processVersion).toBe(applied.version.version);
  const after = (await getLatestProcessVersion(world.db, 'ltc-standard'))!;
  expect(after.version).toBe(applied.version.version);
  expect(after.definition.name.en).toBe('Lead to Cash (ops edit)');
  const demoDeals = await world.sql`select count(*)::int as n from deals where idempotency_key = 'demo-deal'`;
  expect(demoDeals[0].n).toBe(1);
});
