import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolecatError } from '../../../actors/polecat/polecat-errors.js';
import { prepareSandbox, sandboxStatus } from '../../../actors/polecat/sandbox.js';
import { submitWork } from '../../../actors/polecat/submit.js';
import { readRigConfig } from '../../../actors/rig/rig-config.js';
import type { RigConfig, RigPaths } from '../../../actors/rig/rig-config.js';
import { mergeRequestOf } from '../../../actors/refinery/merge-requests.js';
import { SqliteBeadStore } from '../../../beads/store.js';
import { townFixtures } from '../../harness/town.js';
import { git, polecatRig } from './polecat-fixtures.js';

const fx = townFixtures();
let paths: RigPaths;
let config: RigConfig;
let upstream: string;
let store: SqliteBeadStore;

beforeAll(async () => {
  const dir = fx.dir();
  const made = await polecatRig(dir, 'submit\n');
  upstream = made.upstream;
  paths = made.rig;
  config = readRigConfig(made.root, 'app') as RigConfig;
  store = SqliteBeadStore.create(path.join(dir, 'submit.db'), 'app');
});

afterAll(async () => {
  store.close();
  await fx.cleanup();
});

describe('submitWork (gt done)', () => {
  it('pushes, verifies and files one merge request; run again it changes nothing', async () => {
    const bead = store.create({ title: 'Submit me' }, 'alpha/mayor');
    const branch = `polecat/nux/${bead.id}`;
    const { dir } = await prepareSandbox(paths, { name: 'nux', branch, target: 'main' });
    fs.writeFileSync(path.join(dir, 'work.txt'), 'done\n');
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-qm', 'work');
    const sha = await git(dir, 'rev-parse', 'HEAD');
    expect(await sandboxStatus(dir)).toEqual({ branch, head: sha, dirty: false });

    const input = {
      store,
      rig: config,
      rigPaths: paths,
      name: 'nux',
      address: 'alpha/app/polecats/nux',
      bead: bead.id,
      branch,
      actor: 'alpha/app/polecats/nux',
    };
    const first = await submitWork(input);
    expect(first).toMatchObject({ branch, sha, already: false });
    expect(await git(upstream, 'rev-parse', `refs/heads/${branch}`)).toBe(sha);
    const again = await submitWork(input);
    expect(again).toEqual({ ...first, already: true });
    expect(mergeRequestOf(store, bead.id)?.bead.id).toBe(first.mr);
    expect(store.list({}).filter((b) => b.title.startsWith('Merge:')).length).toBe(1);
  });

  it('refuses a detached HEAD and a dirty tree, naming what to do', async () => {
    const bead = store.create({ title: 'Not yet' }, 'alpha/mayor');
    const branch = `polecat/slit/${bead.id}`;
    const { dir } = await prepareSandbox(paths, { name: 'slit', branch, target: 'main' });
    const input = {
      store,
      rig: config,
      rigPaths: paths,
      name: 'slit',
      address: 'alpha/app/polecats/slit',
      bead: bead.id,
      branch,
      actor: 'alpha/app/polecats/slit',
    };
    await git(dir, 'checkout', '-q', '--detach');
    const detached = await submitWork(input).catch((e: unknown) => e);
    expect(detached).toBeInstanceOf(PolecatError);
    expect((detached as PolecatError).code).toBe('done.wrong_branch');
    expect((detached as PolecatError).message).toContain(`a detached HEAD, not on ${branch}`);
    await git(dir, 'checkout', '-q', branch);
    fs.writeFileSync(path.join(dir, 'loose.txt'), 'uncommitted\n');
    const dirty = await submitWork(input).catch((e: unknown) => e);
    expect((dirty as PolecatError).code).toBe('done.dirty_tree');
    expect((dirty as PolecatError).message).toContain('loose.txt');
    expect(mergeRequestOf(store, bead.id)).toBeNull();
  });
});
