import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addRig } from '../../../actors/rig/rig-add.js';
import { rigPaths } from '../../../actors/rig/rig-config.js';
import { hookedWorkOfRig, listRigs, removeRig, showRig } from '../../../actors/rig/rig-registry.js';
import { townPaths } from '../../../actors/town/town-config.js';
import { SqliteBeadStore } from '../../../beads/store.js';
import { cleanupTemp, makeUpstream, newTown, rejection, repoState, sh, tempDir } from './rig-fixtures.js';

afterAll(cleanupTemp);

const noWork = { hookedWork: () => [] };

describe('listRigs', () => {
  it('reports a broken rig.json with its path instead of failing', async () => {
    const town = await newTown('beta');
    const upstream = await makeUpstream(tempDir());
    await addRig(town, { name: 'good', url: upstream.dir });
    fs.mkdirSync(path.join(townPaths(town).rigs, 'bad'));
    fs.writeFileSync(rigPaths(town, 'bad').config, '{"version": 1, "name": "bad"}');
    fs.mkdirSync(path.join(townPaths(town).rigs, 'half-added'));
    const list = listRigs(town);
    expect(list.rigs.map((r) => r.name)).toEqual(['good']);
    expect(list.broken).toEqual([
      {
        name: 'bad',
        file: rigPaths(town, 'bad').config,
        code: 'rig.bad_config',
        message: expect.stringContaining('field "url"'),
      },
    ]);
    expect((await rejection(showRig(town, 'bad'))).code).toBe('rig.bad_config');
    expect((await rejection(showRig(town, 'nope'))).code).toBe('rig.not_found');
    await removeRig(town, 'bad', noWork);
    expect(fs.existsSync(rigPaths(town, 'bad').dir)).toBe(false);
    expect((await rejection(removeRig(town, 'half-added', noWork))).code).toBe('rig.not_found');
  });
});

describe('removeRig and hookedWorkOfRig', () => {
  it('refuses while work is hooked, then removes worktrees and the directory, never the upstream', async () => {
    const town = await newTown('gamma');
    const upstream = await makeUpstream(tempDir());
    const p = (await addRig(town, { name: 'web', url: upstream.dir })).paths;
    await addRig(town, { name: 'webx', url: upstream.dir });
    const nux = path.join(p.polecats, 'nux');
    await sh(p.mirror, 'worktree', 'add', '-q', '-b', 'polecat/nux', nux, 'origin/main');
    const outside = path.join(tempDir(), 'crew-elsewhere');
    await sh(p.mirror, 'worktree', 'add', '-q', '--detach', outside, 'origin/main');
    await sh(p.mirror, 'worktree', 'lock', outside);
    const upstreamBefore = await repoState(upstream.dir);

    const dbPath = townPaths(town).dbPath;
    const store = SqliteBeadStore.open(dbPath);
    const hooked = store.create(
      { title: 'hooked', status: 'hooked', assignee: 'gamma/web/polecats/nux' },
      't',
    );
    const working = store.create(
      { title: 'working', status: 'in_progress', assignee: 'gamma/web/crew/max' },
      't',
    );
    store.create({ title: 'other rig', status: 'hooked', assignee: 'gamma/webx/polecats/nux' }, 't');
    store.create({ title: 'open, not hooked', assignee: 'gamma/web/polecats/nux' }, 't');
    const mr = store.create({ title: 'mr', issue_type: 'merge-request', metadata: { rig: 'web' } }, 't');
    const merged = store.create(
      { title: 'merged', issue_type: 'merge-request', metadata: { rig: 'web' } },
      't',
    );
    store.close(merged.id, { reason: 'merged' }, 't');
    store.close();

    const ids = hookedWorkOfRig(dbPath, 'gamma', 'web');
    expect(ids).toEqual([hooked.id, working.id, mr.id].sort());
    const e = await rejection(
      removeRig(town, 'web', { hookedWork: (rig) => hookedWorkOfRig(dbPath, 'gamma', rig) }),
    );
    expect(e.code).toBe('rig.has_hooked_work');
    for (const id of ids) expect(e.message).toContain(id);
    expect(fs.existsSync(nux)).toBe(true);

    const removed = await removeRig(town, 'web', noWork);
    expect(removed.worktrees.sort()).toEqual([p.refinery, nux, outside].sort());
    expect(fs.existsSync(p.dir)).toBe(false);
    expect(fs.existsSync(outside)).toBe(false);
    expect(await repoState(upstream.dir)).toBe(upstreamBefore);
    expect(listRigs(town).rigs.map((r) => r.name)).toEqual(['webx']);
    expect((await showRig(town, 'webx')).head).toBe(upstream.head);
    expect((await rejection(removeRig(town, 'web', noWork))).code).toBe('rig.not_found');
  });
});
