import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { git, gitOk, useGitRunner } from '../../../actors/git/git.js';
import { GitRunner } from '../../../actors/git/git-runner.js';
import { alive, DAEMON_ENTRY, waitFor } from '../../harness/town.js';
import { cleanupTemp, makeUpstream, tempDir } from '../rig/rig-fixtures.js';

/** The runner of the same build as the daemon the tests start (the runner runs compiled code only). */
const ENTRY = path.resolve(path.dirname(DAEMON_ENTRY), '..', 'git', 'git-runner-main.js');

const runners: GitRunner[] = [];
afterAll(async () => {
  useGitRunner(null);
  for (const r of runners) await r.stop(2_000);
  cleanupTemp();
});

function runner(): GitRunner {
  const r = new GitRunner(ENTRY);
  runners.push(r);
  return r;
}

/** Processes whose command line contains `marker` (what this test started), from /proc. */
function withMarker(marker: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(marker)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

describe('git through the GitRunner', () => {
  it('gives the same results as running git directly, many at once, with stdin', async () => {
    const { dir, head } = await makeUpstream(tempDir());
    const direct = await Promise.all([
      gitOk(['rev-parse', 'HEAD'], { cwd: dir }),
      gitOk(['rev-parse', '--verify', '--quiet', 'nope'], { cwd: dir }),
      gitOk(['hash-object', '--stdin'], { cwd: dir, input: 'hello\n' }),
      gitOk(['status', '--porcelain'], { cwd: dir }),
    ]);
    useGitRunner(runner());
    try {
      const viaRunner = await Promise.all([
        gitOk(['rev-parse', 'HEAD'], { cwd: dir }),
        gitOk(['rev-parse', '--verify', '--quiet', 'nope'], { cwd: dir }),
        gitOk(['hash-object', '--stdin'], { cwd: dir, input: 'hello\n' }),
        gitOk(['status', '--porcelain'], { cwd: dir }),
      ]);
      expect(viaRunner).toEqual(direct);
      expect(viaRunner[0]?.stdout).toBe(head);
      const many = await Promise.all(
        Array.from({ length: 40 }, () => git(['rev-parse', 'HEAD'], { cwd: dir })),
      );
      expect(new Set(many)).toEqual(new Set([head]));
      const error = await git(['rev-parse', '--verify', 'nope'], { cwd: dir }).catch((e: unknown) => e);
      expect((error as Error).message).toContain('git rev-parse --verify nope');
    } finally {
      useGitRunner(null);
    }
  });

  it('kills a git run that outlives its timeout, with what it started', async () => {
    const { dir } = await makeUpstream(tempDir());
    const marker = `gt-runner-timeout-${process.pid}`;
    useGitRunner(runner());
    try {
      const started = Date.now();
      const r = await gitOk(['-c', `alias.hang=!sleep 30; : ${marker}`, 'hang'], {
        cwd: dir,
        timeoutMs: 300,
      });
      expect(r.code).toBe(-1);
      expect(Date.now() - started).toBeLessThan(10_000);
      await waitFor('the hung git and its sleep to be gone', () => withMarker(marker).length === 0, 5_000);
    } finally {
      useGitRunner(null);
    }
  });

  it('a runner that dies fails the runs it had, and the next run starts a new one', async () => {
    const { dir, head } = await makeUpstream(tempDir());
    const r = runner();
    useGitRunner(r);
    try {
      expect(await git(['rev-parse', 'HEAD'], { cwd: dir })).toBe(head);
      const first = r.pid() as number;
      const marker = `gt-runner-death-${process.pid}`;
      const inFlight = gitOk(['-c', `alias.nap=!sleep 1; : ${marker}`, 'nap'], { cwd: dir });
      await waitFor('the run to start', () => withMarker(marker).length > 0, 5_000);
      process.kill(first, 'SIGKILL');
      const lost = await inFlight;
      expect(lost.code).toBe(-1);
      expect(lost.stderr).toContain('the git runner exited');
      expect(await git(['rev-parse', 'HEAD'], { cwd: dir })).toBe(head);
      expect(r.pid()).not.toBe(first);
      expect(alive(first)).toBe(false);
      // The orphaned run ends by itself (its sleep is 1 s).
      await waitFor('the orphaned run to end', () => withMarker(marker).length === 0, 5_000);
    } finally {
      useGitRunner(null);
    }
  });

  it('stop lets running commands finish, then the runner exits; later runs fail plainly', async () => {
    const { dir, head } = await makeUpstream(tempDir());
    const r = runner();
    expect(
      (await r.run({ args: ['rev-parse', 'HEAD'], cwd: dir, env: {}, timeoutMs: 5_000 })).stdout.trim(),
    ).toBe(head);
    const pid = r.pid() as number;
    const slow = r.run({ args: ['-c', 'alias.nap=!sleep 0.3', 'nap'], cwd: dir, env: {}, timeoutMs: 5_000 });
    await r.stop(5_000);
    expect((await slow).code).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(await r.run({ args: ['rev-parse', 'HEAD'], cwd: dir, env: {}, timeoutMs: 5_000 })).toMatchObject({
      code: -1,
      error: 'the git runner is stopped',
    });
  });
});
