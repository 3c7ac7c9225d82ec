import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import {
  deleteRemoteBranch,
  isMergedInto,
  mergeOnce,
  type MergeInput,
} from '../../../actors/refinery/merge-engine.js';
import { runGate } from '../../../actors/refinery/gates.js';
import { waitFor } from '../../harness/town.js';
import { cleanupTemp } from '../rig/rig-fixtures.js';
import { alive, libJs, makeRig, run, UPSTREAM_IDENTITY, type RigFixture } from './merge-fixtures.js';

afterAll(cleanupTemp);

const TEST_GATE = { name: 'test', cmd: 'sh test.sh', timeout_ms: 10_000 };

function input(rig: RigFixture, branch: string, extra: Partial<MergeInput> = {}): MergeInput {
  return { worktree: rig.worktree, branch, target: 'main', gates: [TEST_GATE], ...extra };
}

async function worktreeIsClean(rig: RigFixture): Promise<void> {
  expect(await run(rig.worktree, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
  const gitDir = await run(rig.worktree, ['rev-parse', '--absolute-git-dir']);
  expect(fs.existsSync(path.join(gitDir, 'rebase-merge'))).toBe(false);
  expect(fs.existsSync(path.join(gitDir, 'rebase-apply'))).toBe(false);
}

describe('mergeOnce', () => {
  it('rebases a clean branch onto main, runs the gates, pushes, and keeps the author', async () => {
    const rig = await makeRig();
    const submitted = await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }, { 'b.txt': 'b\n' }]);
    const moved = await rig.advanceMain({ 'README.md': 'upstream moved on\n' });
    const lines: string[] = [];
    const result = await mergeOnce(
      input(rig, 'polecat/nux/web-a1', { expectedSha: '0'.repeat(40), log: (l) => lines.push(l) }),
    );
    expect(result).toMatchObject({ kind: 'merged', alreadyMerged: false, commits: 2 });
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
    expect(lines.some((l) => l.includes(`not at the submitted ${'0'.repeat(40)}`))).toBe(true);
    expect(await isMergedInto(rig.worktree, 'polecat/nux/web-a1', 'main')).toBe(true);
  });

  it('commits as the refinery when git has no identity, and as the configured one when it has', async () => {
    const rig = await makeRig();
    const saved = process.env.GIT_CONFIG_GLOBAL;
    const empty = path.join(rig.scratch, 'empty-gitconfig');
    fs.writeFileSync(empty, '');
    process.env.GIT_CONFIG_GLOBAL = empty;
    try {
      await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }]);
      await rig.advanceMain({ 'README.md': 'moved\n' });
      const first = await mergeOnce(input(rig, 'polecat/nux/web-a1'));
      expect(first).toMatchObject({ kind: 'merged', commits: 1 });
      expect(await run(rig.upstream, ['log', '-1', '--format=%an|%cn <%ce>', 'main'])).toBe(
        'nux polecat|gt refinery <refinery@gt.localhost>',
      );
      await run(rig.mirror, ['config', 'user.name', 'rig bot']);
      await run(rig.mirror, ['config', 'user.email', 'bot@example.com']);
      await rig.pushBranch('polecat/nux/web-a2', [{ 'b.txt': 'b\n' }]);
      await rig.advanceMain({ 'README.md': 'moved again\n' });
      expect(await mergeOnce(input(rig, 'polecat/nux/web-a2'))).toMatchObject({ kind: 'merged' });
      expect(await run(rig.upstream, ['log', '-1', '--format=%an|%cn <%ce>', 'main'])).toBe(
        'nux polecat|rig bot <bot@example.com>',
      );
    } finally {
      if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = saved;
    }
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
    const result = await mergeOnce(input(rig, 'polecat/nux/web-a1'));
    expect(result).toMatchObject({ kind: 'merged', commits: 1 });
    await worktreeIsClean(rig);
    expect(fs.readFileSync(path.join(rig.worktree, 'notes.txt'), 'utf8')).toBe('nux\n');
  });

  it('merges the first of two branches on the same line and reports the second as a conflict', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'lib.js': libJs(42).replace('42', '40 + 2') }]);
    await rig.pushBranch('polecat/ace/web-a2', [
      { 'lib.js': libJs(42).replace('42', '6 * 7'), 'c.txt': 'c\n' },
    ]);
    const first = await mergeOnce(input(rig, 'polecat/nux/web-a1', { gates: [] }));
    expect(first).toMatchObject({ kind: 'merged', commits: 1 });
    const main = await rig.head();
    const second = await mergeOnce(input(rig, 'polecat/ace/web-a2', { gates: [] }));
    expect(second).toEqual({ kind: 'conflict', files: ['lib.js'], onto: main });
    expect(await rig.head()).toBe(main);
    await worktreeIsClean(rig);
    expect(await isMergedInto(rig.worktree, 'polecat/ace/web-a2', 'main')).toBe(false);
  });

  it('rejects a branch that turns a gate red, with the gate output, and pushes nothing', async () => {
    const rig = await makeRig();
    const before = await rig.head();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'lib.js': libJs(41) }]);
    const gates = [{ name: 'lint', cmd: 'echo linted', timeout_ms: 5_000 }, TEST_GATE];
    const result = await mergeOnce(input(rig, 'polecat/nux/web-a1', { gates }));
    expect(result).toEqual({
      kind: 'rejected',
      gate: 'test',
      output: 'FAIL: answer() must return 42\n',
      exitCode: 1,
      timedOut: false,
    });
    expect(await rig.head()).toBe(before);
    // The next run does it all again, and is rejected again: a red gate is never overridden.
    expect(await mergeOnce(input(rig, 'polecat/nux/web-a1', { gates }))).toMatchObject({ kind: 'rejected' });
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
    const result = await mergeOnce(input(rig, 'polecat/nux/web-a1', { gates: [gate] }));
    expect(result).toMatchObject({ kind: 'rejected', gate: 'slow', exitCode: null, timedOut: true });
    if (result.kind === 'rejected') expect(result.output).toContain('started');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    await waitFor('the gate process to be gone', () => !alive(pid), 5_000);
    expect(await rig.head()).toBe(before);
  });

  it('finds an already merged branch merged again without pushing anything', async () => {
    const rig = await makeRig();
    await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }]);
    const first = await mergeOnce(input(rig, 'polecat/nux/web-a1'));
    expect(first).toMatchObject({ kind: 'merged', alreadyMerged: false, commits: 1 });
    const main = await rig.head();
    const marker = path.join(rig.scratch, 'gate-ran');
    const gates = [{ name: 'mark', cmd: `touch ${marker}`, timeout_ms: 5_000 }];
    const again = await mergeOnce(input(rig, 'polecat/nux/web-a1', { gates }));
    expect(again).toEqual({ kind: 'merged', sha: main, alreadyMerged: true, commits: 0 });
    expect(await rig.head()).toBe(main);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('returns retry when main moves during the gates, and merges on top of it next time', async () => {
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
    const first = await mergeOnce(input(rig, 'polecat/nux/web-a1', { gates, env: UPSTREAM_IDENTITY }));
    expect(first).toMatchObject({ kind: 'retry' });
    const raced = await rig.head();
    expect(await run(rig.upstream, ['log', '-1', '--format=%s', 'main'])).toBe('race');

    const second = await mergeOnce(input(rig, 'polecat/nux/web-a1', { gates, env: UPSTREAM_IDENTITY }));
    expect(second).toMatchObject({ kind: 'merged', alreadyMerged: false, commits: 1 });
    if (second.kind !== 'merged') return;
    expect(await rig.head()).toBe(second.sha);
    expect(await run(rig.upstream, ['rev-parse', `${second.sha}~1`])).toBe(raced);
  });

  it('reports a branch missing on origin; deleteRemoteBranch and isMergedInto', async () => {
    const rig = await makeRig();
    expect(await mergeOnce(input(rig, 'polecat/nux/none'))).toEqual({
      kind: 'missing',
      reason: 'branch polecat/nux/none is not on origin',
    });
    await rig.pushBranch('polecat/nux/web-a1', [{ 'a.txt': 'a\n' }]);
    const sha = await rig.pushBranch('polecat/nux/web-a2', [{ 'b.txt': 'b\n' }]);
    expect(await isMergedInto(rig.worktree, 'polecat/nux/web-a1', 'main')).toBe(false);
    expect(await mergeOnce(input(rig, 'polecat/nux/web-a1'))).toMatchObject({ kind: 'merged' });
    expect(await isMergedInto(rig.worktree, 'polecat/nux/web-a1', 'main')).toBe(true);
    expect(await isMergedInto(rig.worktree, 'polecat/nux/web-a2', 'main')).toBe(false);

    const kept: string[] = [];
    await deleteRemoteBranch(rig.worktree, 'polecat/nux/web-a2', {
      target: 'main',
      log: (l) => kept.push(l),
    });
    expect(await rig.head('polecat/nux/web-a2')).toBe(sha);
    expect(kept).toEqual(['not deleting polecat/nux/web-a2 on origin: it has work that is not on main']);
    await deleteRemoteBranch(rig.worktree, 'polecat/nux/web-a1', { target: 'main' });
    expect(await rig.head('polecat/nux/web-a1')).toBeNull();
    expect(await run(rig.worktree, ['for-each-ref', 'refs/remotes/origin/polecat/nux/web-a1'])).toBe('');
    const logged: string[] = [];
    await deleteRemoteBranch(rig.worktree, 'polecat/nux/web-a1', { log: (l) => logged.push(l) });
    expect(logged).toEqual([]);
    expect(await mergeOnce(input(rig, 'polecat/nux/web-a1'))).toMatchObject({ kind: 'missing' });
    expect(await isMergedInto(rig.worktree, 'polecat/nux/web-a1', 'main')).toBe(false);
    expect(await isMergedInto(rig.worktree, sha, 'main')).toBe(false);
    expect(await rig.head('polecat/nux/web-a2')).toBe(sha);
  });
});

describe('runGate', () => {
  it('passes GT_GATE and the env, keeps only the tail of the output, and reports the exit code', async () => {
    const rig = await makeRig();
    const gate = {
      name: 'noisy',
      cmd: 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo "$GT_GATE $EXTRA" >&2; exit 3',
      timeout_ms: 10_000,
    };
    const r = await runGate(gate, { cwd: rig.worktree, env: { EXTRA: 'x' }, maxOutputBytes: 100 });
    expect(r).toMatchObject({ ok: false, exitCode: 3, timedOut: false });
    expect(Buffer.byteLength(r.output)).toBeLessThanOrEqual(100);
    expect(r.output.endsWith('line 1999\nnoisy x\n')).toBe(true);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    const ok = await runGate({ name: 'ok', cmd: 'pwd', timeout_ms: 5_000 }, { cwd: rig.worktree });
    expect(ok).toMatchObject({ ok: true, exitCode: 0, output: `${fs.realpathSync(rig.worktree)}\n` });
  });
});

describe('runGate timeouts', () => {
  it('kills a gate group that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const rig = await makeRig();
    const pidFile = path.join(rig.scratch, 'stubborn.pid');
    const gate = {
      name: 'stubborn',
      cmd: `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait`,
      timeout_ms: 300,
    };
    const r = await runGate(gate, { cwd: rig.worktree, killGraceMs: 200 });
    expect(r).toMatchObject({ ok: false, exitCode: null, timedOut: true });
    expect(r.output).toContain('[gate stubborn timed out after 300 ms]');
    expect(r.durationMs).toBeLessThan(5_000);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await waitFor('the stubborn gate process to be gone', () => !alive(pid), 5_000);
  });
});
