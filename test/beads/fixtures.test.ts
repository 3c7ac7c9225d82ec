import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImportError } from '../../beads/errors.js';
import { exportText, exportToFile } from '../../beads/export-file.js';
import { importPath } from '../../beads/import-file.js';
import { parseJsonl } from '../../beads/jsonl-parse.js';
import { SqliteBeadStore } from '../../beads/store.js';
import { normalizeTimestamp } from '../../beads/timestamps.js';

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures/beads');
const EARLY = path.join(FIXTURES, 'beads-repo-2025-10-19.issues.jsonl');
const LATE = path.join(FIXTURES, 'beads-repo-2026-03-10.issues.jsonl');

const dirs: string[] = [];
function tempStore(prefix = 'bd'): SqliteBeadStore {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-fixture-'));
  dirs.push(dir);
  return SqliteBeadStore.create(path.join(dir, 'beads.db'), prefix);
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Raw = Record<string, unknown> & { id: string };
function rawLines(file: string): Raw[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Raw);
}

/**
 * Beads' ready rules (reference/beads.md 3.1), written here independently of the store, over the raw
 * file: statuses, excluded types, wisps, pinned, defer_until (own and parent's), blocks and
 * conditional-blocks, waits-for gates, and blocking inherited through blocked parents.
 */
function expectedReady(rows: Raw[], now: Date): Set<string> {
  const byId = new Map(rows.map((r) => [r.id, r]));
  type Edge = { depends_on_id: string; type: string; metadata?: string };
  const edges = (r: Raw): Edge[] => {
    const deps = [...((r.dependencies as Edge[] | undefined) ?? [])];
    if (
      typeof r.parent === 'string' &&
      !deps.some((d) => d.type === 'parent-child' && d.depends_on_id === r.parent)
    ) {
      deps.push({ depends_on_id: r.parent, type: 'parent-child' });
    }
    return deps;
  };
  const children = (id: string) =>
    rows.filter((r) => edges(r).some((e) => e.type === 'parent-child' && e.depends_on_id === id));
  const failed = (reason: unknown) =>
    /failed|rejected|wontfix|won't fix|canceled|cancelled|abandoned|blocked|error|timeout|aborted/i.test(
      typeof reason === 'string' ? reason : '',
    );
  const memo = new Map<string, boolean>();
  const blocked = (r: Raw, depth = 0): boolean => {
    if (memo.has(r.id)) return memo.get(r.id) as boolean;
    let result = false;
    for (const e of edges(r)) {
      const target = byId.get(e.depends_on_id);
      if (e.type === 'blocks') {
        if (
          target
            ? target.status !== 'closed' && target.status !== 'pinned'
            : e.depends_on_id.startsWith('external:')
        )
          result = true;
      } else if (e.type === 'conditional-blocks') {
        if (target && (target.status !== 'closed' || !failed(target.close_reason))) result = true;
      } else if (e.type === 'waits-for') {
        const kids = children(e.depends_on_id).filter((k) => k.id !== r.id);
        const gate = (JSON.parse(e.metadata ?? '{}') as { gate?: string }).gate ?? 'all-children';
        const closed = kids.filter((k) => k.status === 'closed').length;
        if (gate === 'any-children' ? closed === 0 : closed < kids.length) result = true;
      } else if (e.type === 'parent-child' && target && depth < 50 && blocked(target, depth + 1)) {
        result = true;
      }
    }
    memo.set(r.id, result);
    return result;
  };
  const excluded = ['merge-request', 'gate', 'molecule', 'message', 'agent', 'role', 'rig'];
  const future = (v: unknown) => typeof v === 'string' && Date.parse(v) > now.getTime();
  const ready = new Set<string>();
  for (const r of rows) {
    if (r.status !== 'open' && r.status !== 'in_progress') continue;
    if (r.pinned === true || r.ephemeral === true) continue;
    if (excluded.includes(typeof r.issue_type === 'string' ? r.issue_type : 'task')) continue;
    if (future(r.defer_until)) continue;
    if (edges(r).some((e) => e.type === 'parent-child' && future(byId.get(e.depends_on_id)?.defer_until)))
      continue;
    if (blocked(r)) continue;
    ready.add(r.id);
  }
  return ready;
}

describe('real Beads exports', () => {
  for (const file of [EARLY, LATE]) {
    const name = path.basename(file);

    it(`${name}: ready returns exactly the beads Beads' rules make ready`, () => {
      const store = tempStore();
      importPath(store, file, { actor: 'test' });
      const got = new Set(store.ready({ limit: 100_000 }).map((b) => b.id));
      const want = expectedReady(rawLines(file), new Date());
      expect([...got].sort()).toEqual([...want].sort());
      expect(got.size).toBeGreaterThan(0);
      store.close();
    });

    it(`${name}: import then export loses no field we model`, () => {
      const store = tempStore();
      const summary = importPath(store, file, { actor: 'test' });
      const raw = rawLines(file);
      expect(summary.created).toBe(raw.length);
      const exported = new Map(
        parseJsonl(exportText(store), 'export').map((l) => [
          l.record.kind === 'bead' ? l.record.bead.id : '',
          l.record,
        ]),
      );
      const derived = new Set(['dependency_count', 'dependent_count', 'comment_count', 'parent']);
      for (const r of raw) {
        if (r.ephemeral === true) {
          expect(exported.has(r.id)).toBe(false);
          const kept = store.get(r.id);
          expect(kept?.ephemeral).toBe(true);
          expect(kept?.title).toBe(r.title);
          continue;
        }
        const rec = exported.get(r.id);
        expect(rec?.kind).toBe('bead');
        if (rec?.kind !== 'bead') continue;
        const b = { ...(rec.bead as unknown as Record<string, unknown>), ...(rec.bead.extra ?? {}) };
        for (const [key, value] of Object.entries(r)) {
          if (derived.has(key) || value === '' || value === null || value === false) continue;
          if (/_at$|^defer_until$/.test(key)) {
            expect(Date.parse(b[key] as string)).toBe(Date.parse(value as string));
            expect(b[key]).toBe(normalizeTimestamp(value as string));
          } else if (key === 'dependencies') {
            const mine = (b.dependencies as Array<Record<string, unknown>>).map((d) => [
              d.depends_on_id,
              d.type,
              d.created_by,
            ]);
            const theirs = (value as Array<Record<string, unknown>>).map((d) => [
              d.depends_on_id,
              d.type,
              d.created_by,
            ]);
            expect(mine.sort()).toEqual(theirs.sort());
          } else if (key === 'labels') {
            expect([...(b.labels as string[])].sort()).toEqual([...(value as string[])].sort());
          } else {
            expect(b[key], `${r.id}.${key}`).toEqual(value);
          }
        }
      }
      store.close();
    });
  }

  it('a full backup (--all) re-imports into an identical store, wisps included', () => {
    const a = tempStore();
    importPath(a, LATE, { actor: 'test' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-all-'));
    dirs.push(dir);
    const file = path.join(dir, 'all.jsonl');
    expect(exportToFile(a, file, { includeEphemeral: true })).toBe(704);
    const b = tempStore();
    importPath(b, file, { actor: 'test' });
    expect(exportText(b, { includeEphemeral: true })).toBe(exportText(a, { includeEphemeral: true }));
    expect(b.ready({ limit: 100_000 }).map((x) => x.id)).toEqual(
      a.ready({ limit: 100_000 }).map((x) => x.id),
    );
    a.close();
    b.close();
  });
});

describe('malformed input changes nothing', () => {
  const good = readFileSync(EARLY, 'utf8').split('\n').slice(0, 3).join('\n');
  const cases: Array<[string, string, RegExp]> = [
    ['bad JSON', '{"id": "bd-x", "title": ', /invalid JSON/],
    [
      'unknown status',
      '{"id":"bd-x","title":"t","status":"doing","created_at":"2025-10-16T20:46:08Z"}',
      /unknown status "doing"/,
    ],
    [
      'priority 9',
      '{"id":"bd-x","title":"t","priority":9,"created_at":"2025-10-16T20:46:08Z"}',
      /priority must be an integer 0-4, got 9/,
    ],
    ['conflict markers', '<<<<<<< HEAD', /merge conflict markers/],
    ['bad timestamp', '{"id":"bd-x","title":"t","created_at":"yesterday"}', /not a timestamp/],
  ];
  for (const [name, line, reason] of cases) {
    it(`${name}: refused with file:line, store unchanged`, () => {
      const store = tempStore();
      importPath(store, LATE, { actor: 'test' });
      const before = exportText(store, { includeEphemeral: true });
      const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-bad-'));
      dirs.push(dir);
      const file = path.join(dir, 'bad.jsonl');
      writeFileSync(file, `${good}\n${line}\n`);
      let error: unknown;
      try {
        importPath(store, file, { actor: 'test' });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ImportError);
      expect((error as ImportError).message).toMatch(reason);
      expect((error as ImportError).message.startsWith(`${file}:4:`)).toBe(true);
      expect(exportText(store, { includeEphemeral: true })).toBe(before);
      store.close();
    });
  }
});
