import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { pushTook } from '../../../actors/git/push-report.js';
import { cleanupTemp, GIT_IDENTITY_ENV, tempDir } from '../rig/rig-fixtures.js';

afterAll(() => cleanupTemp());

describe('pushTook', () => {
  it('reads real pushes: taken when new, fast-forward, forced or up to date; not when rejected', async () => {
    const dir = tempDir('gt-push-');
    const bare = path.join(dir, 'up.git');
    const work = path.join(dir, 'work');
    const git = async (...args: string[]) =>
      execa('git', args, { cwd: work, env: { ...process.env, ...GIT_IDENTITY_ENV }, reject: false });
    await execa('git', ['init', '-q', '--bare', '-b', 'main', bare]);
    await execa('git', ['init', '-q', '-b', 'main', work]);
    await git('remote', 'add', 'origin', bare);
    await git('commit', '-q', '--allow-empty', '-m', 'one');
    const push = async (...args: string[]) => (await git('push', '--porcelain', ...args)).stdout;

    expect(pushTook(await push('origin', 'HEAD:refs/heads/main'), 'refs/heads/main')).toBe(true);
    await git('commit', '-q', '--allow-empty', '-m', 'two');
    const two = (await git('rev-parse', 'HEAD')).stdout;
    const ff = await push('origin', `${two}:refs/heads/main`);
    expect(pushTook(ff, 'refs/heads/main')).toBe(true);
    expect(pushTook(ff, 'refs/heads/other')).toBe(false);
    expect(pushTook(ff, 'refs/heads/mai')).toBe(false);
    expect(pushTook(await push('origin', `${two}:refs/heads/main`), 'refs/heads/main')).toBe(true);
    expect(pushTook(await push('--force', 'origin', 'HEAD~1:refs/heads/main'), 'refs/heads/main')).toBe(true);

    await git('commit', '-q', '--allow-empty', '-m', 'three');
    await push('origin', 'HEAD:refs/heads/main');
    const behind = await git('push', '--porcelain', 'origin', `${two}:refs/heads/main`);
    expect(behind.exitCode).not.toBe(0);
    expect(behind.stdout).toMatch(/^!\t/m);
    expect(pushTook(behind.stdout, 'refs/heads/main')).toBe(false);
    expect(pushTook('', 'refs/heads/main')).toBe(false);
  });
});
