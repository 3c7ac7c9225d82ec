import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRig } from '../../../actors/rig/rig-add.js';
import { addCrew, crewRig, listCrew } from '../../../actors/session/crew.js';
import { SessionError } from '../../../actors/session/session-errors.js';
import { cleanupTemp, makeUpstream, newTown, sh, tempDir } from '../rig/rig-fixtures.js';

afterAll(cleanupTemp);

async function failure(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string }> {
  const e = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => new Error('expected a failure'),
    (err: unknown) => err,
  );
  expect((e as { code?: unknown }).code).toBeTypeOf('string');
  return e as { code: string; message: string };
}

describe('crew workspaces', () => {
  let root: string;
  let upstream: { dir: string; head: string };
  beforeAll(async () => {
    root = await newTown('alpha');
    upstream = await makeUpstream(tempDir(), { branch: 'trunk' });
    await addRig(root, { name: 'web', url: upstream.dir });
  });

  it('adds a full clone of the upstream on the default branch', async () => {
    const m = await addCrew(root, { name: 'max', rig: 'web' });
    expect(m).toEqual({
      name: 'max',
      rig: 'web',
      address: 'alpha/web/crew/max',
      dir: path.join(root, 'rigs', 'web', 'crew', 'max'),
      branch: 'trunk',
    });
    expect(await sh(m.dir, 'rev-parse', 'HEAD')).toBe(upstream.head);
    expect(await sh(m.dir, 'symbolic-ref', '--short', 'HEAD')).toBe('trunk');
    expect(await sh(m.dir, 'remote', 'get-url', 'origin')).toBe(upstream.dir);
    expect(fs.existsSync(path.join(m.dir, '.git', 'shallow'))).toBe(false);
    expect(await listCrew(root)).toEqual([m]);
    expect(crewRig(root, 'max')).toBe('web');
  });

  it('refuses an existing name, an unknown rig and a bad name', async () => {
    const exists = await failure(addCrew(root, { name: 'max', rig: 'web' }));
    expect(exists.code).toBe('crew.exists');
    expect((await failure(addCrew(root, { name: 'amy', rig: 'nope' }))).code).toBe('rig.not_found');
    const bad = await failure(addCrew(root, { name: 'Bad Name', rig: 'web' }));
    expect(bad).toBeInstanceOf(SessionError);
    expect(bad.code).toBe('crew.bad_name');
    expect((await failure(() => crewRig(root, 'nobody'))).code).toBe('crew.not_found');
    expect(fs.readdirSync(path.join(root, 'rigs', 'web', 'crew'))).toEqual(['max']);
  });
});
