import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addToConvoy,
  convoyProgress,
  convoysTracking,
  createConvoy,
  isComplete,
  LANDED_BY_OWNER_REASON,
  LANDED_REASON,
  landConvoy,
  landConvoysOf,
  landIfComplete,
  listConvoys,
  trackedBeads,
} from '../../beads/convoy.js';
import { BeadsError } from '../../beads/errors.js';
import { SqliteBeadStore } from '../../beads/store.js';
import type { BeadStore } from '../../beads/store.types.js';
import type { Bead } from '../../beads/types.js';

const actor = 'alpha/overseer';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof BeadsError ? err.code : `not a BeadsError: ${String(err)}`;
  }
  return 'no error';
}

describe('convoys', () => {
  let dir: string;
  let store: BeadStore;
  let a: Bead;
  let b: Bead;
  let c: Bead;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-convoy-'));
    let clock = Date.parse('2026-03-01T10:00:00Z');
    store = SqliteBeadStore.create(path.join(dir, 'beads.db'), 'alpha', {
      now: () => new Date((clock += 1000)),
    });
    a = store.create({ title: 'Login form' }, actor);
    b = store.create({ title: 'Login API', issue_type: 'feature' }, actor);
    c = store.create({ title: 'Login docs' }, actor);
  });

  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a convoy bead with tracks edges, and the tracked beads stay ready', () => {
    const cv = createConvoy(store, { title: 'Login flow', beads: [a.id, b.id, a.id], actor });
    expect(cv).toMatchObject({ issue_type: 'convoy', title: 'Login flow', status: 'open' });
    expect(cv.id).toMatch(/^alpha-cv-[0-9a-z]+$/);
    expect(cv.labels ?? []).not.toContain('gt:owned');
    expect(trackedBeads(store, cv.id)).toEqual([a.id, b.id].sort());
    expect(store.dependencies(cv.id, 'down').map((d) => d.type)).toEqual(['tracks', 'tracks']);
    const ready = store.ready().map((x) => x.id);
    expect(ready).toContain(a.id);
    expect(ready).toContain(b.id);
    expect(store.blocked().map((x) => x.id)).not.toContain(a.id);
    expect(store.claim(a.id, 'alpha/web/polecats/nux').status).toBe('in_progress');

    const owned = createConvoy(store, { title: 'Manual', beads: [], owned: true, actor });
    expect(owned.labels).toContain('gt:owned');
    expect(convoysTracking(store, a.id)).toEqual([cv.id]);
    expect(
      listConvoys(store)
        .map((p) => p.id)
        .sort(),
    ).toEqual([cv.id, owned.id].sort());
  });

  it('refuses unknown beads and convoys as tracked beads, changing nothing', () => {
    expect(codeOf(() => createConvoy(store, { title: 'x', beads: [a.id, 'alpha-nope'], actor }))).toBe(
      'bead.not_found',
    );
    const cv = createConvoy(store, { title: 'Outer', beads: [a.id], actor });
    expect(codeOf(() => createConvoy(store, { title: 'Nested', beads: [cv.id], actor }))).toBe(
      'convoy.nested',
    );
    expect(store.list({ type: ['convoy'], status: 'all' }).map((x) => x.id)).toEqual([cv.id]);
    expect(codeOf(() => addToConvoy(store, cv.id, [b.id, 'alpha-nope'], actor))).toBe('bead.not_found');
    expect(trackedBeads(store, cv.id)).toEqual([a.id]);
    expect(codeOf(() => convoyProgress(store, 'alpha-cv-zzzz'))).toBe('convoy.not_found');
    expect(codeOf(() => convoyProgress(store, a.id))).toBe('convoy.not_convoy');
  });

  it('adds beads and reports progress; a landed convoy refuses additions until reopened', () => {
    const cv = createConvoy(store, { title: 'Login flow', beads: [a.id], actor });
    const p = addToConvoy(store, cv.id, [b.id, c.id, a.id], actor);
    expect(p).toMatchObject({ id: cv.id, title: 'Login flow', status: 'open', total: 3, closed: 0 });
    store.claim(b.id, 'alpha/web/polecats/nux');
    store.update(c.id, { status: 'hooked', assignee: 'alpha/web/polecats/furiosa' }, actor);
    store.close(a.id, { reason: 'Merged in alpha-mr1' }, actor);
    const q = convoyProgress(store, cv.id);
    expect(q).toMatchObject({ total: 3, closed: 1, in_progress: 2, open: 0 });
    expect(q.beads.find((x) => x.id === a.id)).toEqual({
      id: a.id,
      title: 'Login form',
      status: 'closed',
      assignee: null,
      close_reason: 'Merged in alpha-mr1',
    });
    expect(q.beads.find((x) => x.id === b.id)?.assignee).toBe('alpha/web/polecats/nux');

    store.close(b.id, {}, actor);
    store.close(c.id, {}, actor);
    expect(landIfComplete(store, cv.id, actor).landed).toBe(true);
    const d = store.create({ title: 'Late work' }, actor);
    expect(codeOf(() => addToConvoy(store, cv.id, [d.id], actor))).toBe('convoy.closed');
    store.reopen(cv.id, 'more work', actor);
    expect(addToConvoy(store, cv.id, [d.id], actor)).toMatchObject({ status: 'open', total: 4, closed: 3 });
  });

  it('lands only when every tracked bead is closed and one was resolved; never 0/0', () => {
    const empty = createConvoy(store, { title: 'Empty', beads: [], actor });
    expect(landIfComplete(store, empty.id, actor)).toMatchObject({ landed: false, progress: { total: 0 } });
    expect(codeOf(() => landConvoy(store, empty.id, actor))).toBe('convoy.not_done');
    expect(store.get(empty.id)?.status).toBe('open');

    const cv = createConvoy(store, { title: 'Login flow', beads: [a.id, b.id], actor });
    store.close(a.id, {}, actor);
    expect(landIfComplete(store, cv.id, actor).landed).toBe(false);
    let refused: unknown;
    try {
      landConvoy(store, cv.id, actor);
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({ code: 'convoy.not_done', details: { pending: [b.id] } });
    expect((refused as Error).message).toContain(`${b.id} open`);
    expect(store.get(cv.id)?.status).toBe('open');

    store.close(b.id, {}, actor);
    const landed = landIfComplete(store, cv.id, actor);
    expect(landed).toMatchObject({ landed: true, progress: { status: 'closed', total: 2, closed: 2 } });
    expect(store.get(cv.id)).toMatchObject({ status: 'closed', close_reason: LANDED_REASON });
    expect(landIfComplete(store, cv.id, actor).landed).toBe(false);
    expect(landConvoy(store, cv.id, actor).landed).toBe(false);
    expect(convoysTracking(store, a.id)).toEqual([]);
  });

  it('treats deleted tracked beads as tombstones: done, but never the resolved one', () => {
    const only = createConvoy(store, { title: 'Only deleted', beads: [a.id], actor });
    const mixed = createConvoy(store, { title: 'Mixed', beads: [b.id, c.id], actor });
    store.delete(a.id, 'not needed', actor);
    // Deleting a bead removes the edges into it: the convoy no longer tracks it (0/0 never lands).
    expect(convoyProgress(store, only.id).total).toBe(0);
    expect(landIfComplete(store, only.id, actor).landed).toBe(false);

    // An edge that outlived its bead (imported from another node) shows as a tombstone.
    const ghost = `${store.prefix}-ghost`;
    const exported = store.get(mixed.id) as Bead;
    store.importRecords(
      [
        {
          kind: 'bead',
          bead: {
            ...exported,
            updated_at: '2099-01-01T00:00:00Z',
            dependencies: [
              ...(exported.dependencies ?? []),
              {
                issue_id: mixed.id,
                depends_on_id: ghost,
                type: 'tracks',
                created_at: exported.created_at,
                created_by: actor,
              },
            ],
          },
        },
        {
          kind: 'tombstone',
          tombstone: { id: ghost, deleted_at: '2026-01-01T00:00:00Z', deleted_by: actor },
        },
      ],
      { actor, force: true },
    );
    store.close(b.id, { reason: 'wontfix' }, actor);
    const p = convoyProgress(store, mixed.id);
    expect(p.beads.find((x) => x.id === ghost)).toMatchObject({ status: 'tombstone' });
    expect(p).toMatchObject({ total: 3, closed: 2, open: 1 });
    expect(isComplete(p)).toBe(false);
    store.close(c.id, {}, actor);
    expect(landIfComplete(store, mixed.id, actor).landed).toBe(true);
  });

  it('landConvoysOf lands every complete convoy tracking a closed bead; owned ones wait for landConvoy', () => {
    const one = createConvoy(store, { title: 'One', beads: [a.id], actor });
    const two = createConvoy(store, { title: 'Two', beads: [a.id, b.id], actor });
    const owned = createConvoy(store, { title: 'Owned', beads: [a.id], owned: true, actor });
    const landed = store.transaction(() => {
      store.close(a.id, { reason: 'Merged in alpha-mr1' }, actor);
      return landConvoysOf(store, a.id, 'alpha/web/refinery');
    });
    expect(landed.map((p) => p.id)).toEqual([one.id]);
    expect(landed[0]).toMatchObject({ status: 'closed', total: 1, closed: 1 });
    expect(store.get(one.id)).toMatchObject({ status: 'closed', close_reason: LANDED_REASON });
    expect(store.get(two.id)?.status).toBe('open');
    expect(store.get(owned.id)?.status).toBe('open');
    expect(convoysTracking(store, a.id).sort()).toEqual([two.id, owned.id].sort());

    const byOwner = landConvoy(store, owned.id, actor);
    expect(byOwner).toMatchObject({ landed: true, progress: { status: 'closed' } });
    expect(store.get(owned.id)?.close_reason).toBe(LANDED_BY_OWNER_REASON);
    expect(listConvoys(store).map((p) => p.id)).toEqual([two.id]);
    expect(listConvoys(store, { all: true }).map((p) => p.id)).toEqual([owned.id, two.id, one.id]);
    expect(landConvoysOf(store, c.id, actor)).toEqual([]);
  });
});
