import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION } from '../../beads/schema.js';
import { SqliteBeadStore } from '../../beads/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A store file at schema 1, written by hand as the first release wrote it. */
function v1Store(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-schema-'));
  dirs.push(dir);
  const file = path.join(dir, 'beads.db');
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.exec(MIGRATIONS[0] as string);
  db.pragma('user_version = 1');
  db.exec(`
    INSERT INTO config (key, value) VALUES ('issue_prefix', 'mg');
    INSERT INTO issues (id, title, status, priority, issue_type, created_at, updated_at, is_blocked)
      VALUES ('mg-a', 'Blocker', 'open', 1, 'task', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 0),
             ('mg-b', 'Blocked', 'open', 2, 'task', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', 1);
    INSERT INTO labels (issue_id, label) VALUES ('mg-a', 'keep'), ('mg-b', 'also');
    INSERT INTO dependencies (issue_id, depends_on_id, type, created_at) VALUES ('mg-b', 'mg-a', 'blocks', '2026-01-02T00:00:00Z');
    INSERT INTO comments (id, issue_id, author, text, created_at) VALUES ('c1', 'mg-a', 'ann', 'hello', '2026-01-03T00:00:00Z');
    INSERT INTO events (issue_id, event_type, actor, created_at) VALUES ('mg-a', 'created', 'ann', '2026-01-01T00:00:00Z');
    INSERT INTO meta (key, value) VALUES ('dirty_seq', 7);
    INSERT INTO dirty_issues (issue_id, seq) VALUES ('mg-b', 7);
  `);
  db.close();
  return file;
}

describe('schema migrations', () => {
  it('brings a version-1 store to the current version without losing rows or cascading deletes', () => {
    const store = SqliteBeadStore.open(v1Store());
    expect(SCHEMA_VERSION).toBe(2);
    const a = store.get('mg-a');
    expect(a?.labels).toEqual(['keep']);
    expect(a?.comments?.map((c) => c.text)).toEqual(['hello']);
    expect(store.get('mg-b')?.dependencies?.map((d) => d.depends_on_id)).toEqual(['mg-a']);
    expect(store.events('mg-a').map((e) => e.event_type)).toEqual(['created']);
    expect(store.ready().map((b) => b.id)).toEqual(['mg-a']);
    expect(store.dirty()).toEqual({ ids: ['mg-b'], seq: 7 });
    store.create({ title: 'After' }, 'ann');
    const after = store.dirty();
    expect(after.seq).toBeGreaterThan(7);
    store.clearDirty(after.ids, after.seq);
    expect(store.dirty().ids).toEqual([]);
    store.create({ title: 'Later' }, 'ann');
    expect(store.dirty().seq).toBeGreaterThan(after.seq);
    store.close();
  });
});
