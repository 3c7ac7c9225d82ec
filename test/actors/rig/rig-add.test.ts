import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitError } from '../../../actors/git/git.js';
import { addRig } from '../../../actors/rig/rig-add.js';
import { readRigConfig, rigPaths } from '../../../actors/rig/rig-config.js';
import { listRigs, removeRig, showRig } from '../../../actors/rig/rig-registry.js';
import { townPaths } from '../../../actors/town/town-config.js';
import { cleanupTemp, makeUpstream, newTown, rejection, sh, tempDir } from './rig-fixtures.js';

afterAll(cleanupTemp);

const noWork = { hookedWork: () => [] };

describe('addRig', () => {
  let town: string;
  let upstream: { dir: string; head: string };
  beforeAll(async () => {
    town = await newTown();
    upstream = await makeUpstream(tempDir());
  });

  it('creates the mirror, the refinery worktree, polecats/ and crew/, then rig.json', async () => {
    const added = await addRig(town, {
      name: 'web',
      url: upstream.dir,
      gates: [{ name: 'test', cmd: './test.sh' }],
      agent: 'claude',
    });
    const p = rigPaths(town, 'web');
    expect(added.paths).toEqual(p);
    expect(added.head).toBe(upstream.head);
    expect(added.config).toMatchObject({
      version: 1,
      name: 'web',
      url: upstream.dir,
      default_branch: 'main',
      prefix: 'web',
      gates: [{ name: 'test', cmd: './test.sh', timeout_ms: 600_000 }],
      max_polecats: 4,
      agent: 'claude',
    });
    expect(readRigConfig(town, 'web')).toEqual(added.config);

    expect(await sh(p.mirror, 'rev-parse', '--is-bare-repository')).toBe('true');
    expect(await sh(p.mirror, 'config', '--get-all', 'remote.origin.fetch')).toBe(
      '+refs/heads/*:refs/remotes/origin/*',
    );
    expect(await sh(p.mirror, 'config', '--get', 'remote.origin.mirror').catch(() => 'unset')).toBe('unset');
    expect(await sh(p.mirror, 'rev-parse', 'refs/remotes/origin/main')).toBe(upstream.head);
    expect(await sh(p.mirror, 'for-each-ref', 'refs/heads/')).toBe('');
    expect(await sh(p.mirror, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');

    expect(await sh(p.refinery, 'rev-parse', 'HEAD')).toBe(upstream.head);
    expect(await sh(p.refinery, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('HEAD'); // detached
    expect(fs.readFileSync(path.join(p.refinery, 'test.sh'), 'utf8')).toContain('exit 0');
    expect(fs.statSync(p.polecats).isDirectory()).toBe(true);
    expect(fs.statSync(p.crew).isDirectory()).toBe(true);

    const list = listRigs(town);
    expect(list.broken).toEqual([]);
    expect(list.rigs.map((r) => r.name)).toEqual(['web']);
    const shown = await showRig(town, 'web');
    expect(shown).toMatchObject({ head: upstream.head, polecat_worktrees: 0, paths: p });
  });

  it('a fetch updates origin/* and never touches local branches of worktrees', async () => {
    const p = rigPaths(town, 'web');
    await sh(p.mirror, 'worktree', 'add', '-q', '-b', 'main', path.join(p.polecats, 'nux'), 'origin/main');
    fs.writeFileSync(path.join(p.polecats, 'nux', 'work.txt'), 'work\n');
    await sh(path.join(p.polecats, 'nux'), 'add', '.');
    await sh(path.join(p.polecats, 'nux'), 'commit', '-q', '-m', 'polecat work');
    const local = await sh(p.mirror, 'rev-parse', 'refs/heads/main');

    fs.writeFileSync(path.join(upstream.dir, 'more.txt'), 'more\n');
    await sh(upstream.dir, 'add', '.');
    await sh(upstream.dir, 'commit', '-q', '-m', 'upstream moves on');
    await sh(p.mirror, 'fetch', '-q', 'origin');
    expect(await sh(p.mirror, 'rev-parse', 'refs/heads/main')).toBe(local);
    expect(await sh(p.mirror, 'rev-parse', 'refs/remotes/origin/main')).toBe(
      await sh(upstream.dir, 'rev-parse', 'HEAD'),
    );
    expect((await showRig(town, 'web')).polecat_worktrees).toBe(1);
  });

  it('refuses a second rig of the same name, leaving the first intact', async () => {
    const before = fs.readFileSync(rigPaths(town, 'web').config, 'utf8');
    const e = await rejection(addRig(town, { name: 'web', url: upstream.dir }));
    expect(e.code).toBe('rig.exists');
    expect(fs.readFileSync(rigPaths(town, 'web').config, 'utf8')).toBe(before);
  });

  it('refuses what is not a git repository and leaves rigs/ as it was', async () => {
    const rigs = townPaths(town).rigs;
    const before = fs.readdirSync(rigs).sort();
    const empty = tempDir();
    const e1 = await rejection(addRig(town, { name: 'empty', url: empty }));
    expect(e1.code).toBe('rig.not_a_git_repo');
    expect(e1.message).toContain(`git ls-remote --symref ${empty}`);
    const missing = path.join(empty, 'missing');
    const e2 = await rejection(addRig(town, { name: 'missing', url: missing }));
    expect(e2.code).toBe('rig.not_a_git_repo');
    expect(e2.message).toContain(missing);
    expect(fs.readdirSync(rigs).sort()).toEqual(before);
  });

  it('refuses bad names, reserved names and bad prefixes', async () => {
    for (const name of ['Web', '-web', 'a_b', '', 'x'.repeat(33), 'mayor', 'dogs'])
      expect((await rejection(addRig(town, { name, url: upstream.dir }))).code).toBe('rig.bad_name');
    for (const prefix of ['alpha', 'Bad', 'a--b', 'web'])
      expect((await rejection(addRig(town, { name: 'api', url: upstream.dir, prefix }))).code).toBe(
        'rig.bad_prefix',
      );
    expect((await rejection(addRig(town, { name: 'alpha', url: upstream.dir }))).code).toBe('rig.bad_prefix');
    expect((await rejection(addRig(town, { name: 'api', url: upstream.dir, maxPolecats: 0 }))).code).toBe(
      'rig.bad_option',
    );
    const twice = [
      { name: 'test', cmd: 'a' },
      { name: 'test', cmd: 'b' },
    ];
    expect((await rejection(addRig(town, { name: 'api', url: upstream.dir, gates: twice }))).code).toBe(
      'rig.bad_option',
    );
    expect(fs.existsSync(rigPaths(town, 'api').dir)).toBe(false);
  });

  it('resolves a relative path against cwd and stores it absolute', async () => {
    const parent = path.dirname(upstream.dir);
    const added = await addRig(town, {
      name: 'rel',
      url: path.basename(upstream.dir),
      cwd: parent,
      prefix: 'rl',
    });
    expect(added.config.url).toBe(upstream.dir);
    expect(added.config.prefix).toBe('rl');
    await removeRig(town, 'rel', noWork);
  });

  it("finds the upstream's HEAD branch, else main or master, and honours --branch", async () => {
    const trunk = await makeUpstream(tempDir(), { branch: 'trunk' });
    expect((await addRig(town, { name: 'trunk', url: trunk.dir })).config.default_branch).toBe('trunk');

    const old = await makeUpstream(tempDir(), { branch: 'master' });
    await sh(old.dir, 'symbolic-ref', 'HEAD', 'refs/heads/unborn');
    expect((await addRig(town, { name: 'old', url: old.dir })).config.default_branch).toBe('master');

    await sh(trunk.dir, 'branch', 'release');
    const rel = await addRig(town, { name: 'release', url: trunk.dir, branch: 'release', prefix: 'rls' });
    expect(rel.config.default_branch).toBe('release');
    expect(await sh(rel.paths.mirror, 'symbolic-ref', 'HEAD')).toBe('refs/heads/release');
    expect(await sh(rel.paths.refinery, 'rev-parse', 'HEAD')).toBe(trunk.head);

    const e = await rejection(addRig(town, { name: 'nobranch', url: trunk.dir, branch: 'nope' }));
    expect(e.code).toBe('rig.no_default_branch');
    expect(e.message).toContain('no branch "nope"');

    const odd = await makeUpstream(tempDir(), { branch: 'dev' });
    await sh(odd.dir, 'symbolic-ref', 'HEAD', 'refs/heads/unborn');
    expect((await rejection(addRig(town, { name: 'odd', url: odd.dir }))).code).toBe('rig.no_default_branch');

    const bare = tempDir();
    await sh(bare, 'init', '-q', '--bare');
    const e2 = await rejection(addRig(town, { name: 'bare', url: bare }));
    expect(e2.code).toBe('rig.no_default_branch');
    expect(e2.message).toContain('no branches');
    for (const name of ['nobranch', 'odd', 'bare'])
      expect(fs.existsSync(rigPaths(town, name).dir)).toBe(false);
  });

  it('removes everything it made when a step fails after the clone', async () => {
    const broken = await makeUpstream(tempDir());
    fs.writeFileSync(path.join(broken.dir, 'b.txt'), 'b\n');
    await sh(broken.dir, 'add', '.');
    await sh(broken.dir, 'commit', '-q', '-m', 'second');
    const blob = await sh(broken.dir, 'rev-parse', 'HEAD:b.txt');
    fs.rmSync(path.join(broken.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));

    const rigs = townPaths(town).rigs;
    const before = fs.readdirSync(rigs).sort();
    const error = await addRig(town, { name: 'broken', url: broken.dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toContain('git worktree add');
    expect(fs.readdirSync(rigs).sort()).toEqual(before);
  });

  it('sets a fallback identity in the mirror only when git has none', async () => {
    expect(
      await sh(rigPaths(town, 'web').mirror, 'config', '--local', '--get', 'user.name').catch(() => 'unset'),
    ).toBe('unset');
    const saved = { global: process.env['GIT_CONFIG_GLOBAL'], system: process.env['GIT_CONFIG_NOSYSTEM'] };
    process.env['GIT_CONFIG_GLOBAL'] = '/dev/null';
    process.env['GIT_CONFIG_NOSYSTEM'] = '1';
    try {
      const added = await addRig(town, { name: 'anon', url: upstream.dir, prefix: 'an' });
      expect(await sh(added.paths.mirror, 'config', '--local', '--get', 'user.name')).toBe('gt');
      expect(await sh(added.paths.mirror, 'config', '--local', '--get', 'user.email')).toBe('gt@localhost');
    } finally {
      for (const [key, value] of [
        ['GIT_CONFIG_GLOBAL', saved.global],
        ['GIT_CONFIG_NOSYSTEM', saved.system],
      ] as const)
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
    }
  });
});
