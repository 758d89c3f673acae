/**
 * Replays the committed histories of real deals (recorded on the dev server with
 * `RECORD_HISTORIES=1 npm test -- deal-workflow`) against today's workflow code. A change to
 * released workflow code that is not guarded by `patched()` fails here with a nondeterminism error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
const REQUIRED = ['happy-path', 'rejection-rework', 'escalation-auto-decision', 'hold-resume-reassign'];

function load(name: string) {
  const json = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
  return { workflowId: name, history: temporal.api.history.v1.History.fromObject(json) };
}

test('every required scenario has a committed history', () => {
  const present = fs.readdirSync(FIXTURES).map((f) => f.replace(/\.json$/, ''));
  expect(present).toEqual(expect.arrayContaining(REQUIRED));
});

test('the committed histories replay without nondeterminism', async () => {
  const names = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''));
  const results = Worker.runReplayHistories(
    { workflowBundle: { codePath: process.env.LTC_WORKFLOW_BUNDLE! } },
    names.map(load),
  );
  const outcomes: Record<string, string> = {};
  for await (const r of results) outcomes[r.workflowId] = r.error ? String(r.error) : 'ok';
  expect(outcomes).toEqual(Object.fromEntries(names.map((n) => [n, 'ok'])));
});

test('a history that does not match the code is detected', async () => {
  // The rework history replayed as the escalation one's workflow id is still dealWorkflow: instead,
  // corrupt a copy so that a recorded command no longer matches what the code does.
  const { history } = load('rejection-rework');
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
  const result = await Worker.runReplayHistory(
    { workflowBundle: { codePath: process.env.LTC_WORKFLOW_BUNDLE! } },
    history,
    'corrupted',
  ).then(
    () => 'ok',
    (err: Error) => err.name,
  );
  expect(result).toBe('DeterminismViolationError');
});
