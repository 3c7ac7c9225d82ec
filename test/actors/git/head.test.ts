import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { git, gitOk } from '../../../actors/git/git.js';
import { currentBranch } from '../../../actors/git/head.js';
import { cleanupTemp, makeUpstream, tempDir } from '../rig/rig-fixtures.js';

afterAll(cleanupTemp);

/** What git itself says: the reference currentBranch must agree with. */
async function gitSays(dir: string): Promise<string | null> {
  const r = await gitOk(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: dir });
  return r.code === 0 && r.stdout !== '' ? r.stdout : null;
}

describe('currentBranch', () => {
  it('agrees with git symbolic-ref in a clone, a linked worktree, a detached HEAD and an unborn branch', async () => {
    const parent = tempDir();
    const { dir } = await makeUpstream(parent);
    expect(await currentBranch(dir)).toBe('main');

    const tree = path.join(parent, 'trees', 'nux');
    await git(['worktree', 'add', '-q', '--no-track', '-b', 'polecat/nux/app-1x2', tree, 'main'], {
      cwd: dir,
    });
    expect(fs.statSync(path.join(tree, '.git')).isFile()).toBe(true);
    expect(await currentBranch(tree)).toBe('polecat/nux/app-1x2');
    expect(await currentBranch(tree)).toBe(await gitSays(tree));

    await git(['checkout', '-q', '--detach'], { cwd: tree });
    expect(await currentBranch(tree)).toBeNull();
    expect(await gitSays(tree)).toBeNull();

    const unborn = path.join(parent, 'unborn');
    await git(['init', '-q', '-b', 'trunk', unborn], { cwd: parent });
    expect(await currentBranch(unborn)).toBe('trunk');
    expect(await currentBranch(unborn)).toBe(await gitSays(unborn));
  });

  it('is null for a directory that does not exist', async () => {
    expect(await currentBranch(path.join(tempDir(), 'gone'))).toBeNull();
  });

  it('asks git when the .git file is not one it can read', async () => {
    const parent = tempDir();
    const { dir } = await makeUpstream(parent);
    const odd = path.join(parent, 'odd');
    fs.mkdirSync(odd);
    fs.writeFileSync(path.join(odd, '.git'), 'not a gitdir line\n');
    // git refuses the malformed .git file too: both say there is no branch.
    expect(await currentBranch(odd)).toBe(await gitSays(odd));
    expect(await currentBranch(dir)).toBe('main');
  });
});
