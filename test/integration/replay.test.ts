/**
 * Replays the committed histories of every released version (test/fixtures/histories/<version>/,
 * recorded on the dev server by record-histories.test.ts) against today's workflow code. A change to
 * released workflow code that is not guarded by `patched()` fails here with a nondeterminism error.
 * The newest version must exercise every Update, timeline event type, workflow and Continue-As-New.
 */
import { Worker } from '@temporalio/worker';
import { fixtureVersions, loadFixtures } from './support/histories';
import { coverageOf, requiredCoverage } from './support/history-coverage';

const bundle = () => ({ workflowBundle: { codePath: process.env.LTC_WORKFLOW_BUNDLE! } });
const versions = fixtureVersions();

test('every version directory holds fixtures', () => {
  expect(versions.length).toBeGreaterThan(0);
  for (const v of versions) expect(loadFixtures(v).length).toBeGreaterThan(0);
});

test.each(versions)('the %s histories replay without nondeterminism', async (version) => {
  const fixtures = loadFixtures(version);
  const results = Worker.runReplayHistories(
    bundle(),
    fixtures.map((f) => ({ workflowId: f.name, history: f.history })),
  );
  const outcomes: Record<string, string> = {};
  for await (const r of results) outcomes[r.workflowId] = r.error ? String(r.error) : 'ok';
  expect(outcomes).toEqual(Object.fromEntries(fixtures.map((f) => [f.name, 'ok'])));
});

test('the newest fixtures cover every Update, event type, workflow and Continue-As-New', () => {
  const newest = versions[versions.length - 1];
  const seen = coverageOf(loadFixtures(newest).map((f) => f.history));
  const uncovered = requiredCoverage().filter((name) => !seen.has(name));
  expect({ version: newest, uncovered }).toEqual({ version: newest, uncovered: [] });
});

test('the coverage check names what a set of fixtures misses (v1 had no amend, cancel or Continue-As-New)', () => {
  const seen = coverageOf(loadFixtures('v1').map((f) => f.history));
  const uncovered = requiredCoverage().filter((name) => !seen.has(name));
  expect(uncovered).toEqual(
    expect.arrayContaining([
      'update amend',
      'update cancel',
      'continue-as-new',
      'workflow deliverNotification',
    ]),
  );
  expect(uncovered).not.toContain('update signoff');
});

test('a history that does not match the code is detected', async () => {
  // Corrupt a copy so that a recorded command no longer matches what the code does.
  const newest = versions[versions.length - 1];
  const { history } = loadFixtures(newest).find((f) =>
    f.history.events?.some(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordDeal',
    ),
  )!;
  const events = history.events ?? [];
  const marker = events.find(
    (e) => e.markerRecordedEventAttributes || e.activityTaskScheduledEventAttributes,
  );
  expect(marker).toBeDefined();
  if (marker?.activityTaskScheduledEventAttributes?.activityType) {
    marker.activityTaskScheduledEventAttributes.activityType.name = 'somethingElse';
  } else if (marker?.markerRecordedEventAttributes) {
    marker.markerRecordedEventAttributes.markerName = 'NotALocalActivity';
  }
  const result = await Worker.runReplayHistory(bundle(), history, 'corrupted').then(
    () => 'ok',
    (err: Error) => err.name,
  );
  expect(result).toBe('DeterminismViolationError');
});
