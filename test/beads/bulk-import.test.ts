import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { exportText } from '../../beads/export-file.js';
import { importPath } from '../../beads/import-file.js';
import { serializeRecord } from '../../beads/jsonl-serialize.js';
import { SqliteBeadStore } from '../../beads/store.js';
import type { JsonlRecord } from '../../beads/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** 6000 beads (labels, blocks edges, comments) and a tombstone: large enough for the bulk path. */
function file(dir: string): string {
  const records: JsonlRecord[] = [];
  for (let i = 0; i < 6000; i++) {
    const id = `bk-${i.toString(36).padStart(4, '0')}`;
    records.push({
      kind: 'bead',
      bead: {
        id,
        title: `bead ${i}`,
        status: i % 3 === 0 ? 'closed' : 'open',
        priority: i % 5,
        issue_type: 'task',
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-02T00:00:00Z',
        ...(i % 3 === 0 ? { closed_at: '2026-01-02T00:00:00Z' } : {}),
        labels: [`l${i % 7}`],
        ...(i > 0 && i % 2 === 0
          ? {
              dependencies: [
                {
                  issue_id: id,
                  depends_on_id: `bk-${(i - 1).toString(36).padStart(4, '0')}`,
                  type: 'blocks',
                  created_at: '2026-01-01T00:00:00Z',
                  created_by: 'x',
                },
              ],
            }
          : {}),
        ...(i % 10 === 0
          ? {
              comments: [{ id: i, issue_id: id, author: 'a', text: 'c', created_at: '2026-01-01T00:00:00Z' }],
            }
          : {}),
      },
    });
  }
  records.push({
    kind: 'tombstone',
    tombstone: { id: 'bk-gone', deleted_at: '2026-01-03T00:00:00Z', deleted_by: 'x' },
  });
  const f = path.join(dir, 'big.jsonl');
  writeFileSync(f, `${records.map(serializeRecord).join('\n')}\n`);
  return f;
}

describe('bulk import into an empty store', () => {
  it('loads everything with foreign keys intact, indexes rebuilt and flags exact; a re-import changes nothing', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-bulk-'));
    dirs.push(dir);
    const jsonl = file(dir);
    const dbPath = path.join(dir, 'beads.db');
    const store = SqliteBeadStore.create(dbPath, 'bk');
    const summary = importPath(store, jsonl, { actor: 'test' });
    expect(summary.created).toBe(6000);
    expect(summary.deleted).toBe(0);
    expect(store.count({ status: 'all' })).toBe(6000);
    expect(store.get('bk-0002')?.dependencies?.[0]?.depends_on_id).toBe('bk-0001');
    expect(store.blocked().map((b) => b.id)).toContain('bk-0002');
    expect(store.ready({ limit: 100000 }).some((b) => b.id === 'bk-0002')).toBe(false);
    const again = importPath(store, jsonl, { actor: 'test' });
    expect(again.unchanged).toBe(6000);
    const text = exportText(store);
    store.close();

    const raw = new BetterSqlite3(dbPath, { readonly: true });
    expect(raw.pragma('foreign_key_check')).toEqual([]);
    const indexes = raw
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
      .pluck()
      .all();
    expect(indexes).toEqual(
      expect.arrayContaining(['idx_deps_target', 'idx_issues_ready', 'idx_labels_label']),
    );
    raw.close();
    expect(text.split('\n').length).toBe(6002);
  });
});
