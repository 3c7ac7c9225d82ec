import { mkdtempSync, rmSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recomputeAllBlocked } from '../../beads/blocked.js';
import { CycleError, GuardError, ValidationError } from '../../beads/errors.js';
import { exportText } from '../../beads/export-file.js';
import { SqliteBeadStore } from '../../beads/store.js';

let dir: string;
let store: SqliteBeadStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bd-blocked-'));
  store = SqliteBeadStore.create(path.join(dir, 'beads.db'), 'bd');
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const me = 'tester';
const task = (title: string, extra: Parameters<SqliteBeadStore['create']>[0] = { title }) =>
  store.create({ ...extra, title }, me).id;
const ready = () => new Set(store.ready({ limit: 1000 }).map((b) => b.id));

describe('ready and the blocked flag follow every Beads rule', () => {
  it('blocks: blocked until the blocker closes; a pinned blocker does not block', () => {
    const a = task('a');
    const b = task('b', { title: 'b', deps: [{ type: 'blocks', id: a }] });
    expect(ready().has(b)).toBe(false);
    store.close(a, { reason: 'done' }, me);
    expect(ready().has(b)).toBe(true);
    store.reopen(a, 'again', me);
    expect(ready().has(b)).toBe(false);
    store.update(a, { status: 'pinned' }, me);
    expect(ready().has(b)).toBe(true);
  });

  it('conditional-blocks: runs only if the blocker failed', () => {
    const a = task('a');
    const ok = task('fallback', { title: 'fallback', deps: [{ type: 'conditional-blocks', id: a }] });
    expect(ready().has(ok)).toBe(false);
    store.close(a, { reason: 'shipped fine' }, me);
    expect(ready().has(ok)).toBe(false);
    store.reopen(a, undefined, me);
    store.close(a, { reason: 'Tests FAILED on main' }, me);
    expect(ready().has(ok)).toBe(true);
  });

  it('waits-for: all-children waits for every child of the spawner, any-children for one', () => {
    const spawner = task('spawner', { title: 'spawner', issue_type: 'epic' });
    const c1 = task('c1', { title: 'c1', parent: spawner });
    const c2 = task('c2', { title: 'c2', parent: spawner });
    const all = task('all');
    const any = task('any');
    store.addDependency(all, spawner, 'waits-for', me);
    store.addDependency(any, spawner, 'waits-for', me, { metadata: '{"gate":"any-children"}' });
    expect(ready().has(all)).toBe(false);
    expect(ready().has(any)).toBe(false);
    store.close(c1, {}, me);
    expect(ready().has(all)).toBe(false);
    expect(ready().has(any)).toBe(true);
    const blocked = new Map(store.blocked().map((b) => [b.id, b.blocked_by]));
    expect(blocked.get(all)).toEqual([spawner]);
    expect(blocked.has(any)).toBe(false);
    store.close(c2, {}, me);
    expect(ready().has(all)).toBe(true);
  });

  it('a blocked parent blocks its children recursively; an open parent does not', () => {
    const gate = task('gate');
    const epic = task('epic', { title: 'epic', issue_type: 'epic' });
    const child = task('child', { title: 'child', parent: epic });
    const grandchild = task('grandchild', { title: 'grandchild', parent: child });
    expect(ready()).toContain(child);
    store.addDependency(epic, gate, 'blocks', me);
    expect(ready().has(child)).toBe(false);
    expect(ready().has(grandchild)).toBe(false);
    expect(store.blocked().find((b) => b.id === grandchild)?.blocked_by).toEqual([child]);
    store.removeDependency(epic, gate, me);
    expect(ready().has(grandchild)).toBe(true);
  });

  it('deferral hides a bead and its children until the date passes', () => {
    const epic = task('epic', { title: 'epic', issue_type: 'epic', defer_until: '2999-01-01T00:00:00Z' });
    const child = task('child', { title: 'child', parent: epic });
    expect(ready().has(epic)).toBe(false);
    expect(ready().has(child)).toBe(false);
    expect(store.ready({ include_deferred: true, limit: 100 }).map((b) => b.id)).toContain(child);
    store.update(epic, { defer_until: '2001-01-01T00:00:00Z' }, me);
    expect(ready().has(child)).toBe(true);
  });

  it('excluded types, wisps and pinned beads are not ready; missing targets do not block, external ones do', () => {
    const msg = task('mail', { title: 'mail', issue_type: 'message' });
    const wisp = task('wisp', { title: 'wisp', ephemeral: true });
    const pinned = task('pinned', { title: 'pinned', pinned: true });
    const ext = task('ext', { title: 'ext', deps: [{ type: 'blocks', id: 'external:other:cap' }] });
    expect(ready().has(msg) || ready().has(wisp) || ready().has(pinned) || ready().has(ext)).toBe(false);
    expect(store.ready({ type: ['message'], limit: 10 }).map((b) => b.id)).toEqual([msg]);
    expect(store.ready({ include_ephemeral: true, limit: 10 }).map((b) => b.id)).toContain(wisp);
  });

  it('orders by priority then newest; oldest; and limits', () => {
    [3, 0, 2, 0].forEach((p, i) => task(`p${p}-${i}`, { title: `p${p}-${i}`, priority: p }));
    const order = store.ready({ limit: 10 }).map((b) => b.priority);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(store.ready({ limit: 2 })).toHaveLength(2);
    const oldest = store.ready({ sort: 'oldest', limit: 10 }).map((b) => `${b.created_at} ${b.id}`);
    expect(oldest).toEqual([...oldest].sort());
  });

  it('the incremental flags always equal a full recompute (seeded random operations)', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const ids: string[] = [];
    const db = (store as unknown as { db: Database }).db;
    const flags = () => db.prepare('SELECT id, is_blocked FROM issues ORDER BY id').all();
    for (let step = 0; step < 300; step++) {
      const pick = () => ids[rand(ids.length)] as string;
      const op = ids.length < 5 ? 0 : rand(6);
      try {
        if (op === 0)
          ids.push(
            task(`t${step}`, {
              title: `t${step}`,
              ...(ids.length > 0 && rand(3) === 0 ? { parent: pick() } : {}),
            }),
          );
        else if (op === 1)
          store.addDependency(
            pick(),
            pick(),
            ['blocks', 'conditional-blocks', 'waits-for'][rand(3)] as string,
            me,
          );
        else if (op === 2) store.close(pick(), { reason: rand(2) ? 'failed' : 'done', force: true }, me);
        else if (op === 3) store.reopen(pick(), undefined, me);
        else if (op === 4) {
          const from = pick();
          const dep = store.dependencies(from, 'down')[0];
          if (dep) store.removeDependency(from, dep.depends_on_id, me);
        } else store.update(pick(), { status: ['open', 'pinned', 'in_progress'][rand(3)] as string }, me);
      } catch (err) {
        if (!(err instanceof CycleError || err instanceof GuardError || err instanceof ValidationError))
          throw err;
      }
      const incremental = flags();
      store.transaction(() => recomputeAllBlocked(db));
      expect(flags(), `after step ${step}`).toEqual(incremental);
    }
  });
});

describe('refusals change nothing', () => {
  it('a blocks cycle, priority 9, an unknown status, an unknown id, closing with open blockers', () => {
    const a = task('a');
    const b = task('b', { title: 'b', deps: [{ type: 'blocks', id: a }] });
    const before = exportText(store);
    expect(() => store.addDependency(a, b, 'blocks', me)).toThrow(CycleError);
    expect(() => store.update(a, { priority: 9 }, me)).toThrow(/priority must be an integer 0-4, got 9/);
    expect(() => store.update(a, { status: 'doing' }, me)).toThrow(/unknown status "doing"/);
    expect(() => store.update('bd-nope', { title: 'x' }, me)).toThrow(/no bead with id "bd-nope"/);
    expect(() => store.close(b, {}, me)).toThrow(/blocked by open/);
    expect(() => store.create({ title: '   ' }, me)).toThrow(/title is required/);
    expect(exportText(store)).toBe(before);
  });
});
