import { afterAll, describe, expect, it } from 'vitest';
import { mergeBatch } from '../../../actors/refinery/merge-batch.js';
import { cleanupTemp } from '../rig/rig-fixtures.js';
import { libJs, makeRig, run } from './merge-fixtures.js';

afterAll(cleanupTemp);

const TEST_GATE = { name: 'test', cmd: 'sh test.sh', timeout_ms: 10_000 };

describe('mergeBatch', () => {
  it('lands a batch with one push, leaves out a conflicting branch, finishes one already merged', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/a', [{ 'a.txt': 'a\n' }]);
    await rig.pushBranch('polecat/slit/b', [{ 'shared.txt': 'from b\n' }]);
    await rig.pushBranch('polecat/toast/c', [{ 'shared.txt': 'from c\n' }]);
    await rig.pushBranch('polecat/dag/d', [{ 'd.txt': 'd\n' }]);
    const outcomes = await mergeBatch({
      worktree: rig.worktree,
      target: 'main',
      items: [
        { id: 'mr-a', branch: 'polecat/nux/a' },
        { id: 'mr-b', branch: 'polecat/slit/b' },
        { id: 'mr-c', branch: 'polecat/toast/c' },
        { id: 'mr-d', branch: 'polecat/dag/d' },
        { id: 'mr-x', branch: 'polecat/none/x' },
      ],
      gates: [TEST_GATE],
    });
    expect(outcomes.map((o) => [o.id, o.kind])).toEqual([
      ['mr-a', 'merged'],
      ['mr-b', 'merged'],
      ['mr-c', 'conflict'],
      ['mr-d', 'merged'],
      ['mr-x', 'missing'],
    ]);
    const conflict = outcomes[2];
    expect(conflict?.kind === 'conflict' ? conflict.files : []).toEqual(['shared.txt']);
    const log = (await run(rig.upstream, ['log', '--format=%s', 'main'])).split('\n');
    expect(log.length).toBe(4);
    expect(await run(rig.worktree, ['status', '--porcelain'])).toBe('');
    // Run again (a restart after the push): nothing is pushed twice.
    const head = await rig.head('main');
    const again = await mergeBatch({
      worktree: rig.worktree,
      target: 'main',
      items: [{ id: 'mr-a', branch: 'polecat/nux/a' }],
      gates: [TEST_GATE],
    });
    expect(again[0]).toMatchObject({ kind: 'merged', alreadyMerged: true });
    expect(await rig.head('main')).toBe(head);
  });

  it('bisects a red batch: the prefix before the culprit lands, the culprit is rejected, the rest wait', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/a', [{ 'a.txt': 'a\n' }]);
    await rig.pushBranch('polecat/slit/b', [{ 'b.txt': 'b\n' }]);
    await rig.pushBranch('polecat/toast/bad', [{ 'lib.js': libJs(41) }]);
    await rig.pushBranch('polecat/dag/d', [{ 'd.txt': 'd\n' }]);
    const before = await rig.head('main');
    const outcomes = await mergeBatch({
      worktree: rig.worktree,
      target: 'main',
      items: [
        { id: 'mr-a', branch: 'polecat/nux/a' },
        { id: 'mr-b', branch: 'polecat/slit/b' },
        { id: 'mr-bad', branch: 'polecat/toast/bad' },
        { id: 'mr-d', branch: 'polecat/dag/d' },
      ],
      gates: [TEST_GATE],
    });
    expect(outcomes.map((o) => [o.id, o.kind])).toEqual([
      ['mr-a', 'merged'],
      ['mr-b', 'merged'],
      ['mr-bad', 'rejected'],
      ['mr-d', 'deferred'],
    ]);
    const bad = outcomes[2];
    expect(bad?.kind === 'rejected' ? bad.output : '').toMatch(/must return 42/);
    const main = await rig.head('main');
    expect(main).not.toBe(before);
    expect(await run(rig.upstream, ['log', '--format=%s', `${before}..main`])).not.toMatch(/lib/);
    // The deferred one lands on the next pass, without the culprit.
    const next = await mergeBatch({
      worktree: rig.worktree,
      target: 'main',
      items: [{ id: 'mr-d', branch: 'polecat/dag/d' }],
      gates: [TEST_GATE],
    });
    expect(next[0]?.kind).toBe('merged');
  });
});
