import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeBatch } from '../../../actors/refinery/merge-batch.js';
import type { BatchInput, BatchOutcome } from '../../../actors/refinery/merge-batch.js';
import { deleteMergedBranches } from '../../../actors/refinery/prune-branches.js';
import { waitFor } from '../../harness/town.js';
import { cleanupTemp } from '../rig/rig-fixtures.js';
import {
  alive,
  libJs,
  makeRig,
  POLECAT_IDENTITY,
  run,
  UPSTREAM_IDENTITY,
  withEmptyGlobalConfig,
  type RigFixture,
} from './merge-fixtures.js';

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

/** One merge request through the pass the refinery runs. */
async function mergeOne(
  rig: RigFixture,
  branch: string,
  extra: Partial<BatchInput> = {},
): Promise<BatchOutcome> {
  const [outcome] = await mergeBatch({
    worktree: rig.worktree,
    target: 'main',
    items: [{ id: 'mr-1', branch }],
    gates: [TEST_GATE],
    ...extra,
  });
  return outcome as BatchOutcome;
}

async function worktreeIsClean(rig: RigFixture): Promise<void> {
  expect(await run(rig.worktree, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
  const gitDir = await run(rig.worktree, ['rev-parse', '--absolute-git-dir']);
  for (const left of ['rebase-merge', 'rebase-apply', 'sequencer', 'CHERRY_PICK_HEAD'])
    expect(fs.existsSync(path.join(gitDir, left)), left).toBe(false);
}

describe('mergeBatch, one merge request', () => {
  it('puts a clean branch on top of main, runs the gates, pushes, and keeps the author', async () => {
    const rig = await makeRig();
    const submitted = await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }, { 'b.txt': 'b\n' }]);
    const moved = await rig.advanceMain({ 'README.md': 'upstream moved on\n' });
    const result = await mergeOne(rig, 'polecat/nux/web-a1');
    expect(result).toMatchObject({ kind: 'merged', alreadyMerged: false });
    if (result.kind !== 'merged') return;
    expect(await rig.head()).toBe(result.sha);
    expect(result.sha).not.toBe(submitted);
    expect(await run(rig.upstream, ['rev-parse', `${result.sha}~2`])).toBe(moved);
    expect(await run(rig.upstream, ['log', '-2', '--format=%an <%ae>', result.sha])).toBe(
      'nux polecat <nux@example.com>\nnux polecat <nux@example.com>',
    );
    expect(await run(rig.upstream, ['ls-tree', '--name-only', result.sha])).toContain('b.txt');
    // The worktree's view of origin is current.
    expect(await run(rig.worktree, ['rev-parse', 'origin/main'])).toBe(result.sha);
  });

  it('commits as the refinery when git has no identity, and as the configured one when it has', async () => {
    const rig = await makeRig();
    await withEmptyGlobalConfig(rig.scratch, async () => {
      await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }]);
      await rig.advanceMain({ 'README.md': 'moved\n' });
      expect(await mergeOne(rig, 'polecat/nux/web-a1')).toMatchObject({ kind: 'merged' });
      expect(await run(rig.upstream, ['log', '-1', '--format=%an|%cn <%ce>', 'main'])).toBe(
        'nux polecat|gt refinery <refinery@gt.localhost>',
      );
      await run(rig.mirror, ['config', 'user.name', 'rig bot']);
      await run(rig.mirror, ['config', 'user.email', 'bot@example.com']);
      await rig.pushBranch('polecat/nux/web-a2', [{ 'b.txt': 'b\n' }]);
      await rig.advanceMain({ 'README.md': 'moved again\n' });
      expect(await mergeOne(rig, 'polecat/nux/web-a2')).toMatchObject({ kind: 'merged' });
      expect(await run(rig.upstream, ['log', '-1', '--format=%an|%cn <%ce>', 'main'])).toBe(
        'nux polecat|rig bot <bot@example.com>',
      );
    });
  });

  it('recovers a worktree left mid-rebase with junk in it (a crash) and merges', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'notes.txt': 'nux\n' }]);
    await rig.pushBranch('polecat/ace/web-a2', [{ 'notes.txt': 'ace\n' }]);
    await run(rig.worktree, ['fetch', '-q', 'origin']);
    await run(rig.worktree, ['checkout', '-q', '--detach', 'origin/polecat/ace/web-a2']);
    const stuck = await execa('git', ['rebase', 'origin/polecat/nux/web-a1'], {
      cwd: rig.worktree,
      env: UPSTREAM_IDENTITY,
      reject: false,
    });
    expect(stuck.exitCode).not.toBe(0);
    fs.writeFileSync(path.join(rig.worktree, 'junk.txt'), 'junk\n');
    expect(await mergeOne(rig, 'polecat/nux/web-a1')).toMatchObject({ kind: 'merged' });
    await worktreeIsClean(rig);
    expect(fs.readFileSync(path.join(rig.worktree, 'notes.txt'), 'utf8')).toBe('nux\n');
  });

  it('recovers a worktree left in the middle of a multi-commit cherry-pick (a crash) and merges', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'notes.txt': 'nux\n' }]);
    await rig.pushBranch('polecat/ace/web-a2', [{ 'notes.txt': 'ace\n' }, { 'more.txt': 'more\n' }]);
    await run(rig.worktree, ['fetch', '-q', 'origin']);
    await run(rig.worktree, ['checkout', '-q', '--detach', 'origin/polecat/nux/web-a1']);
    const commits = (
      await run(rig.worktree, ['rev-list', '--reverse', 'origin/main..origin/polecat/ace/web-a2'])
    ).split('\n');
    const stuck = await execa('git', ['cherry-pick', ...commits], {
      cwd: rig.worktree,
      env: UPSTREAM_IDENTITY,
      reject: false,
    });
    expect(stuck.exitCode).not.toBe(0);
    const gitDir = await run(rig.worktree, ['rev-parse', '--absolute-git-dir']);
    expect(fs.existsSync(path.join(gitDir, 'sequencer'))).toBe(true);
    expect(await mergeOne(rig, 'polecat/nux/web-a1')).toMatchObject({ kind: 'merged' });
    await worktreeIsClean(rig);
    expect(await mergeOne(rig, 'polecat/ace/web-a2', { gates: [] })).toMatchObject({
      kind: 'conflict',
      files: ['notes.txt'],
    });
  });

  it('reports a conflict with main, pushes nothing and leaves the worktree clean', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'lib.js': libJs(42).replace('42', '40 + 2') }]);
    await rig.pushBranch('polecat/ace/web-a2', [
      { 'lib.js': libJs(42).replace('42', '6 * 7'), 'c.txt': 'c\n' },
    ]);
    expect(await mergeOne(rig, 'polecat/nux/web-a1', { gates: [] })).toMatchObject({ kind: 'merged' });
    const main = await rig.head();
    const second = await mergeOne(rig, 'polecat/ace/web-a2', { gates: [] });
    expect(second).toEqual({ id: 'mr-1', kind: 'conflict', files: ['lib.js'], onto: main });
    expect(await rig.head()).toBe(main);
    await worktreeIsClean(rig);
  });

  it('rejects a branch that turns a gate red, with the gate output, and pushes nothing, every time', async () => {
    const rig = await makeRig();
    const before = await rig.head();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'lib.js': libJs(41) }]);
    const gates = [{ name: 'lint', cmd: 'echo linted', timeout_ms: 5_000 }, TEST_GATE];
    expect(await mergeOne(rig, 'polecat/nux/web-a1', { gates })).toEqual({
      id: 'mr-1',
      kind: 'rejected',
      gate: 'test',
      output: 'FAIL: answer() must return 42\n',
    });
    expect(await rig.head()).toBe(before);
    // A red gate is never overridden: the next pass is rejected again.
    expect(await mergeOne(rig, 'polecat/nux/web-a1', { gates })).toMatchObject({ kind: 'rejected' });
    expect(await rig.head()).toBe(before);
  });

  it('rejects on a gate timeout and leaves no gate process behind', async () => {
    const rig = await makeRig();
    const before = await rig.head();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }]);
    const pidFile = path.join(rig.scratch, 'gate.pid');
    const gate = {
      name: 'slow',
      cmd: `echo started; sleep 30 & echo $! > ${pidFile}; wait`,
      timeout_ms: 400,
    };
    const result = await mergeOne(rig, 'polecat/nux/web-a1', { gates: [gate] });
    expect(result).toMatchObject({ kind: 'rejected', gate: 'slow' });
    if (result.kind === 'rejected') expect(result.output).toContain('started');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    await waitFor('the gate process to be gone', () => !alive(pid), 5_000);
    expect(await rig.head()).toBe(before);
  });

  it('finds an already merged branch merged again without running a gate or pushing', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }]);
    expect(await mergeOne(rig, 'polecat/nux/web-a1')).toMatchObject({ kind: 'merged', alreadyMerged: false });
    const main = await rig.head();
    const marker = path.join(rig.scratch, 'gate-ran');
    const gates = [{ name: 'mark', cmd: `touch ${marker}`, timeout_ms: 5_000 }];
    expect(await mergeOne(rig, 'polecat/nux/web-a1', { gates })).toEqual({
      id: 'mr-1',
      kind: 'merged',
      sha: main,
      alreadyMerged: true,
    });
    expect(await rig.head()).toBe(main);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('defers when main moves during the gates, and merges on top of it next time', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }]);
    const marker = path.join(rig.scratch, 'raced');
    // Pushes someone else's commit to upstream main, once, from the other clone.
    const race = [
      `if [ ! -e ${marker} ]; then`,
      `touch ${marker} && cd ${rig.other} && git fetch -q origin && git checkout -q -B main origin/main`,
      `&& echo race > race.txt && git add race.txt && git commit -q -m race && git push -q origin HEAD:refs/heads/main;`,
      'fi',
    ].join(' ');
    const gates = [{ name: 'race', cmd: race, timeout_ms: 10_000 }, TEST_GATE];
    const first = await mergeOne(rig, 'polecat/nux/web-a1', { gates, env: UPSTREAM_IDENTITY });
    expect(first).toMatchObject({ kind: 'deferred' });
    const raced = await rig.head();
    expect(await run(rig.upstream, ['log', '-1', '--format=%s', 'main'])).toBe('race');

    const second = await mergeOne(rig, 'polecat/nux/web-a1', { gates, env: UPSTREAM_IDENTITY });
    expect(second).toMatchObject({ kind: 'merged', alreadyMerged: false });
    if (second.kind !== 'merged') return;
    expect(await rig.head()).toBe(second.sha);
    expect(await run(rig.upstream, ['rev-parse', `${second.sha}~1`])).toBe(raced);
  });

  it('lands the commits of a branch that merged another one in, in rev-list order, without the merge', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }, { 'b.txt': 'b\n' }]);
    await run(rig.polecat, ['checkout', '-q', '-b', 'side', 'origin/main']);
    fs.writeFileSync(path.join(rig.polecat, 's.txt'), 's\n');
    await run(rig.polecat, ['add', 's.txt']);
    await run(rig.polecat, ['commit', '-qm', 'side'], POLECAT_IDENTITY);
    await run(rig.polecat, ['checkout', '-q', 'polecat/nux/web-a1']);
    await run(rig.polecat, ['merge', '-q', '--no-edit', 'side'], POLECAT_IDENTITY);
    fs.writeFileSync(path.join(rig.polecat, 'c.txt'), 'c\n');
    await run(rig.polecat, ['add', 'c.txt']);
    await run(rig.polecat, ['commit', '-qm', 'after the merge'], POLECAT_IDENTITY);
    await run(rig.polecat, ['push', '-q', 'origin', 'HEAD:refs/heads/polecat/nux/web-a1']);
    const before = await rig.head();
    // The branch's own commits in the order `rev-list --no-merges` walks them (newest first here).
    const own = await run(rig.upstream, ['log', '--no-merges', '--format=%s', 'main..polecat/nux/web-a1']);
    expect(own.split('\n').sort()).toEqual([
      'after the merge',
      'polecat/nux/web-a1 1',
      'polecat/nux/web-a1 2',
      'side',
    ]);
    const result = await mergeOne(rig, 'polecat/nux/web-a1');
    expect(result).toMatchObject({ kind: 'merged', alreadyMerged: false });
    expect(await run(rig.upstream, ['log', '--format=%s', `${before ?? ''}..main`])).toBe(own);
    expect(await run(rig.upstream, ['rev-list', '--merges', 'main'])).toBe('');
    // Submitted again, every commit is found on main: finished without a push.
    expect(await mergeOne(rig, 'polecat/nux/web-a1')).toMatchObject({ kind: 'merged', alreadyMerged: true });
  });

  it('reports a branch missing on origin', async () => {
    const rig = await makeRig();
    expect(await mergeOne(rig, 'polecat/nux/none')).toEqual({
      id: 'mr-1',
      kind: 'missing',
      reason: 'branch polecat/nux/none is not on origin',
    });
  });
});

describe('mergeBatch without a fetch (fetch: false)', () => {
  const tracking = (rig: RigFixture, branch: string) =>
    run(rig.mirror, ['for-each-ref', '--format=%(objectname)', `refs/remotes/origin/${branch}`]);
  const fetchOnly = (rig: RigFixture, branch: string) =>
    run(rig.mirror, ['fetch', '-q', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`]);

  it('lands a branch pushed from a worktree of the rig clone, from the tracking refs that push updated', async () => {
    const rig = await makeRig();
    const sandbox = path.join(rig.scratch, 'sandbox');
    await run(rig.mirror, ['worktree', 'add', '-q', '--detach', sandbox, 'origin/main']);
    fs.writeFileSync(path.join(sandbox, 'w.txt'), 'w\n');
    await run(sandbox, ['add', 'w.txt']);
    await run(sandbox, ['commit', '-qm', 'polecat work'], POLECAT_IDENTITY);
    const sha = await run(sandbox, ['rev-parse', 'HEAD']);
    await run(sandbox, ['push', '-q', 'origin', `${sha}:refs/heads/polecat/nux/w1`]);
    // The push itself updated the shared repository's tracking ref: no fetch needed to see the branch.
    expect(await tracking(rig, 'polecat/nux/w1')).toBe(sha);
    // Pushed elsewhere, so only a fetch would bring it.
    await rig.pushBranch('polecat/ace/unrelated', [{ 'u.txt': 'u\n' }]);
    expect(await mergeOne(rig, 'polecat/nux/w1', { fetch: false })).toMatchObject({ kind: 'merged' });
    expect(await run(rig.upstream, ['log', '-1', '--format=%s', 'main'])).toBe('polecat work');
    expect(await tracking(rig, 'polecat/ace/unrelated')).toBe('');
    expect(await tracking(rig, 'main')).toBe(await rig.head('main'));
  });

  it('decides a conflict again after a fetch when main had moved: it merges on the real main', async () => {
    const rig = await makeRig();
    await rig.advanceMain({ 'a.txt': '1\n' });
    await run(rig.mirror, ['fetch', '-q', '--prune', 'origin']);
    // Someone else moves main; the rig's tracking refs do not know.
    await rig.advanceMain({ 'a.txt': '2\n' });
    await rig.pushBranch('polecat/nux/b', [{ 'a.txt': '3\n' }]);
    await fetchOnly(rig, 'polecat/nux/b');
    // On the stale main a.txt is 1, so the pick conflicts; on the real one it applies.
    expect(await mergeOne(rig, 'polecat/nux/b', { fetch: false })).toMatchObject({ kind: 'merged' });
    expect(await run(rig.upstream, ['show', 'main:a.txt'])).toBe('3');
  });

  it('merges on top of main moved by someone else: the refused push is retried after a fetch', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/c', [{ 'c.txt': 'c\n' }]);
    await fetchOnly(rig, 'polecat/nux/c');
    await rig.advanceMain({ 'x.txt': 'x\n' });
    expect(await mergeOne(rig, 'polecat/nux/c', { fetch: false })).toMatchObject({ kind: 'merged' });
    expect(await run(rig.upstream, ['show', 'main:x.txt'])).toBe('x');
    expect(await run(rig.upstream, ['show', 'main:c.txt'])).toBe('c');
  });

  it('keeps a conflict with a main that is current, and finds a branch only origin has', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/d', [{ 'shared.txt': 'from d\n' }]);
    await rig.advanceMain({ 'shared.txt': 'from main\n' });
    await run(rig.mirror, ['fetch', '-q', '--prune', 'origin']);
    expect(await mergeOne(rig, 'polecat/nux/d', { fetch: false })).toMatchObject({
      kind: 'conflict',
      files: ['shared.txt'],
    });
    await rig.pushBranch('polecat/ace/e', [{ 'e.txt': 'e\n' }]);
    expect(await mergeOne(rig, 'polecat/ace/e', { fetch: false })).toMatchObject({ kind: 'merged' });
  });
});

describe('deleteMergedBranches', () => {
  it('deletes merged branches in one push and keeps one pushed again since it merged', async () => {
    const rig = await makeRig();
    const a1 = await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }]);
    const a2 = await rig.pushBranch('polecat/ace/web-a2', [{ 'b.txt': 'b\n' }]);
    // web-a2 gets new work under the same name after the sha the refinery merged.
    await run(rig.polecat, ['checkout', '-q', 'polecat/ace/web-a2']);
    fs.writeFileSync(path.join(rig.polecat, 'c.txt'), 'c\n');
    await run(rig.polecat, ['add', 'c.txt']);
    await run(rig.polecat, ['commit', '-qm', 'more work'], POLECAT_IDENTITY);
    await run(rig.polecat, ['push', '-q', 'origin', 'HEAD:refs/heads/polecat/ace/web-a2']);
    const newer = await rig.head('polecat/ace/web-a2');
    expect(newer).not.toBe(a2);
    const r = await deleteMergedBranches(rig.worktree, [
      ['polecat/nux/web-a1', a1],
      ['polecat/ace/web-a2', a2],
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('polecat/ace/web-a2');
    expect(await rig.head('polecat/nux/web-a1')).toBeNull();
    expect(await rig.head('polecat/ace/web-a2')).toBe(newer);
    // Already gone: deleting again refuses that one and changes nothing else.
    expect((await deleteMergedBranches(rig.worktree, [['polecat/nux/web-a1', a1]])).code).not.toBe(0);
    expect(await rig.head('polecat/ace/web-a2')).toBe(newer);
  });
});
