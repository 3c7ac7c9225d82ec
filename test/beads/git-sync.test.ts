import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportText } from '../../beads/export-file.js';
import { autoImport, commit, flush, GitCommitDebouncer, initBeadsDir } from '../../beads/git-sync.js';
import { SqliteBeadStore } from '../../beads/store.js';

let root: string;
let beadsDir: string;
let store: SqliteBeadStore;
const git = async (...args: string[]) => (await execa('git', args, { cwd: root })).stdout;

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bd-sync-'));
  beadsDir = path.join(root, '.beads');
  await execa('git', ['init', '-q'], { cwd: root });
  await git('config', 'user.email', 't@t');
  await git('config', 'user.name', 't');
  await initBeadsDir(beadsDir, { driverCommand: 'node /nonexistent/bd.js' });
  store = SqliteBeadStore.create(path.join(beadsDir, 'beads.db'), 'bd');
});
afterEach(() => {
  store.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the beads git repository', () => {
  it('init commits only the .beads files, ignores the database and registers the merge driver', async () => {
    expect((await git('ls-files')).split('\n').sort()).toEqual([
      '.beads/.gitattributes',
      '.beads/.gitignore',
      '.beads/issues.jsonl',
    ]);
    expect(await git('config', 'merge.beads.driver')).toBe('node /nonexistent/bd.js merge %A %O %A %B');
    expect(await git('status', '--porcelain')).toBe('');
  });

  it('flush writes only changed lines and equals a full export; commit takes only the JSONL', async () => {
    const a = store.create({ title: 'first' }, 'me');
    expect(flush(store, beadsDir)).toBe(true);
    expect(flush(store, beadsDir)).toBe(false);
    store.create({ title: 'second' }, 'me');
    store.update(a.id, { priority: 0 }, 'me');
    flush(store, beadsDir);
    expect(readFileSync(path.join(beadsDir, 'issues.jsonl'), 'utf8')).toBe(exportText(store));

    writeFileSync(path.join(root, 'unrelated.txt'), 'staged but not ours');
    await git('add', 'unrelated.txt');
    const sha = await commit(beadsDir, 'bd: test');
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect((await git('show', '--name-only', '--format=', 'HEAD')).trim()).toBe('.beads/issues.jsonl');
    expect(await git('diff', '--cached', '--name-only')).toBe('unrelated.txt');
    expect(await commit(beadsDir, 'bd: nothing')).toBeNull();
  });

  it('a JSONL changed under the store (pull, merge, checkout) is imported before the next command', () => {
    const a = store.create({ title: 'before' }, 'me');
    flush(store, beadsDir);
    const file = path.join(beadsDir, 'issues.jsonl');
    const edited = readFileSync(file, 'utf8')
      .replace('"title":"before"', '"title":"after a pull"')
      .replace(/"updated_at":"[^"]+"/, '"updated_at":"2999-01-01T00:00:00Z"');
    writeFileSync(file, edited);
    expect(autoImport(store, beadsDir)).toBe(true);
    expect(store.get(a.id)?.title).toBe('after a pull');
    expect(autoImport(store, beadsDir)).toBe(false);
  });

  it('the debouncer commits once after a quiet period, and on close', async () => {
    const debouncer = new GitCommitDebouncer(store, beadsDir, {
      debounceMs: 50,
      message: () => 'bd: debounced',
    });
    const commits = async () => Number(await git('rev-list', '--count', 'HEAD'));
    const start = await commits();
    for (let i = 0; i < 5; i++) {
      store.create({ title: `burst ${i}` }, 'me');
      debouncer.schedule();
    }
    const deadline = Date.now() + 10_000;
    while ((await commits()) === start) {
      if (Date.now() > deadline) throw new Error('no debounced commit within 10 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await commits()).toBe(start + 1);
    store.create({ title: 'last' }, 'me');
    debouncer.schedule();
    await debouncer.close();
    expect(await commits()).toBe(start + 2);
    expect(readFileSync(path.join(beadsDir, 'issues.jsonl'), 'utf8')).toBe(exportText(store));
  });

  it('a change within the quiet period moves the flush to a quiet period after it', async () => {
    const debouncer = new GitCommitDebouncer(store, beadsDir, {
      debounceMs: 1_000,
      message: () => 'bd: moved',
    });
    const commits = async () => Number(await git('rev-list', '--count', 'HEAD'));
    const start = await commits();
    store.create({ title: 'first' }, 'me');
    const first = Date.now();
    debouncer.schedule();
    // The second change comes 200 ms into the first one's quiet period (the gap is the scenario).
    await new Promise((r) => setTimeout(r, 200));
    store.create({ title: 'second' }, 'me');
    const last = Date.now();
    debouncer.schedule();
    expect(last - first).toBeLessThan(1_000);
    const deadline = Date.now() + 10_000;
    while ((await commits()) === start) {
      if (Date.now() > deadline) throw new Error('no debounced commit within 10 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    // A flush at the first change's deadline would come 800 ms early; timers may fire 1 ms early.
    expect(Date.now() - last).toBeGreaterThanOrEqual(999);
    expect(await commits()).toBe(start + 1);
    expect(readFileSync(path.join(beadsDir, 'issues.jsonl'), 'utf8')).toBe(exportText(store));
    await debouncer.close();
  });

  it('commits within maxWaitMs even when changes never leave a quiet period', async () => {
    const debouncer = new GitCommitDebouncer(store, beadsDir, {
      debounceMs: 400,
      maxWaitMs: 300,
      message: () => 'bd: sustained',
    });
    const commits = async () => Number(await git('rev-list', '--count', 'HEAD'));
    const start = await commits();
    const deadline = Date.now() + 10_000;
    let i = 0;
    while ((await commits()) === start) {
      if (Date.now() > deadline) throw new Error('no commit under sustained changes within 10 s');
      store.create({ title: `steady ${i++}` }, 'me');
      debouncer.schedule();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(i).toBeLessThan(100);
    await debouncer.close();
  });
});
