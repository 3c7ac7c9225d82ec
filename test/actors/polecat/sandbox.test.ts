import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanSandbox,
  prepareSandbox,
  provisionSandbox,
  sandboxDir,
} from '../../../actors/polecat/sandbox.js';
import type { RigPaths } from '../../../actors/rig/rig-config.js';
import { townFixtures } from '../../harness/town.js';
import { git, polecatRig } from './polecat-fixtures.js';

const fx = townFixtures();
let rig: RigPaths;
let upstream: string;

beforeAll(async () => {
  ({ rig, upstream } = await polecatRig(fx.dir(), 'sandbox\n'));
});

afterAll(() => fx.cleanup());

describe('polecat sandboxes', () => {
  it('provisionSandbox makes a clean worktree detached at origin/main, once, however often it is asked', async () => {
    await Promise.all([
      provisionSandbox(rig, { name: 'nux', target: 'main' }),
      provisionSandbox(rig, { name: 'nux', target: 'main' }),
    ]);
    await provisionSandbox(rig, { name: 'nux', target: 'main' });
    const dir = sandboxDir(rig, 'nux');
    expect(await git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('HEAD');
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(await git(upstream, 'rev-parse', 'main'));
    expect(await git(dir, 'status', '--porcelain')).toBe('');
    const worktrees = (await git(rig.mirror, 'worktree', 'list', '--porcelain'))
      .split('\n')
      .filter((l) => l === `worktree ${dir}`);
    expect(worktrees).toHaveLength(1);
  });

  it('a sling while the sandbox is still being made waits for it and gets its branch', async () => {
    const provision = provisionSandbox(rig, { name: 'slit', target: 'main' });
    const sandbox = await prepareSandbox(rig, { name: 'slit', branch: 'polecat/slit/app-1', target: 'main' });
    await provision;
    expect(sandbox).toEqual({ dir: sandboxDir(rig, 'slit'), branch: 'polecat/slit/app-1' });
    expect(await git(sandbox.dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('polecat/slit/app-1');
  });

  it('leaves a directory that is not a worktree alone; the sling then refuses it', async () => {
    const dir = sandboxDir(rig, 'furiosa');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
    await provisionSandbox(rig, { name: 'furiosa', target: 'main' });
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
    await expect(
      prepareSandbox(rig, { name: 'furiosa', branch: 'polecat/furiosa/app-2', target: 'main' }),
    ).rejects.toMatchObject({ code: 'polecat.sandbox_foreign' });
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('many polecats take and drop their branches at once without tripping over the shared config', async () => {
    const names = Array.from({ length: 16 }, (_, i) => `crowd${i}`);
    for (const name of names) await provisionSandbox(rig, { name, target: 'main' });
    const branch = (name: string) => `polecat/${name}/app-${name}`;
    await Promise.all(
      names.map((name) => prepareSandbox(rig, { name, branch: branch(name), target: 'main' })),
    );
    for (const name of names)
      expect(await git(sandboxDir(rig, name), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(branch(name));
    // No upstream written: the config every worktree shares is never locked for a polecat branch.
    expect(fs.readFileSync(path.join(rig.mirror, 'config'), 'utf8')).not.toMatch(/crowd/);
    await Promise.all(names.map((name) => cleanSandbox(rig, { name, branch: branch(name), target: 'main' })));
    for (const name of names)
      expect(await git(sandboxDir(rig, name), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('HEAD');
    expect(await git(rig.mirror, 'for-each-ref', '--format=%(refname)', 'refs/heads/polecat/crowd*')).toBe(
      '',
    );
    expect(fs.readFileSync(path.join(rig.mirror, 'config'), 'utf8')).not.toMatch(/crowd/);
  });

  it('never leaves a branch with uncommitted or unpushed work for a new bead', async () => {
    const first = await prepareSandbox(rig, { name: 'nux', branch: 'polecat/nux/app-3', target: 'main' });
    fs.writeFileSync(path.join(first.dir, 'wip.txt'), 'half done\n');
    await expect(
      prepareSandbox(rig, { name: 'nux', branch: 'polecat/nux/app-4', target: 'main' }),
    ).rejects.toMatchObject({ code: 'polecat.sandbox_dirty' });
    await git(first.dir, 'add', '-A');
    await git(first.dir, 'commit', '-qm', 'wip');
    await expect(
      prepareSandbox(rig, { name: 'nux', branch: 'polecat/nux/app-4', target: 'main' }),
    ).rejects.toMatchObject({ code: 'polecat.sandbox_unpushed' });
    expect(await git(first.dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('polecat/nux/app-3');
    expect(fs.readFileSync(path.join(first.dir, 'wip.txt'), 'utf8')).toBe('half done\n');
  });

  it('a bead back on a reused sandbox gets its branch as it was; a new one starts at origin/main', async () => {
    const name = 'rictus';
    const bead = 'polecat/rictus/app-5';
    const first = await prepareSandbox(rig, { name, branch: bead, target: 'main' });
    fs.writeFileSync(path.join(first.dir, 'fix.txt'), 'first try\n');
    await git(first.dir, 'add', '-A');
    await git(first.dir, 'commit', '-qm', 'first try');
    await git(first.dir, 'push', '-q', 'origin', bead);
    const tip = await git(first.dir, 'rev-parse', 'HEAD');
    await git(first.dir, 'checkout', '-q', '--detach', 'origin/main');
    const back = await prepareSandbox(rig, { name, branch: bead, target: 'main' });
    expect(await git(back.dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(bead);
    expect(await git(back.dir, 'rev-parse', 'HEAD')).toBe(tip);
    const next = await prepareSandbox(rig, { name, branch: 'polecat/rictus/app-6', target: 'main' });
    expect(await git(next.dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('polecat/rictus/app-6');
    expect(await git(next.dir, 'rev-parse', 'HEAD')).toBe(await git(upstream, 'rev-parse', 'main'));
    expect(fs.existsSync(path.join(next.dir, 'fix.txt'))).toBe(false);
  });
});
