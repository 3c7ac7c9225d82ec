import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  committerEnv,
  headCommit,
  looseRefIs,
  remoteRef,
  resetWorktree,
} from '../../../actors/refinery/merge-engine.js';
import { cleanupTemp } from '../rig/rig-fixtures.js';
import { makeRig, run, withEmptyGlobalConfig } from './merge-fixtures.js';

afterAll(cleanupTemp);

describe('merge engine, reading what git keeps in files', () => {
  it('reads a detached HEAD and a loose remote-tracking ref of a linked worktree as git resolves them', async () => {
    const rig = await makeRig();
    const at = { cwd: rig.worktree };
    expect(await headCommit(at)).toBe(await run(rig.worktree, ['rev-parse', 'HEAD']));
    const main = await run(rig.worktree, ['rev-parse', 'origin/main']);
    await run(rig.mirror, ['update-ref', remoteRef('main'), main]);
    expect(await looseRefIs(remoteRef('main'), main, at)).toBe(true);
    expect(await looseRefIs(remoteRef('main'), '0'.repeat(40), at)).toBe(false);
    expect(await looseRefIs(remoteRef('no-such-branch'), main, at)).toBe(false);
    // HEAD on a branch (a symbolic ref) is resolved by git.
    await run(rig.worktree, ['checkout', '-q', '-b', 'local-branch']);
    expect(await headCommit(at)).toBe(main);
  });

  it('resets to a commit, dropping staged, modified and untracked files', async () => {
    const rig = await makeRig();
    const at = { cwd: rig.worktree };
    const main = await run(rig.worktree, ['rev-parse', 'origin/main']);
    fs.writeFileSync(path.join(rig.worktree, 'staged.txt'), 'staged\n');
    await run(rig.worktree, ['add', 'staged.txt']);
    fs.writeFileSync(path.join(rig.worktree, 'README.md'), 'changed\n');
    fs.mkdirSync(path.join(rig.worktree, 'junk'));
    fs.writeFileSync(path.join(rig.worktree, 'junk', 'x'), 'x\n');
    await run(rig.worktree, ['checkout', '-q', '-b', 'elsewhere']);
    await resetWorktree(main, at);
    expect(await run(rig.worktree, ['status', '--porcelain', '--ignored'])).toBe('');
    expect(await run(rig.worktree, ['rev-parse', 'HEAD'])).toBe(main);
    expect(await run(rig.worktree, ['symbolic-ref', '-q', '--short', 'HEAD']).catch(() => 'detached')).toBe(
      'detached',
    );
  });

  it('asks git for the identity again once the repository config changes', async () => {
    const rig = await makeRig();
    await withEmptyGlobalConfig(rig.scratch, async (global) => {
      const at = { cwd: rig.worktree };
      expect(await committerEnv(at)).toMatchObject({ GIT_COMMITTER_NAME: 'gt refinery' });
      expect(await committerEnv(at)).toMatchObject({ GIT_COMMITTER_NAME: 'gt refinery' });
      await run(rig.mirror, ['config', 'user.name', 'rig bot']);
      await run(rig.mirror, ['config', 'user.email', 'bot@example.com']);
      expect(await committerEnv(at)).toEqual({});
      await run(rig.mirror, ['config', '--unset', 'user.email']);
      expect(await committerEnv(at)).toMatchObject({ GIT_COMMITTER_EMAIL: 'refinery@gt.localhost' });
      fs.writeFileSync(global, '[user]\n\temail = me@example.com\n');
      expect(await committerEnv(at)).toEqual({});
    });
  });
});
