import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../beads/checkpointer.js';
import { SqliteBeadStore } from '../../beads/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('background checkpointer', () => {
  it('copies committed pages into the database file from its worker while the writer keeps writing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-ckpt-'));
    dirs.push(dir);
    const file = path.join(dir, 'beads.db');
    const store = SqliteBeadStore.create(file, 'ck');
    store.checkpoint();
    const before = statSync(file).size;
    for (let i = 0; i < 300; i++) store.create({ title: `bead ${i}`, description: 'x'.repeat(500) }, 'test');
    expect(statSync(file).size).toBe(before);
    const errors: string[] = [];
    const checkpointer = startCheckpointer(file, { intervalMs: 20, onError: (m) => errors.push(m) });
    const deadline = Date.now() + 10_000;
    while (statSync(file).size === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(statSync(file).size).toBeGreaterThan(before);
    store.create({ title: 'after' }, 'test');
    await checkpointer.stop();
    await checkpointer.stop();
    expect(errors).toEqual([]);
    expect(store.count({ status: 'all' })).toBe(301);
    store.close();
  });
});
