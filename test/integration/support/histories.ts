/**
 * Replay fixtures: real workflow histories, one directory per released version of the workflow code
 * (`test/fixtures/histories/v1`, `v2`, ...). A fixture is never overwritten: a change to the workflow
 * code records a new version directory, and every version keeps replaying against today's code.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { eventually } from './world';

export const FIXTURES_DIR = path.join(__dirname, '..', '..', 'fixtures', 'histories');

export type History = temporal.api.history.v1.IHistory;

/** The version directories (`v1`, `v2`, ...), oldest first. */
export function fixtureVersions(): string[] {
  return fs
    .readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^v\d+$/.test(d.name))
    .map((d) => d.name)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/** The fixtures of one version: `{ name, history }`, by file name. */
export function loadFixtures(version: string): { name: string; history: History }[] {
  const dir = path.join(FIXTURES_DIR, version);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.json$/, ''),
      history: temporal.api.history.v1.History.fromObject(
        JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')),
      ),
    }));
}

/**
 * The version directory to record into, from `RECORD_HISTORIES=<version>` (e.g. `v3`), or undefined
 * when not recording. Anything else set there fails loudly.
 */
export function recordingVersion(): string | undefined {
  const v = process.env.RECORD_HISTORIES;
  if (!v) return undefined;
  if (!/^v\d+$/.test(v)) {
    throw new Error(`RECORD_HISTORIES must name a version directory such as v3 (got ${JSON.stringify(v)})`);
  }
  return v;
}

/**
 * Every run of a workflow, oldest first: the latest run's WorkflowExecutionStarted names the run it
 * continues (`continuedExecutionRunId`), and so on back to the first run.
 */
export async function fetchAllRuns(client: Client, workflowId: string): Promise<History[]> {
  const runs: History[] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.unshift(history);
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    runId = started?.continuedExecutionRunId || undefined;
    if (!runId) return runs;
  }
}

/** The version directory this process created and records into. */
let claimed: string | undefined;

/**
 * With `RECORD_HISTORIES=<version>`: create that version's directory, or fail if it exists (a version
 * is recorded in one run, never into a released one). Idempotent within a process; call it early to
 * fail before the scenarios run. Undefined when not recording.
 */
export function recordingDir(): string | undefined {
  const version = recordingVersion();
  if (!version) return undefined;
  const dir = path.join(FIXTURES_DIR, version);
  if (claimed !== dir) {
    if (fs.existsSync(dir)) {
      throw new Error(`${dir} exists: fixtures are never overwritten; record into a new version directory`);
    }
    fs.mkdirSync(dir, { recursive: true });
    claimed = dir;
  }
  return dir;
}

/**
 * With `RECORD_HISTORIES=<version>`, save every run of the workflow as `<version>/<name>.json` (one run)
 * or `<name>.run-1.json`, `<name>.run-2.json`, ... (runs chained by Continue-As-New), never over an
 * existing file. Compact JSON in the proto3 JSON form (protobufjs' toJSON).
 */
export async function recordHistory(client: Client, name: string, workflowId: string): Promise<void> {
  const dir = recordingDir();
  if (!dir) return;
  // A history cut in the middle of a workflow task is still valid, but a quiet one is the real thing.
  await eventually(async () => {
    const { raw } = await client.workflow.getHandle(workflowId).describe();
    return !raw.pendingWorkflowTask && (raw.pendingActivities?.length ?? 0) === 0;
  });
  const runs = await fetchAllRuns(client, workflowId);
  runs.forEach((history, i) => {
    const file = path.join(dir, runs.length === 1 ? `${name}.json` : `${name}.run-${i + 1}.json`);
    try {
      fs.writeFileSync(file, JSON.stringify(history), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(
          `${file} exists: fixtures are never overwritten; record into a new version directory`,
        );
      }
      throw err;
    }
  });
}
