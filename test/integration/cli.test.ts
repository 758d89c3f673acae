/**
 * `ltc process …` in-process against the real app listening on an ephemeral port, backed by the
 * real Postgres (and Temporal, through the world).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/ltc';
import { createOrg, startWorld, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let server: Server;
let baseUrl: string;
let dir: string;
let key: string;
let file: string;

const standardYaml = readFileSync(join(__dirname, '../../processes/ltc-standard.yaml'), 'utf8');

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  server = await new Promise<Server>((resolve) => {
    const s = world.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'ltc-cli-it-'));
  key = `ltc-standard-${world.ns}`;
  file = join(dir, 'ltc-standard.yaml');
  writeFileSync(file, standardYaml.replace(/^key: ltc-standard$/m, `key: ${key}`));
});

afterAll(async () => {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  await world?.stop();
});

/** Runs `ltc process <args>` as ops, as another token, or with no token (`null`). */
async function ltc(args: string[], token: string | null = org.ops.token) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['process', ...args], {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: { LTC_URL: baseUrl, LTC_TOKEN: token ?? undefined },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

test('validate, apply twice (unchanged the second time), list, diff after a change, apply again', async () => {
  const validated = await ltc(['validate', 'ltc-standard.yaml'], null);
  expect(validated).toEqual({ code: 0, stdout: `OK ${key}: 12 stages\n`, stderr: '' });

  const applied = await ltc(['apply', 'ltc-standard.yaml']);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  expect(applied.stdout).toMatch(new RegExp(`^applied ${key} v1 \\([0-9a-f]{64}\\)\\n$`));

  const again = await ltc(['apply', file]);
  expect(again).toEqual({ code: 0, stdout: `unchanged ${key} v1\n`, stderr: '' });

  const list = await ltc(['list']);
  expect(list.code).toBe(0);
  expect(list.stdout.split('\n')[0]).toMatch(/^KEY +VERSION +NAME$/);
  expect(list.stdout).toMatch(new RegExp(`\\n${key} +1 +Lead to Cash / 从线索到回款\\n`));

  const unchanged = await ltc(['diff', 'ltc-standard.yaml']);
  expect(unchanged).toEqual({
    code: 0,
    stdout: `${key}: v1 (stored) -> ltc-standard.yaml\nno changes\n`,
    stderr: '',
  });

  // Change the file: ATI gets four days instead of three.
  const changed = readFileSync(file, 'utf8').replace(
    'within: 3d # a decision meeting',
    'within: 4d # a decision meeting',
  );
  writeFileSync(file, changed);
  const diff = await ltc(['diff', 'ltc-standard.yaml']);
  expect(diff).toEqual({
    code: 0,
    stdout: `${key}: v1 (stored) -> ltc-standard.yaml\n~ stage ati\n    sla.within: "3d" -> "4d"\n`,
    stderr: '',
  });

  const second = await ltc(['apply', 'ltc-standard.yaml']);
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(new RegExp(`^applied ${key} v2 `));

  const listed = await ltc(['list']);
  expect(listed.stdout).toMatch(new RegExp(`\\n${key} +2 +Lead to Cash`));
  expect((await ltc(['diff', 'ltc-standard.yaml'])).stdout).toContain('v2 (stored)');
});

test('a new key: diff says it is new; a JSON file is applied as JSON', async () => {
  const jsonKey = `json-${world.ns}`;
  const def = {
    key: jsonKey,
    name: { en: 'JSON process', zh: 'JSON 流程' },
    stages: [
      {
        key: 'only',
        name: { en: 'Only', zh: '唯一' },
        approvers: ['AR'],
        rule: 'all',
        sla: { within: '1d', escalate: [{ after: '0s', notify: ['manager'] }] },
        weights: { AR: 1 },
      },
    ],
  };
  writeFileSync(join(dir, 'small.json'), JSON.stringify(def, null, 2));
  expect((await ltc(['diff', 'small.json'])).stdout).toBe(
    `${jsonKey} is new: no stored version yet (1 stages would be created)\n`,
  );
  expect((await ltc(['apply', 'small.json'])).stdout).toMatch(new RegExp(`^applied ${jsonKey} v1 `));
  expect(await ltc(['apply', 'small.json'])).toMatchObject({ code: 0, stdout: `unchanged ${jsonKey} v1\n` });
});

test('apply with a non-ops token fails non-zero; without a token too', async () => {
  const before = await ltc(['list']);
  const denied = await ltc(['apply', 'ltc-standard.yaml'], org.manager.token);
  expect(denied.code).toBe(1);
  expect(denied.stdout).toBe('');
  expect(denied.stderr).toContain('the server answered 403 Forbidden');
  expect(denied.stderr).toContain('Only ops and admins may apply process definitions');

  const anonymous = await ltc(['apply', 'ltc-standard.yaml'], null);
  expect(anonymous.code).toBe(1);
  expect(anonymous.stderr).toContain('the server answered 401 Unauthorized');
  expect(anonymous.stderr).toContain('LTC_TOKEN is not set');

  // Nothing was stored.
  expect((await ltc(['list'])).stdout).toBe(before.stdout);
});

test('an unknown group is refused by the server with its path', async () => {
  const text = readFileSync(file, 'utf8').replace(
    '{ after: 3d, notify: [group:sdt] } # the sales decision team unblocks the gate',
    `{ after: 3d, notify: [group:nobody-${world.ns}] }`,
  );
  writeFileSync(join(dir, 'ghost.yaml'), text);
  // Offline validation does not know the groups…
  expect((await ltc(['validate', 'ghost.yaml'])).code).toBe(0);
  // …the server does.
  const res = await ltc(['apply', 'ghost.yaml']);
  expect(res.code).toBe(1);
  expect(res.stderr).toContain('the server answered 400 Validation Failed');
  expect(res.stderr).toContain(`  stages[1].sla.escalate[2].notify[0]: unknown group "nobody-${world.ns}"`);
});
