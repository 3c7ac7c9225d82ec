import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BeadsError } from './errors.js';
import { exportText, writeFileAtomic } from './export-file.js';
import { importText } from './import-file.js';
import { serializeRecord } from './jsonl-serialize.js';
import type { BeadStore } from './store.types.js';

/** Name of the canonical JSONL file inside `.beads/`. */
export const JSONL_FILE = 'issues.jsonl';
const HASH_KEY = 'jsonl_hash';

const GITIGNORE = ['beads.db', 'beads.db-wal', 'beads.db-shm', '*.db-journal', '*.lock', '.*.tmp.*', ''].join(
  '\n',
);

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function jsonlPath(beadsDir: string): string {
  return path.join(beadsDir, JSONL_FILE);
}

async function git(cwd: string, args: string[], env?: Record<string, string>) {
  const { execa } = await import('execa');
  return execa('git', args, { cwd, reject: false, ...(env ? { env } : {}) });
}

/** The git identity env for commits when the repository has none configured (CI machines, fresh users). */
async function identityEnv(cwd: string): Promise<Record<string, string> | undefined> {
  const email = await git(cwd, ['config', 'user.email']);
  if (email.exitCode === 0 && email.stdout.trim() !== '') return undefined;
  return {
    GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? 'bd',
    GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? 'bd@localhost',
    GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? 'bd',
    GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? 'bd@localhost',
  };
}

/**
 * Prepares `.beads/` for git: `.gitignore` (database files), `.gitattributes` (`issues.jsonl merge=beads`),
 * an empty `issues.jsonl`; runs `git init` in the parent directory when it is not inside a work tree;
 * registers the merge driver (`<driverCommand> merge %A %O %A %B`) in the repository's local config; and
 * commits those `.beads/` files (only them). Idempotent.
 */
export async function initBeadsDir(beadsDir: string, options: { driverCommand: string }): Promise<void> {
  mkdirSync(beadsDir, { recursive: true });
  writeFileSync(path.join(beadsDir, '.gitignore'), GITIGNORE);
  writeFileSync(path.join(beadsDir, '.gitattributes'), `${JSONL_FILE} merge=beads\n`);
  if (!existsSync(jsonlPath(beadsDir))) writeFileSync(jsonlPath(beadsDir), '');
  const inside = await git(beadsDir, ['rev-parse', '--is-inside-work-tree']);
  if (inside.exitCode !== 0 || inside.stdout.trim() !== 'true') {
    const init = await git(path.dirname(beadsDir), ['init', '-q']);
    if (init.exitCode !== 0) throw new BeadsError('git.init_failed', `git init failed: ${init.stderr}`);
  }
  await git(beadsDir, ['config', 'merge.beads.name', 'Beads JSONL three-way merge']);
  await git(beadsDir, ['config', 'merge.beads.driver', `${options.driverCommand} merge %A %O %A %B`]);
  const files = ['.gitignore', '.gitattributes', JSONL_FILE];
  await git(beadsDir, ['add', '--', ...files]);
  const staged = await git(beadsDir, ['diff', '--cached', '--quiet', '--', ...files]);
  if (staged.exitCode === 1) {
    const res = await git(
      beadsDir,
      ['commit', '-q', '-m', 'bd: init beads store', '--', ...files],
      await identityEnv(beadsDir),
    );
    if (res.exitCode !== 0) throw new BeadsError('git.commit_failed', `git commit failed: ${res.stderr}`);
  }
}

/**
 * Writes the store's changes to `.beads/issues.jsonl`. Nothing dirty and the file unchanged: nothing.
 * File missing or changed since our last write: a full export. Otherwise only the dirty lines are
 * replaced. Returns whether the file changed.
 */
export function flush(store: BeadStore, beadsDir: string): boolean {
  const file = jsonlPath(beadsDir);
  const { ids, seq } = store.dirty();
  const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
  const known = store.getMeta(HASH_KEY);
  const intact = current !== null && known !== null && sha256(current) === known;
  if (ids.length === 0 && intact) return false;
  let text: string;
  if (!intact) {
    text = exportText(store);
  } else {
    const dirty = new Set(ids);
    const lines = new Map<string, string>();
    for (const line of (current ?? '').split('\n')) {
      if (line.trim() === '') continue;
      const m = /^\{"id":("(?:[^"\\]|\\.)*")/.exec(line);
      const id = m ? (JSON.parse(m[1] as string) as string) : null;
      if (id !== null && !dirty.has(id)) lines.set(id, line);
    }
    const snap = store.snapshot({ ids });
    for (const bead of snap.beads) lines.set(bead.id, serializeRecord({ kind: 'bead', bead }));
    for (const tombstone of snap.tombstones)
      lines.set(tombstone.id, serializeRecord({ kind: 'tombstone', tombstone }));
    const sorted = [...lines.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    text = sorted.length === 0 ? '' : `${sorted.map((id) => lines.get(id)).join('\n')}\n`;
  }
  const changed = text !== current;
  if (changed) writeFileAtomic(file, text);
  store.setMeta(HASH_KEY, sha256(text));
  store.clearDirty(ids, seq);
  store.checkpoint();
  return changed;
}

/**
 * Imports `.beads/issues.jsonl` when it changed under the store (a pull, merge or checkout), protecting
 * beads changed locally and not yet written. Returns whether it imported.
 */
export function autoImport(store: BeadStore, beadsDir: string): boolean {
  const file = jsonlPath(beadsDir);
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  const hash = sha256(text);
  if (store.getMeta(HASH_KEY) === hash) return false;
  const protect = new Set(store.dirty().ids);
  importText(store, text, file, { actor: 'bd-sync', protect });
  store.setMeta(HASH_KEY, hash);
  return true;
}

/**
 * Commits `.beads/issues.jsonl`, and only it, with this message. Returns the new commit's sha, or null
 * when the file has no change to commit.
 */
export async function commit(beadsDir: string, message: string): Promise<string | null> {
  const status = await git(beadsDir, ['status', '--porcelain', '--', JSONL_FILE]);
  if (status.exitCode !== 0)
    throw new BeadsError('git.status_failed', `git status failed in ${beadsDir}: ${status.stderr}`);
  if (status.stdout.trim() === '') return null;
  await git(beadsDir, ['add', '--', JSONL_FILE]);
  const { simpleGit } = await import('simple-git');
  const env = await identityEnv(beadsDir);
  const sg = simpleGit(beadsDir);
  if (env) sg.env({ ...process.env, ...env });
  const res = await sg.commit(message, [JSONL_FILE]);
  return res.commit === '' ? null : (await git(beadsDir, ['rev-parse', 'HEAD'])).stdout.trim();
}

/**
 * For long-running processes: `schedule()` after each change; after `debounceMs` of quiet the JSONL is
 * flushed and committed, and under changes that never pause, at the latest `maxWaitMs` (default 30 s)
 * after the first unflushed one. `flushNow()` does it at once; `close()` flushes and stops the timer.
 */
export class GitCommitDebouncer {
  private timer: NodeJS.Timeout | null = null;
  /** When the oldest change not yet flushed was scheduled (null: nothing pending). */
  private pendingSince: number | null = null;
  /** When schedule() was last called. */
  private lastChange = 0;
  private running: Promise<string | null> = Promise.resolve(null);
  private closed = false;

  constructor(
    private readonly store: BeadStore,
    private readonly beadsDir: string,
    private readonly options: {
      debounceMs?: number;
      maxWaitMs?: number;
      message?: () => string;
      onError?: (err: unknown) => void;
    } = {},
  ) {}

  /**
   * Asks for a flush and commit after the debounce period. Called after every change, so it only notes
   * the time: the one timer, when it fires early, waits again for what is left of the quiet period.
   */
  schedule(): void {
    if (this.closed) return;
    const now = Date.now();
    this.lastChange = now;
    this.pendingSince ??= now;
    if (this.timer === null) this.arm(now);
  }

  private arm(now: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.due() - now));
  }

  /** When the pending changes are to be flushed: after the quiet period, or at the latest maxWaitMs. */
  private due(): number {
    const quiet = this.lastChange + (this.options.debounceMs ?? 5000);
    return Math.min(quiet, (this.pendingSince ?? this.lastChange) + (this.options.maxWaitMs ?? 30_000));
  }

  private fire(): void {
    this.timer = null;
    if (this.pendingSince === null || this.closed) return;
    const now = Date.now();
    if (now < this.due()) {
      this.arm(now);
      return;
    }
    this.flushNow().catch((err: unknown) => this.options.onError?.(err));
  }

  /** Flushes and commits now (serialised with any run in progress). */
  flushNow(): Promise<string | null> {
    this.pendingSince = null;
    const next = this.running.then(async () => {
      flush(this.store, this.beadsDir);
      return commit(this.beadsDir, this.options.message?.() ?? 'bd: sync');
    });
    this.running = next.catch(() => null);
    return next;
  }

  /** Stops the timer and flushes what is pending. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.flushNow();
  }
}
