import fs from 'node:fs';
import path from 'node:path';
import { NoStoreError } from '../../beads/errors.js';
import type { StoreWriter } from '../../actors/store/store-client.js';
import type { BeadStore } from '../../beads/store.types.js';

/** Global options every command sees (commander's `optsWithGlobals()`). */
export interface GlobalOptions {
  json?: boolean;
  actor?: string;
  db?: string;
  autoCommit?: boolean;
}

/** Where the store lives: the SQLite file and its `.beads` directory. */
export interface StoreLocation {
  dbPath: string;
  beadsDir: string;
}

/** The database file name inside `.beads/`. */
export const DB_FILE = 'beads.db';

/**
 * Finds the store: `--db <file>`, else `BEADS_DIR` (a `.beads` dir), else the first `.beads/beads.db`
 * walking up from the working directory. Throws NoStoreError when there is none.
 */
export function locateStore(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): StoreLocation {
  const cwd = process.cwd();
  if (opts.db !== undefined) {
    const dbPath = path.resolve(cwd, opts.db);
    if (!fs.existsSync(dbPath)) throw new NoStoreError(dbPath);
    return { dbPath, beadsDir: path.dirname(dbPath) };
  }
  const fromEnv = env['BEADS_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') {
    const beadsDir = path.resolve(cwd, fromEnv);
    const dbPath = path.join(beadsDir, DB_FILE);
    if (!fs.existsSync(dbPath)) throw new NoStoreError(beadsDir);
    return { dbPath, beadsDir };
  }
  let dir = cwd;
  for (;;) {
    const dbPath = path.join(dir, '.beads', DB_FILE);
    if (fs.existsSync(dbPath)) return { dbPath, beadsDir: path.dirname(dbPath) };
    const up = path.dirname(dir);
    if (up === dir) throw new NoStoreError(cwd);
    dir = up;
  }
}

/** True unless `--no-auto-commit` or `BD_NO_AUTO_COMMIT=1`. */
export function autoCommitEnabled(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  if (opts.autoCommit === false) return false;
  const v = env['BD_NO_AUTO_COMMIT'];
  return !(v === '1' || v === 'true');
}

/**
 * The acting identity: `--actor`, else `BD_ACTOR`, else `BEADS_ACTOR`, else git user.name, else `$USER`,
 * else `unknown`. Spawns git only when the earlier sources are empty.
 */
export async function resolveActor(
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  for (const v of [opts.actor, env['BD_ACTOR'], env['BEADS_ACTOR']]) {
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  const { execa } = await import('execa');
  const git = await execa('git', ['config', 'user.name'], { reject: false, timeout: 5000 });
  const name = typeof git.stdout === 'string' ? git.stdout.trim() : '';
  if (git.exitCode === 0 && name !== '') return name;
  const user = env['USER'];
  if (user !== undefined && user.trim() !== '') return user.trim();
  return 'unknown';
}

async function openStore(loc: StoreLocation): Promise<BeadStore> {
  const { SqliteBeadStore } = await import('../../beads/store.js');
  return SqliteBeadStore.open(loc.dbPath);
}

async function openReadonly(loc: StoreLocation): Promise<BeadStore> {
  const { SqliteBeadStore } = await import('../../beads/store.js');
  return SqliteBeadStore.open(loc.dbPath, { readonly: true });
}

/** A store opened for one command, with what the command needs to know about where it lives. */
export interface Session {
  store: BeadStore;
  loc: StoreLocation;
  opts: GlobalOptions;
  actor: () => Promise<string>;
}

function session(store: BeadStore, loc: StoreLocation, opts: GlobalOptions): Session {
  let actor: Promise<string> | undefined;
  return { store, loc, opts, actor: () => (actor ??= resolveActor(opts)) };
}

/** The running town daemon that owns this store (its single writer), or null. */
async function owningTown(loc: StoreLocation): Promise<{ root: string; town: string } | null> {
  const { runningTownOf } = await import('../../actors/town/store-owner.js');
  return runningTownOf(loc.beadsDir);
}

/**
 * Read path: open the store, import the JSONL if it changed under us (not while a town daemon owns
 * the store: it does its own syncing), run `fn`, close.
 */
export async function withRead<T>(opts: GlobalOptions, fn: (s: Session) => T | Promise<T>): Promise<T> {
  const loc = locateStore(opts);
  const town = await owningTown(loc);
  const store = town === null ? await openStore(loc) : await openReadonly(loc);
  try {
    const { autoImport } = await import('../../beads/git-sync.js');
    if (town === null) autoImport(store, loc.beadsDir);
    return await fn(session(store, loc, opts));
  } finally {
    store.close();
  }
}

/**
 * Write path: open, auto-import, mutate with `fn`, flush the JSONL, and commit it with the message
 * `message(result)` unless auto-commit is off or the message is null (nothing changed).
 */
export async function withWrite<T>(
  opts: GlobalOptions,
  fn: (s: Session) => T | Promise<T>,
  message: (result: T) => string | null,
): Promise<T> {
  const loc = locateStore(opts);
  const town = await owningTown(loc);
  if (town !== null) {
    const { BeadsError } = await import('../../beads/errors.js');
    throw new BeadsError(
      'store.owned_by_daemon',
      `town ${town.town} is running and its daemon is the only writer of this store; it does not take this command over the bus yet: stop the town (gt down) first, or use bd create, update (with --claim) and close, which go through it`,
      { details: { town: town.town } },
    );
  }
  const store = await openStore(loc);
  try {
    const sync = await import('../../beads/git-sync.js');
    sync.autoImport(store, loc.beadsDir);
    const result = await fn(session(store, loc, opts));
    sync.flush(store, loc.beadsDir);
    const msg = autoCommitEnabled(opts) ? message(result) : null;
    if (msg !== null) await sync.commit(loc.beadsDir, msg);
    return result;
  } finally {
    store.close();
  }
}

/** A write session: reads from `store`, writes through `writer` (the daemon's store actor, or directly). */
export interface WriterSession extends Session {
  writer: StoreWriter;
}

/**
 * Write path for the commands the town daemon serves. With a running town daemon owning the store,
 * the store is opened read-only and every change is a bus command to the store actor (which flushes
 * and commits the JSONL itself); otherwise this is `withWrite` with a writer on the store.
 */
export async function withStoreWriter<T>(
  opts: GlobalOptions,
  fn: (s: WriterSession) => Promise<T>,
  message: (result: T) => string | null,
): Promise<T> {
  const loc = locateStore(opts);
  const town = await owningTown(loc);
  if (town === null) {
    const { DirectStoreWriter } = await import('../../actors/store/direct-store-writer.js');
    return withWrite(
      opts,
      (s) => fn({ ...s, writer: new DirectStoreWriter(s.store, loc.beadsDir, null) }),
      message,
    );
  }
  const store = await openReadonly(loc);
  const { daemonWriter } = await import('../../actors/store/store-client.js');
  const writer = await daemonWriter(town.root);
  try {
    return await fn({ ...session(store, loc, opts), writer });
  } finally {
    await writer.close();
    store.close();
  }
}
