/**
 * The short fuzz run in `npm test`: about 1,000 generated requests over every route of the
 * registry, with the checks of `npm run fuzz` (test/fuzz/engine.ts): no 5xx, every 4xx a problem
 * naming its field, no deal changed by anyone not allowed to, every deal still taking a hold and a
 * resume. FUZZ_SEED replays a run.
 */
import { formatReport, runFuzz } from '../fuzz/engine';
import { startWorld, type World } from './support/world';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.stop();
});

test('fuzz: 1,000 generated requests over every route break nothing', async () => {
  const report = await runFuzz(world, {
    requests: 1_000,
    seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined,
  });
  const table = formatReport(report, world.routes);
  // Every route of the registry was exercised.
  for (const r of world.routes) expect(report.byRoute.has(`${r.method.toUpperCase()} ${r.path}`)).toBe(true);
  if (report.violations.length) {
    throw new Error(`seed ${report.seed}\n${table}\n${report.violations.slice(0, 30).join('\n')}`);
  }
  expect(report.requests).toBeGreaterThanOrEqual(1_000);
}, 300_000);
