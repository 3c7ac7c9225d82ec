import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseJsonl } from '../../beads/jsonl-parse.js';
import { serializeRecords } from '../../beads/jsonl-serialize.js';
import { mergeRecords } from '../../beads/merge.js';
import type { Bead, JsonlRecord } from '../../beads/types.js';

const T0 = '2026-01-01T00:00:00Z';
function bead(fields: Partial<Bead> & { id: string }): Bead {
  return {
    title: 'A bead',
    status: 'open',
    priority: 2,
    issue_type: 'task',
    created_at: T0,
    updated_at: T0,
    ...fields,
  };
}
const rec = (b: Bead): JsonlRecord => ({ kind: 'bead', bead: b });
function merged(base: Bead[], ours: Bead[], theirs: Bead[]): Map<string, Bead> {
  const out = mergeRecords(base.map(rec), ours.map(rec), theirs.map(rec)).records;
  return new Map(out.flatMap((r) => (r.kind === 'bead' ? [[r.bead.id, r.bead] as const] : [])));
}

describe('three-way merge rules', () => {
  it('different fields changed on each side both land', () => {
    const base = bead({ id: 'x' });
    const m = merged(
      [base],
      [{ ...base, title: 'New title', updated_at: '2026-01-02T00:00:00Z' }],
      [{ ...base, priority: 0, updated_at: '2026-01-03T00:00:00Z' }],
    ).get('x');
    expect(m).toMatchObject({ title: 'New title', priority: 0, updated_at: '2026-01-03T00:00:00Z' });
  });

  it('labels merge per element: an add on one side and a removal on the other both apply', () => {
    const base = bead({ id: 'x', labels: ['keep', 'drop'] });
    const m = merged(
      [base],
      [{ ...base, labels: ['keep'] }],
      [{ ...base, labels: ['drop', 'keep', 'new'] }],
    ).get('x');
    expect(m?.labels).toEqual(['keep', 'new']);
  });

  it('a label removed on one side and left alone on the other is removed; one added on one side is added', () => {
    const base = bead({ id: 'x', labels: ['a'] });
    expect(merged([base], [{ ...base, labels: [] }], [base]).get('x')?.labels ?? []).toEqual([]);
    expect(merged([base], [base], [{ ...base, labels: ['a', 'b'] }]).get('x')?.labels).toEqual(['a', 'b']);
  });

  it('both sides change the same text: the later edit wins and the other is kept as a comment', () => {
    const base = bead({ id: 'x', description: 'base' });
    const m = merged(
      [base],
      [{ ...base, description: 'ours', updated_at: '2026-01-02T00:00:00Z' }],
      [{ ...base, description: 'theirs', updated_at: '2026-01-03T00:00:00Z' }],
    ).get('x');
    expect(m?.description).toBe('theirs');
    expect(m?.comments?.[0]?.text).toContain('the other side had: ours');
  });

  it('status: closed wins; priority: the lower number wins, 0 included; notes are both kept', () => {
    const base = bead({ id: 'x', priority: 2, notes: 'n' });
    const m = merged(
      [base],
      [{ ...base, status: 'in_progress', priority: 0, notes: 'n ours', updated_at: '2026-01-03T00:00:00Z' }],
      [{ ...base, status: 'closed', closed_at: '2026-01-02T00:00:00Z', priority: 3, notes: 'n theirs' }],
    ).get('x');
    expect(m).toMatchObject({ status: 'closed', closed_at: '2026-01-02T00:00:00Z', priority: 0 });
    expect(m?.notes).toBe('n ours\n\n---\n\nn theirs');
  });

  it('a removed dependency does not come back', () => {
    const dep = { issue_id: 'x', depends_on_id: 'y', type: 'blocks', created_at: T0, created_by: 'a' };
    const base = bead({ id: 'x', dependencies: [dep] });
    expect(merged([base], [{ ...base, dependencies: [] }], [base]).get('x')?.dependencies ?? []).toEqual([]);
  });

  it('deleted on one side and unchanged on the other: deleted; deleted and changed: kept', () => {
    const base = bead({ id: 'x' });
    expect(merged([base], [], [base]).has('x')).toBe(false);
    const out = mergeRecords([rec(base)], [], [rec({ ...base, title: 'changed' })]);
    expect(out.records).toHaveLength(1);
    expect(out.notes[0]?.message).toMatch(/kept the changed bead/);
  });

  it('is deterministic and symmetric in what it keeps', () => {
    const base = bead({ id: 'x', labels: ['a'] });
    const o = { ...base, title: 'o', labels: ['a', 'b'], updated_at: '2026-01-02T00:00:00Z' };
    const t = { ...base, priority: 1, labels: [], updated_at: '2026-01-02T00:00:00Z' };
    const a = serializeRecords(mergeRecords([rec(base)], [rec(o)], [rec(t)]).records);
    const b = serializeRecords(mergeRecords([rec(base)], [rec(o)], [rec(t)]).records);
    expect(a).toBe(b);
  });
});

describe('bd merge as git merge driver', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-merge-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execa('git', args, {
      cwd: dir,
      env: {
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  const file = path.join(dir, '.beads', 'issues.jsonl');
  const write = (beads: Bead[]) => writeFileSync(file, serializeRecords(beads.map(rec)));

  it('concurrent edits to different fields of one bead on two branches merge cleanly', async () => {
    await git('init', '-q', '-b', 'main');
    await execa('mkdir', ['-p', path.join(dir, '.beads')]);
    writeFileSync(path.join(dir, '.beads', '.gitattributes'), 'issues.jsonl merge=beads\n');
    await git('config', 'merge.beads.driver', `node ${inject('bdBin')} merge %A %O %A %B`);
    const x = bead({ id: 'bd-x', labels: ['keep', 'drop'] });
    const y = bead({ id: 'bd-y', title: 'Other' });
    write([x, y]);
    await git('add', '.');
    await git('commit', '-qm', 'base');

    await git('checkout', '-qb', 'a');
    write([{ ...x, title: 'Renamed on a', labels: ['keep'], updated_at: '2026-01-02T00:00:00Z' }, y]);
    await git('commit', '-qam', 'a: rename, drop a label');

    await git('checkout', '-q', 'main');
    await git('checkout', '-qb', 'b');
    write([{ ...x, priority: 0, labels: ['drop', 'keep', 'new'], updated_at: '2026-01-03T00:00:00Z' }, y]);
    await git('commit', '-qam', 'b: P0, add a label');

    const result = await git('merge', '-q', '--no-edit', 'a');
    expect(result.exitCode).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/^(<<<<<<<|>>>>>>>)/m);
    const beads = new Map(
      parseJsonl(text, file).flatMap((l) =>
        l.record.kind === 'bead' ? [[l.record.bead.id, l.record.bead] as const] : [],
      ),
    );
    expect(beads.get('bd-x')).toMatchObject({ title: 'Renamed on a', priority: 0, labels: ['keep', 'new'] });
    expect(beads.get('bd-y')?.title).toBe('Other');
    expect((await git('status', '--porcelain')).stdout).toBe('');
  });
});
