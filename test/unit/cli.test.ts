import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type CliIo, runCli } from '../../cli/ltc';

const DEFAULT_FILE = join(__dirname, '../../processes/ltc-standard.yaml');

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: Recorded, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
let requests: Recorded[];
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'ltc-cli-'));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  requests = [];
  handler = (_req, res) => json(res, 500, { title: 'no handler' });
});

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
}

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { LTC_URL: baseUrl, LTC_TOKEN: 'secret-token', ...env },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

function tempFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function defaultDefinition() {
  return parseYaml(readFileSync(DEFAULT_FILE, 'utf8'));
}

describe('ltc usage', () => {
  test('no arguments prints usage', async () => {
    const r = await run([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: ltc process');
  });

  test('bad arguments print usage and exit 2', async () => {
    for (const argv of [
      ['deploy'],
      ['process'],
      ['process', 'frobnicate'],
      ['process', 'validate'],
      ['process', 'list', 'x'],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Usage: ltc process');
    }
  });
});

describe('ltc process validate', () => {
  test('the default file → exit 0', async () => {
    const r = await run(['process', 'validate', DEFAULT_FILE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('OK ltc-standard: 12 stages\n');
    expect(requests).toEqual([]);
  });

  test('a bad file → exit 1 with each error path', async () => {
    const def = defaultDefinition();
    def.stages[3].sla.remind[0] = 'tomorrow';
    def.stages[5].onReject = 'close';
    const file = tempFile('bad.yaml', JSON.stringify(def)); // JSON is YAML too
    const r = await run(['process', 'validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('  stages[3].sla.remind[0]: ');
    expect(r.stderr).toContain('  stages[5].onReject: ');
  });

  test('a JSON file and warnings', async () => {
    const def = defaultDefinition();
    delete def.stages[0].sla.escalate;
    const r = await run(['process', 'validate', tempFile('warn.json', JSON.stringify(def))]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('OK ltc-standard: 12 stages\n  warning stages[0].sla.escalate: ');
  });

  test('a YAML syntax error → exit 1', async () => {
    const r = await run(['process', 'validate', tempFile('broken.yml', 'key: [oops\n')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(root): invalid YAML');
  });

  test('a missing file → exit 1', async () => {
    const r = await run(['process', 'validate', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read');
  });
});

describe('ltc process apply', () => {
  test('201 → applied, sending the raw YAML with auth and content type', async () => {
    handler = (_req, res) =>
      json(res, 201, {
        key: 'ltc-standard',
        version: 3,
        checksum: 'abc123',
        createdAt: '2024-01-01T00:00:00Z',
      });
    const r = await run(['process', 'apply', DEFAULT_FILE]);
    expect(r).toEqual({ code: 0, stdout: 'applied ltc-standard v3 (abc123)\n', stderr: '' });
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/process-definitions');
    expect(req.headers.authorization).toBe('Bearer secret-token');
    expect(req.headers['content-type']).toBe('application/yaml');
    expect(req.body).toBe(readFileSync(DEFAULT_FILE, 'utf8'));
  });

  test('200 → unchanged; a .json file is sent as application/json', async () => {
    handler = (_req, res) => json(res, 200, { key: 'ltc-standard', version: 2, checksum: 'abc' });
    const file = tempFile('def.json', JSON.stringify(defaultDefinition()));
    const r = await run(['process', 'apply', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('unchanged ltc-standard v2\n');
    expect(requests[0].headers['content-type']).toBe('application/json');
  });

  test('a trailing slash in LTC_URL is tolerated', async () => {
    handler = (_req, res) => json(res, 200, { key: 'ltc-standard', version: 2 });
    const r = await run(['process', 'apply', DEFAULT_FILE], { LTC_URL: `${baseUrl}/` });
    expect(r.code).toBe(0);
    expect(requests[0].url).toBe('/process-definitions');
  });

  test('problem+json errors → exit 1 with path: message', async () => {
    handler = (_req, res) =>
      json(
        res,
        422,
        {
          type: 'about:blank',
          title: 'Invalid process definition',
          status: 422,
          errors: [{ path: 'stages[1].sla.escalate[2].notify[0]', message: 'unknown group "sdt"' }],
        },
        'application/problem+json',
      );
    const r = await run(['process', 'apply', DEFAULT_FILE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('422 Invalid process definition');
    expect(r.stderr).toContain('  stages[1].sla.escalate[2].notify[0]: unknown group "sdt"');
  });

  test('problem+json detail → exit 1', async () => {
    handler = (_req, res) => json(res, 401, { title: 'Unauthorized', status: 401, detail: 'bad token' });
    const r = await run(['process', 'apply', DEFAULT_FILE], { LTC_TOKEN: undefined });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad token');
    expect(r.stderr).toContain('LTC_TOKEN is not set');
    expect(requests[0].headers.authorization).toBeUndefined();
  });

  test('an invalid file is not sent', async () => {
    const file = tempFile('invalid.yaml', 'key: x\nname: { en: X, zh: X }\nstages: []\n');
    const r = await run(['process', 'apply', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('  stages: ');
    expect(requests).toEqual([]);
  });

  test('an unreachable server → exit 1 with a clear message', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await run(['process', 'apply', DEFAULT_FILE], { LTC_URL: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach http://127.0.0.1:${port}`);
  });
});

describe('ltc process list', () => {
  test('prints a table', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        items: [
          {
            key: 'ltc-standard',
            version: 12,
            checksum: 'a',
            createdAt: 'x',
            name: { en: 'Lead to Cash', zh: '从线索到回款' },
          },
          { key: 'small', version: 1, checksum: 'b', createdAt: 'y' },
        ],
        nextCursor: null,
      });
    const r = await run(['process', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'KEY           VERSION  NAME',
        'ltc-standard  12       Lead to Cash / 从线索到回款',
        'small         1',
        '',
      ].join('\n'),
    );
    expect(requests).toHaveLength(1);
    expect(requests[0].method).toBe('GET');
    expect(requests[0].url).toBe('/process-definitions');
    expect(requests[0].headers.authorization).toBe('Bearer secret-token');
  });

  test('follows nextCursor', async () => {
    handler = (req, res) =>
      req.url === '/process-definitions'
        ? json(res, 200, { items: [{ key: 'a', version: 1 }], nextCursor: 'c 1' })
        : json(res, 200, { items: [{ key: 'b', version: 2 }], nextCursor: null });
    const r = await run(['process', 'list']);
    expect(r.code).toBe(0);
    expect(requests.map((q) => q.url)).toEqual(['/process-definitions', '/process-definitions?cursor=c%201']);
    expect(r.stdout).toContain('a    1');
    expect(r.stdout).toContain('b    2');
  });

  test('empty list', async () => {
    handler = (_req, res) => json(res, 200, { items: [], nextCursor: null });
    const r = await run(['process', 'list']);
    expect(r).toEqual({ code: 0, stdout: 'no process definitions\n', stderr: '' });
  });

  test('error → exit 1', async () => {
    handler = (_req, res) => json(res, 403, { title: 'Forbidden', detail: 'needs role ops' });
    const r = await run(['process', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('403 Forbidden');
    expect(r.stderr).toContain('needs role ops');
  });
});

describe('ltc process diff', () => {
  test('prints the diff from the stored version to the file', async () => {
    const stored = defaultDefinition();
    stored.stages[1].sla.within = '5d';
    stored.stages = stored.stages.filter((s: { key: string }) => s.key !== 'close');
    handler = (_req, res) =>
      json(res, 200, { key: 'ltc-standard', version: 4, checksum: 'x', createdAt: 'y', definition: stored });
    const r = await run(['process', 'diff', DEFAULT_FILE]);
    expect(r.code).toBe(0);
    expect(requests[0].method).toBe('GET');
    expect(requests[0].url).toBe('/process-definitions/ltc-standard');
    expect(requests[0].headers.authorization).toBe('Bearer secret-token');
    expect(r.stdout).toContain('v4 (stored)');
    expect(r.stdout).toContain('+ stage close (at position 12)');
    expect(r.stdout).toContain('~ stage ati\n    sla.within: "5d" -> "3d"');
  });

  test('no changes', async () => {
    handler = (_req, res) =>
      json(res, 200, { key: 'ltc-standard', version: 4, definition: defaultDefinition() });
    const r = await run(['process', 'diff', DEFAULT_FILE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no changes');
  });

  test('404 → new', async () => {
    handler = (_req, res) => json(res, 404, { title: 'Not Found' });
    const r = await run(['process', 'diff', DEFAULT_FILE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ltc-standard is new');
  });

  test('an invalid file → exit 1 without a request', async () => {
    const def = defaultDefinition();
    def.stages[0].weights.AR = 0.1;
    const r = await run(['process', 'diff', tempFile('bad-weights.yaml', JSON.stringify(def))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('  stages[0].weights: ');
    expect(requests).toEqual([]);
  });
});
