import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRig } from '../../../actors/polecat/rig-lock.js';
import type { RigPaths } from '../../../actors/rig/rig-config.js';
import { townFixtures } from '../../harness/town.js';
import { git, polecatRig } from './polecat-fixtures.js';

const fx = townFixtures();
let rig: RigPaths;
let upstream: string;

beforeAll(async () => {
  ({ rig, upstream } = await polecatRig(fx.dir(), 'fetch\n'));
});

afterAll(() => fx.cleanup());

/** Pushes one more commit onto upstream's main from a fresh clone; returns its sha. */
async function pushUpstream(name: string): Promise<string> {
  const work = path.join(fx.dir(), `push-${name}`);
  await git(fx.dir(), 'clone', '-q', upstream, work);
  fs.writeFileSync(path.join(work, `${name}.txt`), `${name}\n`);
  await git(work, 'add', '-A');
  await git(work, 'commit', '-qm', name);
  await git(work, 'push', '-q', 'origin', 'main');
  return git(work, 'rev-parse', 'HEAD');
}

describe('fetchRig', () => {
  it('with a max age, trusts a fetch younger than it; without one, always fetches', async () => {
    const tracking = () => git(rig.mirror, 'rev-parse', 'refs/remotes/origin/main');
    await fetchRig(rig);
    const first = await pushUpstream('one');
    await fetchRig(rig, { maxAgeMs: 60_000 });
    expect(await tracking()).not.toBe(first);
    await fetchRig(rig);
    expect(await tracking()).toBe(first);
    const second = await pushUpstream('two');
    await fetchRig(rig, { maxAgeMs: 0 });
    expect(await tracking()).toBe(second);
  });
});
