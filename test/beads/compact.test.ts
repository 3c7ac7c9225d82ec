import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalLine, compact, compactBead, restoreCompacted, summarize } from '../../beads/compact.js';
import { GuardError } from '../../beads/errors.js';
import { commit, flush, initBeadsDir } from '../../beads/git-sync.js';
import { serializeBead } from '../../beads/jsonl-serialize.js';
import { SqliteBeadStore } from '../../beads/store.js';
import type { BeadStore } from '../../beads/store.types.js';
import type { Bead } from '../../beads/types.js';

const LONG_FIRST = `The parser drops the last field when a line ends without a newline. ${'It matters for imports of files written by hand. '.repeat(8)}`;
const DESCRIPTION = `${LONG_FIRST}\n\nSecond paragraph with the reproduction steps.\n\nThird paragraph.`;

function stripVolatile(b: Bead): Bead {
  const { comments: _c, ...rest } = b;
  return rest;
}

describe('summarize', () => {
  it('keeps the first paragraph, trimmed, cut to 280 characters with an ellipsis', () => {
    expect(summarize(undefined)).toBe('');
    expect(summarize('\n\n  \n')).toBe('');
    expect(summarize('  Short one.  \n\nSecond.')).toBe('Short one.');
    expect(summarize('\n\nFirst real\nparagraph.\n\nNext.')).toBe('First real\nparagraph.');
    const cut = summarize(`${'é'.repeat(400)}\n\nmore`);
    expect(Array.from(cut)).toHaveLength(280);
    expect(cut.endsWith('…')).toBe(true);
    expect(summarize('x'.repeat(280))).toBe('x'.repeat(280));
  });
});

describe('compact and restoreCompacted', () => {
  let repo: string;
  let beadsDir: string;
  let store: BeadStore;
  let clock: number;
  const now = (): Date => new Date(clock);

  async function git(...args: string[]): Promise<string> {
    return (await execa('git', args, { cwd: repo })).stdout;
  }

  async function flushAndCommit(message: string): Promise<void> {
    flush(store, beadsDir);
    await commit(beadsDir, message);
  }

  beforeEach(async () => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-'));
    await execa('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    await execa('git', ['config', 'user.name', 'Test'], { cwd: repo });
    await execa('git', ['config', 'user.email', 'test@example.com'], { cwd: repo });
    beadsDir = path.join(repo, '.beads');
    await initBeadsDir(beadsDir, { driverCommand: 'node /nonexistent/bd.js' });
    clock = Date.parse('2026-01-01T09:00:00Z');
    store = SqliteBeadStore.create(path.join(beadsDir, 'beads.db'), 'bd', { now });
  });

  afterEach(() => {
    store.close();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  function makeOld(): Bead {
    const blocker = store.create({ title: 'blocker' }, 'mayor');
    const old = store.create(
      {
        title: 'Parser drops last field',
        description: DESCRIPTION,
        design: 'Rewrite the tokenizer.\n'.repeat(20),
        acceptance_criteria: 'All fixtures import.',
        notes: 'Seen twice in CI.',
        priority: 1,
        issue_type: 'bug',
        labels: ['parser', 'import'],
        deps: [{ type: 'related', id: blocker.id }],
      },
      'mayor',
    );
    store.addComment(old.id, 'Reproduced.', 'max');
    store.close(old.id, { reason: 'fixed in abc123' }, 'max');
    return store.get(old.id) as Bead;
  }

  it('compacts old closed beads only, recording size, hash, commit and a comment', async () => {
    const old = makeOld();
    const tiny = store.create({ title: 'tiny', description: 'ok' }, 'mayor');
    store.close(tiny.id, {}, 'mayor');
    const wisp = store.create({ title: 'wisp', description: DESCRIPTION, ephemeral: true }, 'mayor');
    store.close(wisp.id, {}, 'mayor');
    const openOld = store.create({ title: 'still open', description: DESCRIPTION }, 'mayor');
    clock = Date.parse('2026-02-20T09:00:00Z');
    const recent = store.create(
      { title: 'recent', description: DESCRIPTION, design: 'x'.repeat(500) },
      'mayor',
    );
    store.close(recent.id, {}, 'mayor');
    await flushAndCommit('before compaction');
    const head = await git('rev-parse', 'HEAD');
    const untouched = [tiny.id, wisp.id, openOld.id, recent.id].map((id) => store.get(id));
    const before = store.get(old.id) as Bead;

    clock = Date.parse('2026-03-01T12:00:00Z');
    const result = await compact(store, { actor: 'compactor', beadsDir, now });

    expect(result.dryRun).toBe(false);
    expect(result.days).toBe(30);
    expect(result.commit).toBe(head);
    expect(result.compacted.map((c) => c.id)).toEqual([old.id]);
    expect(result.skipped).toEqual([
      { id: tiny.id, reason: expect.stringContaining('not smaller') as string },
    ]);
    expect([tiny.id, wisp.id, openOld.id, recent.id].map((id) => store.get(id))).toEqual(untouched);

    const line = serializeBead(before).replace(/\n$/, '');
    const size = Buffer.byteLength(line);
    const hash = createHash('sha256').update(line).digest('hex');
    const after = store.get(old.id) as Bead;
    expect(after.description).toBe(summarize(DESCRIPTION));
    expect(after.description?.endsWith('…')).toBe(true);
    expect(after.design).toBeUndefined();
    expect(after.acceptance_criteria).toBeUndefined();
    expect(after.notes).toBeUndefined();
    expect(after).toMatchObject({
      id: before.id,
      title: before.title,
      status: 'closed',
      priority: 1,
      issue_type: 'bug',
      created_at: before.created_at,
      closed_at: before.closed_at,
      close_reason: 'fixed in abc123',
      labels: ['import', 'parser'],
      compaction_level: 1,
      compacted_at: '2026-03-01T12:00:00Z',
      compacted_at_commit: head,
      original_size: size,
      metadata: { compacted_hash: hash },
    });
    expect(after.dependencies).toEqual(before.dependencies);
    const compactedSize = Buffer.byteLength(
      canonicalLine(
        compactBead(before, { hash, originalSize: size, compactedAt: '2026-03-01T12:00:00Z', commit: head }),
      ),
    );
    expect(result.compacted[0]).toEqual({
      id: old.id,
      original_size: size,
      compacted_size: compactedSize,
      hash,
    });
    expect(compactedSize).toBeLessThan(size);
    const texts = (after.comments ?? []).map((c) => c.text);
    expect(texts).toEqual(['Reproduced.', `Tier 1 compaction: ${size} -> ${compactedSize} bytes`]);

    const again = await compact(store, { actor: 'compactor', beadsDir, now });
    expect(again.compacted).toEqual([]);
  });

  it('is deterministic: the same bead and clock give the same compacted bead', async () => {
    const old = makeOld();
    const fields = { hash: 'h', originalSize: 1, compactedAt: '2026-03-01T12:00:00Z', commit: null };
    expect(compactBead(old, fields)).toEqual(compactBead(structuredClone(old), fields));
    await flushAndCommit('c');
    clock = Date.parse('2026-03-01T12:00:00Z');
    await compact(store, { actor: 'compactor', beadsDir, now });
    const head = await git('rev-parse', 'HEAD');
    const line = canonicalLine(old);
    const expected = compactBead(old, {
      hash: createHash('sha256').update(line).digest('hex'),
      originalSize: Buffer.byteLength(line),
      compactedAt: '2026-03-01T12:00:00Z',
      commit: head,
    });
    expect(stripVolatile(store.get(old.id) as Bead)).toEqual(stripVolatile(expected));
  });

  it('dry run reports candidates and changes nothing', async () => {
    const old = makeOld();
    await flushAndCommit('c');
    const snapshot = JSON.stringify(store.snapshot({ includeEphemeral: true }));
    const dirtyBefore = store.dirty().ids;
    clock = Date.parse('2026-03-01T12:00:00Z');
    const result = await compact(store, { actor: 'compactor', beadsDir, now, dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.compacted.map((c) => c.id)).toEqual([old.id]);
    expect(JSON.stringify(store.snapshot({ includeEphemeral: true }))).toBe(snapshot);
    expect(store.dirty().ids).toEqual(dirtyBefore);
  });

  it('honours days and ids, reporting why a named bead is skipped', async () => {
    const old = makeOld();
    const openBead = store.create({ title: 'open', description: DESCRIPTION }, 'mayor');
    clock = Date.parse('2026-01-20T09:00:00Z');
    expect((await compact(store, { actor: 'c', beadsDir, now, dryRun: true })).compacted).toEqual([]);
    const r = await compact(store, {
      actor: 'c',
      beadsDir,
      now,
      days: 7,
      ids: [old.id, openBead.id],
      dryRun: true,
    });
    expect(r.compacted.map((c) => c.id)).toEqual([old.id]);
    expect(r.skipped).toEqual([{ id: openBead.id, reason: 'status is open, not closed' }]);
    store.setConfig('compact_tier1_days', '5');
    expect((await compact(store, { actor: 'c', beadsDir, now, dryRun: true })).days).toBe(5);
  });

  it('restores the original from git history, then refuses a bead that is not compacted', async () => {
    const old = makeOld();
    await flushAndCommit('original');
    const before = store.get(old.id) as Bead;
    clock = Date.parse('2026-03-01T12:00:00Z');
    await compact(store, { actor: 'compactor', beadsDir, now });
    await flushAndCommit('compacted');
    clock = Date.parse('2026-03-02T12:00:00Z');
    const result = await restoreCompacted(store, beadsDir, old.id, 'restorer', { now });
    const restored = result.bead;
    expect(result.commit).toBe(await git('rev-parse', 'HEAD~1'));
    expect(restored.description).toBe(before.description);
    expect(restored.design).toBe(before.design);
    expect(restored.acceptance_criteria).toBe(before.acceptance_criteria);
    expect(restored.notes).toBe(before.notes);
    expect(restored.compaction_level ?? 0).toBe(0);
    expect(restored.compacted_at).toBeUndefined();
    expect(restored.compacted_at_commit).toBeUndefined();
    expect(restored.original_size).toBeUndefined();
    expect(restored.metadata?.compacted_hash).toBeUndefined();
    expect(restored.labels).toEqual(before.labels);
    expect(restored.dependencies).toEqual(before.dependencies);
    expect(store.get(old.id)).toEqual(restored);
    await expect(restoreCompacted(store, beadsDir, old.id, 'restorer')).rejects.toMatchObject({
      code: 'compact.not_compacted',
    });
  });

  it('says clearly when the original was never committed', async () => {
    const old = makeOld();
    clock = Date.parse('2026-03-01T12:00:00Z');
    await compact(store, { actor: 'compactor', beadsDir, now });
    await flushAndCommit('compacted only');
    const error = await restoreCompacted(store, beadsDir, old.id, 'restorer').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuardError);
    expect(error).toMatchObject({ code: 'compact.original_not_found' });
    expect((error as Error).message).toContain('never committed');
    expect(store.get(old.id)?.compaction_level).toBe(1);
  });
});
