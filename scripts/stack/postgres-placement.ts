/**
 * Where the embedded Postgres runs from and keeps its data when we are root.
 *
 * Postgres refuses to run as root, so as root it runs as the system user `postgres`. That user may
 * be unable to enter the checkout: root's home is mode 0700 on many machines, so a clone in `~`
 * gives `spawn …/initdb EACCES`. Without touching the user's folder permissions:
 *
 * - the binaries are run from where they are when `postgres` can reach them, otherwise from a copy
 *   in `<root>/runtime/postgres-<version>-<platform>-<arch>/` (made once, about 60 MB);
 * - the cluster stays in `DATA_DIR/postgres` when `postgres` can reach it, otherwise it lives in
 *   `<root>/clusters/<hash of its path>/pgdata` and `DATA_DIR/postgres` is a symbolic link to it.
 *   Deleting DATA_DIR still means starting from scratch: a cluster whose link is gone is cleared
 *   on the next start.
 *
 * `<root>` is `/var/lib/iron-triangle-ltc`: durable (not a temporary folder a reboot clears) and
 * reachable by `postgres`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const RELOCATION_ROOT = '/var/lib/iron-triangle-ltc';

type Log = (msg: string) => void;

/** The uid and gid the server runs as (root only). */
export interface RunAs {
  uid: number;
  gid: number;
}

/** As root, the `postgres` system user (created when missing); otherwise null (we run it ourselves). */
export function postgresRunAs(log: Log): RunAs | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    log('creating the system user postgres, which runs the embedded Postgres');
    execFileSync('groupadd', ['--force', '--system', 'postgres']);
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Whether `runAs` passes `test -<mode> <p>`: the kernel's own answer, folder traversal included. */
export function canAccess(runAs: RunAs, p: string, mode: 'x' | 'w'): boolean {
  return spawnSync('test', [`-${mode}`, p], { uid: runAs.uid, gid: runAs.gid, stdio: 'ignore' }).status === 0;
}

/** A root-owned folder everyone may enter (whatever the umask). */
function publicDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
}

/** Make a copied tree readable (and its programs runnable) by everyone. */
function openUp(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) openUp(p);
    else if (entry.isFile()) fs.chmodSync(p, fs.statSync(p).mode & 0o100 ? 0o755 : 0o644);
  }
}

/**
 * The folder (`bin/`, `lib/`, `share/`) to run Postgres from: `nativeDir` when `runAs` can run its
 * `bin/postgres`, otherwise a copy under `root` (made once per version; atomic, so concurrent starts
 * are safe).
 */
export function reachableBinaries(nativeDir: string, runAs: RunAs, root: string, log: Log): string {
  if (canAccess(runAs, path.join(nativeDir, 'bin', 'postgres'), 'x')) return nativeDir;
  const pkg = JSON.parse(fs.readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const runtime = path.join(root, 'runtime');
  const target = path.join(runtime, `postgres-${pkg.version}-${os.platform()}-${os.arch()}`);
  if (fs.existsSync(path.join(target, 'bin', 'postgres'))) return target;
  log(`the postgres user cannot enter ${nativeDir}: copying the Postgres binaries to ${target}`);
  publicDir(root);
  publicDir(runtime);
  const tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  // static libraries and headers are not needed to run the server
  fs.cpSync(nativeDir, tmp, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !src.endsWith('.a') && path.basename(src) !== 'include',
  });
  openUp(tmp);
  try {
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // another start made the same copy meanwhile
    if (!fs.existsSync(path.join(target, 'bin', 'postgres'))) throw err;
  }
  return target;
}

/** Where the cluster of `dir` lives when `postgres` cannot reach `dir`. */
export function relocatedClusterDir(dir: string, root: string): string {
  const key = createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16);
  return path.join(root, 'clusters', key, 'pgdata');
}

function ownedDataDir(dir: string, runAs: RunAs): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  fs.chownSync(dir, runAs.uid, runAs.gid);
}

/** Move a folder, also across file systems. */
function move(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    fs.rmSync(from, { recursive: true, force: true });
  }
}

/**
 * The real data directory for the cluster named `dir` (`DATA_DIR/postgres`), owned by `runAs`
 * and reachable by it: `dir` itself when it can be, otherwise the relocated cluster that `dir`
 * links to (see the top of this file).
 */
export function placeCluster(dir: string, runAs: RunAs, root: string, log: Log): string {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (st?.isSymbolicLink()) {
    const target = path.resolve(path.dirname(dir), fs.readlinkSync(dir));
    if (!fs.existsSync(target)) {
      log(`${dir} links to ${target}, which is gone: starting a new cluster there`);
      publicDir(path.dirname(target));
      ownedDataDir(target, runAs);
    }
    return target;
  }
  if (st?.isDirectory() && canAccess(runAs, dir, 'w')) return dir;
  if (!st) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    if (canAccess(runAs, path.dirname(dir), 'x')) {
      ownedDataDir(dir, runAs);
      return dir;
    }
  }
  const target = relocatedClusterDir(dir, root);
  publicDir(root);
  publicDir(path.dirname(path.dirname(target)));
  publicDir(path.dirname(target));
  if (fs.existsSync(target)) {
    // its link was deleted with DATA_DIR: that means starting from scratch
    log(`clearing ${target}: it belonged to ${dir}, which was deleted`);
    fs.rmSync(target, { recursive: true, force: true });
  }
  if (st) {
    log(`the postgres user cannot enter ${dir}: moving it to ${target}`);
    move(dir, target);
    ownedDataDir(target, runAs);
  } else {
    log(`the postgres user cannot enter ${path.dirname(dir)}: the cluster lives in ${target}`);
    ownedDataDir(target, runAs);
  }
  fs.writeFileSync(path.join(path.dirname(target), 'ORIGIN'), `${path.resolve(dir)}\n`);
  fs.symlinkSync(target, dir);
  return target;
}

/** Remove a cluster named `dir`: the folder, or the link and the relocated cluster it points to. */
export function removeCluster(dir: string): void {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (st?.isSymbolicLink()) {
    const target = path.resolve(path.dirname(dir), fs.readlinkSync(dir));
    const home = path.dirname(target);
    const ours = fs.existsSync(path.join(home, 'ORIGIN'));
    fs.rmSync(ours ? home : target, { recursive: true, force: true });
    fs.unlinkSync(dir);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
