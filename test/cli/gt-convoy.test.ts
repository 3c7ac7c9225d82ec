import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { connectToTown } from '../../actors/daemon/town-client.js';
import { readTownConfig, townPaths } from '../../actors/town/town-config.js';
import { convoyDetail, convoyLine, progressBar } from '../../cli/gt/commands/convoy.js';
import { decode } from '../../bus/envelope.js';
import type { AnyEnvelope } from '../../bus/envelope.js';
import { runBd } from '../harness/bd.js';
import { GT_BIN, runGt, townFixtures, waitFor } from '../harness/town.js';

const fx = townFixtures();

interface Progress {
  id: string;
  title: string;
  status: string;
  owned: boolean;
  total: number;
  closed: number;
  in_progress: number;
  open: number;
  beads: Array<{ id: string; status: string; assignee: string | null; close_reason: string | null }>;
}

async function install(): Promise<string> {
  const root = path.join(fx.dir(), 'alpha');
  const r = await runGt(['install', root]);
  expect(r.code, r.stderr).toBe(0);
  return root;
}

async function bead(root: string, title: string): Promise<string> {
  const r = await runBd(['q', title], { cwd: townPaths(root).beadsRepo });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

function errorCode(stderr: string): string {
  return (JSON.parse(stderr) as { code: string }).code;
}

describe('gt convoy', () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const root of roots) await runGt(['down', '--grace', '2000'], { cwd: root });
    await fx.cleanup();
  });

  it('draws a progress bar per convoy on a terminal, plain text otherwise', () => {
    const p = {
      id: 'alpha-cv-3ab',
      title: 'Login flow',
      status: 'open',
      owned: false,
      total: 12,
      closed: 8,
      in_progress: 3,
      open: 1,
      beads: [],
    };
    expect(progressBar(p)).toBe('[████████░░░░]');
    expect(progressBar({ closed: 0, total: 0 })).toBe('[░░░░░░░░░░░░]');
    expect(convoyLine(p, true)).toBe('[████████░░░░] 8/12 closed  Login flow  alpha-cv-3ab');
    expect(convoyLine(p, false)).toBe('alpha-cv-3ab open 8/12 closed, 3 in progress, 1 open  Login flow');
    expect(convoyLine({ ...p, status: 'closed', closed: 12, owned: true }, true)).toBe(
      '[████████████] 12/12 closed  Login flow  alpha-cv-3ab  landed  (owned)',
    );
    const bead = {
      id: 'alpha-a1',
      title: 'Form',
      status: 'hooked',
      assignee: 'alpha/web/polecats/nux',
      close_reason: null,
    };
    expect(convoyDetail({ ...p, beads: [bead] }, true)[1]).toBe(
      '  ▶ alpha-a1 hooked  Form  @alpha/web/polecats/nux',
    );
  });

  it('works with the town down: create, show, add, list, land, and refuses bad input', async () => {
    const root = await install();
    const gt = (args: string[]) => runGt(args, { cwd: root });
    const [a, b, c] = [
      await bead(root, 'Login form'),
      await bead(root, 'Login API'),
      await bead(root, 'Docs'),
    ];

    const created = await gt(['convoy', 'create', 'Login flow', a, b, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const cv = created.json<{ id: string; issue_type: string; labels?: string[] }>();
    expect(cv.issue_type).toBe('convoy');
    expect(cv.labels).toBeUndefined();

    const shown = await gt(['convoy', 'show', cv.id, '--json']);
    expect(shown.json<Progress>()).toMatchObject({ id: cv.id, title: 'Login flow', total: 2, closed: 0 });
    const ready = await runBd(['ready', '--json'], { cwd: townPaths(root).beadsRepo });
    expect(ready.json<Array<{ id: string }>>().map((x) => x.id)).toEqual(expect.arrayContaining([a, b]));

    const added = await gt(['convoy', 'add', cv.id, c, '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.json<Progress>().total).toBe(3);
    const human = await gt(['convoy', 'show', cv.id]);
    expect(human.stdout).toContain(`${cv.id} open 0/3 closed, 0 in progress, 3 open  Login flow`);
    expect(human.stdout).toContain(`  ${a} open  Login form`);

    const unknownBead = await gt(['convoy', 'add', cv.id, 'alpha-nope', '--json']);
    expect(unknownBead.code).toBe(1);
    expect(errorCode(unknownBead.stderr)).toBe('bead.not_found');
    const unknownConvoy = await gt(['convoy', 'show', 'alpha-cv-nope']);
    expect(unknownConvoy.code).toBe(1);
    expect(unknownConvoy.stderr).toContain('no convoy with id "alpha-cv-nope"');
    const nested = await gt(['convoy', 'create', 'Nested', cv.id, '--json']);
    expect(nested.code).toBe(1);
    expect(errorCode(nested.stderr)).toBe('convoy.nested');
    const early = await gt(['convoy', 'land', cv.id]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(`convoy ${cv.id} cannot land: 3 of 3 tracked beads are not closed`);
    expect((await gt(['convoy', 'show', cv.id, '--json'])).json<Progress>()).toMatchObject({
      status: 'open',
      total: 3,
    });
    expect((await gt(['convoy', 'add', cv.id])).code).toBe(2);

    const close = await runBd(['close', a, b, c], { cwd: townPaths(root).beadsRepo });
    expect(close.code, close.stderr).toBe(0);
    const landed = await gt(['convoy', 'land', cv.id, '--json']);
    expect(landed.code, landed.stderr).toBe(0);
    expect(landed.json<Progress>()).toMatchObject({ status: 'closed', total: 3, closed: 3 });
    expect((await gt(['convoy', 'list', '--json'])).json<Progress[]>()).toEqual([]);
    const all = await gt(['convoy', 'list', '--all']);
    expect(all.stdout).toContain(`${cv.id} landed 3/3 closed`);
    const late = await gt(['convoy', 'add', cv.id, a, '--json']);
    expect(late.code).toBe(1);
    expect(errorCode(late.stderr)).toBe('convoy.closed');
    const log = await execa('git', ['log', '--oneline'], { cwd: townPaths(root).beadsRepo });
    expect(log.stdout).toContain('gt: convoy changes');
  });

  it('with the town up: bd close of the last tracked bead lands the convoy and publishes convoy.landed', async () => {
    const root = await install();
    roots.push(root);
    const up = await runGt(['up', '--json'], { cwd: root });
    expect(up.code, up.stderr).toBe(0);
    fx.track(up.json<{ pid: number }>().pid);
    const status = await runGt(['status', '--json'], { cwd: root });
    fx.track(status.json<{ nats_pid: number }>().nats_pid);

    const bus = await connectToTown(readTownConfig(root), 'gt-test');
    const landedEvents: Array<{ subject: string; envelope: AnyEnvelope }> = [];
    bus.nats.subscribe('gt.alpha.evt.convoy.>', {
      callback: (_err, msg) => {
        const d = decode(msg.data);
        if (d.ok) landedEvents.push({ subject: msg.subject, envelope: d.envelope });
      },
    });
    await bus.flush();
    try {
      const [a, b] = [await bead(root, 'Login form'), await bead(root, 'Login API')];
      const created = await runGt(['convoy', 'create', 'Login flow', a, b, '--json'], { cwd: root });
      expect(created.code, created.stderr).toBe(0);
      const cv = created.json<{ id: string }>().id;
      const owned = await runGt(['convoy', 'create', 'Manual', a, '--owned', '--json'], { cwd: root });
      expect(owned.code, owned.stderr).toBe(0);
      const ownedId = owned.json<{ id: string; labels: string[] }>().id;
      expect(owned.json<{ labels: string[] }>().labels).toEqual(['gt:owned']);
      const addedToOwned = await runGt(['convoy', 'add', ownedId, b, '--json'], { cwd: root });
      expect(addedToOwned.code, addedToOwned.stderr).toBe(0);
      expect(addedToOwned.json<Progress>()).toMatchObject({ id: ownedId, total: 2, owned: true });

      const watcher = execa(process.execPath, [GT_BIN, 'convoy', 'show', cv, '--watch'], {
        cwd: root,
        reject: false,
        stdin: 'ignore',
        timeout: 30_000,
      });
      fx.track(watcher.pid);
      let watched = '';
      watcher.stdout.on('data', (d: Buffer) => (watched += d.toString()));
      await waitFor('the watch to draw', () => watched.includes('0/2 closed'));

      const first = await runBd(['close', a, '-r', 'Merged in alpha-mr1'], {
        cwd: townPaths(root).beadsRepo,
      });
      expect(first.code, first.stderr).toBe(0);
      await waitFor('the watch to see 1/2', () => watched.includes('1/2 closed'));
      const early = await runGt(['convoy', 'land', cv, '--json'], { cwd: root });
      expect(early.code).toBe(1);
      expect(errorCode(early.stderr)).toBe('convoy.not_done');
      expect(landedEvents).toEqual([]);

      const second = await runBd(['close', b], { cwd: townPaths(root).beadsRepo });
      expect(second.code, second.stderr).toBe(0);
      const event = await waitFor('convoy.landed', () =>
        landedEvents.find((e) => e.envelope.type === 'convoy.landed'),
      );
      expect(event.subject).toBe('gt.alpha.evt.convoy.landed');
      expect(event.envelope.body).toEqual({ convoy: cv, title: 'Login flow', beads: [a, b].sort() });
      const shown = await runGt(['convoy', 'show', cv, '--json'], { cwd: root });
      expect(shown.json<Progress>()).toMatchObject({ status: 'closed', total: 2, closed: 2 });
      const done = await watcher;
      expect(done.exitCode).toBe(0);
      expect(watched).toContain(`${cv} landed 2/2 closed`);
      expect(watched.trim().split('\n')).toHaveLength(3);

      // The owned convoy waits for its owner.
      const ownedNow = await runGt(['convoy', 'show', ownedId, '--json'], { cwd: root });
      expect(ownedNow.json<Progress>()).toMatchObject({ status: 'open', owned: true, closed: 2 });
      const byOwner = await runGt(['convoy', 'land', ownedId, '--json'], { cwd: root });
      expect(byOwner.code, byOwner.stderr).toBe(0);
      expect(byOwner.json<Progress>().status).toBe('closed');
      await waitFor('the owned convoy.landed', () =>
        landedEvents.find((e) => e.envelope.type === 'convoy.landed' && e.envelope.body.convoy === ownedId),
      );
      // `bd update --status closed` closes too: its convoys land the same way.
      const c = await bead(root, 'Docs');
      const third = await runGt(['convoy', 'create', 'Docs', c, '--json'], { cwd: root });
      const thirdId = third.json<{ id: string }>().id;
      const updated = await runBd(['update', c, '--status', 'closed'], { cwd: townPaths(root).beadsRepo });
      expect(updated.code, updated.stderr).toBe(0);
      await waitFor('the third convoy.landed', () =>
        landedEvents.find((e) => e.envelope.type === 'convoy.landed' && e.envelope.body.convoy === thirdId),
      );
      const list = await runGt(['convoy', 'list', '--all', '--json'], { cwd: root });
      expect(
        list
          .json<Progress[]>()
          .map((p) => p.id)
          .sort(),
      ).toEqual([cv, ownedId, thirdId].sort());
      const unknown = await runGt(['convoy', 'add', cv, 'alpha-nope', '--json'], { cwd: root });
      expect(unknown.code).toBe(1);
      expect(errorCode(unknown.stderr)).toBe('convoy.closed');
      const unknownBead = await runGt(['convoy', 'create', 'Bad', 'alpha-nope', '--json'], { cwd: root });
      expect(unknownBead.code).toBe(1);
      expect(errorCode(unknownBead.stderr)).toBe('bead.not_found');
    } finally {
      await bus.close(500);
    }
  });
});
