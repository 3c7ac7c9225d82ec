import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { townPaths } from '../../actors/town/town-config.js';
import { SqliteBeadStore } from '../../beads/store.js';
import { cleanupTemp, makeUpstream, repoState, sh, tempDir } from '../actors/rig/rig-fixtures.js';
import { runGt } from '../harness/town.js';

afterAll(cleanupTemp);

interface RigJson {
  name: string;
  url: string;
  default_branch: string;
  prefix: string;
  gates: Array<{ name: string; cmd: string; timeout_ms: number }>;
  max_polecats: number;
  agent?: string;
}

describe('gt rig', () => {
  let root: string;
  let upstream: { dir: string; head: string };
  beforeAll(async () => {
    root = path.join(tempDir('gt-town-'), 'alpha');
    const install = await runGt(['install', root]);
    expect(install.code, install.stderr).toBe(0);
    upstream = await makeUpstream(tempDir());
  });

  it('add, list and show a rig', async () => {
    const add = await runGt(
      [
        'rig',
        'add',
        'web',
        upstream.dir,
        '--gate',
        './test.sh',
        '--gate',
        'lint=echo lint ok',
        '--max-polecats',
        '2',
        '--agent',
        'claude',
        '--json',
      ],
      { cwd: root },
    );
    expect(add.code, add.stderr).toBe(0);
    const added = add.json<{ rig: RigJson; dir: string; head: string }>();
    expect(added.head).toBe(upstream.head);
    expect(added.dir).toBe(path.join(root, 'rigs', 'web'));
    expect(added.rig).toMatchObject({
      name: 'web',
      url: upstream.dir,
      default_branch: 'main',
      prefix: 'web',
      max_polecats: 2,
      agent: 'claude',
      gates: [
        { name: 'test', cmd: './test.sh', timeout_ms: 600_000 },
        { name: 'lint', cmd: 'echo lint ok', timeout_ms: 600_000 },
      ],
    });
    const mirror = path.join(added.dir, '.repo.git');
    expect(await sh(mirror, 'rev-parse', '--is-bare-repository')).toBe('true');
    expect(await sh(mirror, 'config', '--get-all', 'remote.origin.fetch')).toBe(
      '+refs/heads/*:refs/remotes/origin/*',
    );
    expect(await sh(path.join(added.dir, 'refinery', 'rig'), 'rev-parse', 'HEAD')).toBe(upstream.head);

    const human = await runGt(['rig', 'add', 'api', path.relative(root, upstream.dir), '--prefix', 'api-x'], {
      cwd: root,
    });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('Added rig api');
    expect(human.stdout).toContain('beads prefix api-x');

    const list = await runGt(['rig', 'list', '--json', '--town', root]);
    expect(list.code, list.stderr).toBe(0);
    const listed = list.json<{ rigs: RigJson[]; broken: unknown[] }>();
    expect(listed.rigs.map((r) => [r.name, r.url])).toEqual([
      ['api', upstream.dir],
      ['web', upstream.dir],
    ]);
    expect(listed.broken).toEqual([]);
    expect((await runGt(['rig', 'list'], { cwd: root })).stdout).toMatch(/^api\s+main\s+prefix api-x/m);

    const show = await runGt(['rig', 'show', 'web', '--json'], { cwd: root });
    expect(show.code, show.stderr).toBe(0);
    expect(show.json()).toMatchObject({
      rig: { name: 'web' },
      head: upstream.head,
      polecat_worktrees: 0,
      paths: { dir: added.dir, mirror, refinery: path.join(added.dir, 'refinery', 'rig') },
    });
    const showHuman = await runGt(['rig', 'show', 'web'], { cwd: path.join(root, 'rigs') });
    expect(showHuman.stdout).toContain(`branch        main at ${upstream.head}`);
    expect(showHuman.stdout).toContain('lint: echo lint ok');
  });

  it('refuses a second rig of the same name', async () => {
    const again = await runGt(['rig', 'add', 'web', upstream.dir, '--json'], { cwd: root });
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr)).toMatchObject({ code: 'rig.exists' });
  });

  it('refuses a url that is not a git repository, leaving rigs/ unchanged', async () => {
    const rigs = townPaths(root).rigs;
    const before = fs.readdirSync(rigs).sort();
    const empty = tempDir();
    const r1 = await runGt(['rig', 'add', 'empty', empty], { cwd: root });
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(
      `Error: ${empty} is not a git repository (tried \`git ls-remote --symref ${empty}\``,
    );
    const r2 = await runGt(['rig', 'add', 'missing', path.join(empty, 'nope'), '--json'], { cwd: root });
    expect(r2.code).toBe(1);
    expect(JSON.parse(r2.stderr)).toMatchObject({ code: 'rig.not_a_git_repo' });
    expect(fs.readdirSync(rigs).sort()).toEqual(before);
  });

  it('refuses bad names and options', async () => {
    const bad = await runGt(['rig', 'add', 'Bad_Name', upstream.dir, '--json'], { cwd: root });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({ code: 'rig.bad_name' });
    const town = await runGt(['rig', 'add', 'alpha', upstream.dir, '--json'], { cwd: root });
    expect(JSON.parse(town.stderr)).toMatchObject({ code: 'rig.bad_prefix' });
    const max = await runGt(['rig', 'add', 'x', upstream.dir, '--max-polecats', 'many'], { cwd: root });
    expect(max.code).toBe(2);
    expect(max.stderr).toContain('--max-polecats must be a whole number');
    const gate = await runGt(['rig', 'add', 'x', upstream.dir, '--gate', 'test='], { cwd: root });
    expect(gate.code).toBe(2);
    const missing = await runGt(['rig', 'add', 'x'], { cwd: root });
    expect(missing.code).toBe(2);
    const show = await runGt(['rig', 'show', 'nope', '--json'], { cwd: root });
    expect(show.code).toBe(1);
    expect(JSON.parse(show.stderr)).toMatchObject({ code: 'rig.not_found' });
    const outside = await runGt(['rig', 'list'], { cwd: tempDir() });
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('no town here');
  });

  it('remove refuses while a bead is hooked to the rig, and works once nothing is', async () => {
    const upstreamBefore = await repoState(upstream.dir);
    const store = SqliteBeadStore.open(townPaths(root).dbPath);
    const bead = store.create(
      { title: 'fix it', status: 'hooked', assignee: 'alpha/web/polecats/x' },
      'test',
    );
    store.close();

    const refused = await runGt(['rig', 'remove', 'web', '--json'], { cwd: root });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr)).toMatchObject({ code: 'rig.has_hooked_work' });
    expect(refused.stderr).toContain(bead.id);
    expect(fs.existsSync(path.join(root, 'rigs', 'web', 'rig.json'))).toBe(true);

    const reopened = SqliteBeadStore.open(townPaths(root).dbPath);
    reopened.close(bead.id, { reason: 'done' }, 'test');
    reopened.close();
    const removed = await runGt(['rig', 'remove', 'web'], { cwd: root });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('Removed rig web');
    expect(fs.existsSync(path.join(root, 'rigs', 'web'))).toBe(false);
    expect(await repoState(upstream.dir)).toBe(upstreamBefore);
    const list = await runGt(['rig', 'list', '--json'], { cwd: root });
    expect(list.json<{ rigs: RigJson[] }>().rigs.map((r) => r.name)).toEqual(['api']);
  });
});
