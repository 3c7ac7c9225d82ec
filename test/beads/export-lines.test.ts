import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportRecords, exportText } from '../../beads/export-file.js';
import { importPath } from '../../beads/import-file.js';
import { serializeRecords } from '../../beads/jsonl-serialize.js';
import { SqliteBeadStore } from '../../beads/store.js';
import type { Bead } from '../../beads/types.js';

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures/beads');

const dirs: string[] = [];
function tempStore(): SqliteBeadStore {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-export-'));
  dirs.push(dir);
  return SqliteBeadStore.create(path.join(dir, 'beads.db'), 'fz');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The reference path: JS objects through `serializeBead`; the fast path is SQLite-built lines. */
function reference(store: SqliteBeadStore): string {
  return serializeRecords(exportRecords(store));
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NASTY = [
  '"',
  '\\',
  '\n',
  '\t',
  '\r',
  '\b',
  '\f',
  '\u0000',
  '\u001f',
  '\u007f',
  '<',
  '>',
  '&',
  '\u2028',
  '\u2029',
  'é',
  '€',
  '😀',
  '中',
  ' ',
  '/',
  "'",
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
];

describe('exportLines (SQLite-built canonical lines)', () => {
  it.each(['beads-repo-2025-10-19.issues.jsonl', 'beads-repo-2026-03-10.issues.jsonl'])(
    'is byte-identical to serializing the snapshot for %s',
    (name) => {
      const store = tempStore();
      importPath(store, path.join(FIXTURES, name), { actor: 'test' });
      const fast = exportText(store);
      expect(fast.length).toBeGreaterThan(1000);
      expect(fast).toBe(reference(store));
      store.close();
    },
  );

  it('is byte-identical on fuzzed beads: escapes, unicode, flags, JSON fields, edges, comments, extra', () => {
    const store = tempStore();
    const rand = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const text = (max: number) => {
      let s = '';
      const n = Math.floor(rand() * max);
      for (let k = 0; k < n; k++)
        s += rand() < 0.4 ? pick(NASTY) : String.fromCharCode(97 + Math.floor(rand() * 26));
      return s;
    };
    const ids = Array.from({ length: 150 }, (_, k) => `fz-${k.toString(36).padStart(3, '0')}`);
    const beads: Bead[] = ids.map((id, k) => {
      const closed = rand() < 0.3;
      const b: Bead = {
        id,
        title: `t${text(20)}`,
        status: closed ? 'closed' : pick(['open', 'in_progress', 'blocked', 'deferred']),
        priority: Math.floor(rand() * 5),
        issue_type: pick(['task', 'bug', 'feature', 'epic', 'chore']),
        created_at: '2026-01-02T03:04:05Z',
        updated_at: `2026-01-0${1 + (k % 9)}T00:00:00.123456Z`,
      };
      if (closed) {
        b.closed_at = '2026-02-01T00:00:00Z';
        if (rand() < 0.5) b.close_reason = text(30);
      }
      if (rand() < 0.7) b.description = text(80);
      if (rand() < 0.2) b.design = text(40);
      if (rand() < 0.2) b.notes = text(40);
      if (rand() < 0.3) b.assignee = text(10) || 'a';
      if (rand() < 0.2) b.estimated_minutes = Math.floor(rand() * 3) * 30;
      if (rand() < 0.2)
        b.metadata = rand() < 0.3 ? {} : { k: text(8), n: Math.floor(rand() * 100), nested: [1, 'x<y'] };
      if (rand() < 0.1) b.pinned = true;
      if (rand() < 0.1) b.is_template = true;
      if (rand() < 0.1) b.compaction_level = Math.floor(rand() * 3);
      if (rand() < 0.1) b.original_size = Math.floor(rand() * 2) * 500;
      if (rand() < 0.4) b.labels = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => text(6) || 'l');
      if (rand() < 0.4 && k > 0) {
        const targets = new Set(
          Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(ids.slice(0, k))),
        );
        b.dependencies = [...targets].map((t) => ({
          issue_id: id,
          depends_on_id: t,
          type: pick(['related', 'discovered-from', 'relates-to', 'tracks']),
          created_at: '2026-01-05T00:00:00Z',
          created_by: text(6),
          ...(rand() < 0.3 ? { metadata: '{"gate":"all-children"}' } : {}),
          ...(rand() < 0.2 ? { thread_id: text(8) || 't' } : {}),
        }));
      }
      if (rand() < 0.3)
        b.comments = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, c) => ({
          id: rand() < 0.5 ? c + 1 : `c-${text(4)}${c}`,
          issue_id: id,
          author: text(8),
          text: text(50),
          created_at: `2026-01-0${1 + Math.floor(rand() * 3)}T00:00:00Z`,
        }));
      if (rand() < 0.1)
        (b as unknown as Record<string, unknown>)['zz_unknown'] = { from: 'future', v: text(5) };
      return b;
    });
    store.importRecords(
      beads.map((bead) => ({ kind: 'bead', bead })),
      { actor: 'fuzz' },
    );
    store.delete(ids[5] as string, 'gone', 'fuzz');
    const fast = exportText(store);
    expect(fast.split('\n').length).toBe(151);
    expect(fast).toBe(reference(store));
    store.close();
  });
});
