import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteBeadStore } from '../../beads/store.js';

let dir: string;
let store: SqliteBeadStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gt-store-create-'));
  store = SqliteBeadStore.create(path.join(dir, 'beads.db'), 'bd');
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('create', () => {
  it('returns the bead exactly as a read of it returns it', () => {
    const inputs = [
      { title: 'minimal' },
      { title: 'labelled', labels: ['b', 'a', 'b'], priority: 0 },
      {
        title: 'full',
        description: 'd',
        design: '',
        notes: 'n',
        assignee: 'me',
        estimated_minutes: 0,
        metadata: { k: [1, { v: null }] },
        ephemeral: true,
        pinned: false,
        status: 'in_progress',
        issue_type: 'bug',
        external_ref: 'gh-9',
      },
      { title: 'closed on arrival', status: 'closed' },
    ];
    for (const input of inputs) {
      const created = store.create(input, 'alice');
      expect(created, input.title).toEqual(store.get(created.id));
    }
  });

  it('takes custom statuses and types from the config, also when another connection changes it', () => {
    expect(() => store.create({ title: 'x', status: 'review' }, 'alice')).toThrow(/status/);
    store.setConfig('status.custom', 'review:active, parked');
    expect(store.create({ title: 'x', status: 'review' }, 'alice').status).toBe('review');
    expect(store.create({ title: 'y', status: 'parked' }, 'alice').status).toBe('parked');

    expect(() => store.create({ title: 'z', issue_type: 'gizmo' }, 'alice')).toThrow(/issue type/);
    const other = SqliteBeadStore.open(path.join(dir, 'beads.db'));
    try {
      other.setConfig('types.custom', 'gizmo');
      other.setConfig('status.custom', 'parked');
    } finally {
      other.close();
    }
    expect(store.create({ title: 'z', issue_type: 'gizmo' }, 'alice').issue_type).toBe('gizmo');
    expect(() => store.create({ title: 'x', status: 'review' }, 'alice')).toThrow(/status/);
  });

  it('never hands out an id that is taken or tombstoned', () => {
    const explicit = store.create({ title: 'a', id: 'bd-abc' }, 'alice');
    expect(() => store.create({ title: 'b', id: explicit.id }, 'alice')).toThrow(/already taken/);
    const ids = new Set<string>([explicit.id]);
    for (let i = 0; i < 300; i++) ids.add(store.create({ title: `same title` }, 'alice').id);
    expect(ids.size).toBe(301);
  });
});
