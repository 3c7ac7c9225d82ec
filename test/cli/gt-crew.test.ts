import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmuxSocket } from '../../actors/runtime/tmux.js';
import { cleanupTemp, makeUpstream, sh, tempDir } from '../actors/rig/rig-fixtures.js';
import {
  killTmuxServer,
  panePid,
  screen,
  serveSessions,
  standInAgent,
} from '../actors/session/session-fixtures.js';
import type { ServedTown } from '../actors/session/session-fixtures.js';
import { runGt, waitFor } from '../harness/town.js';

const town = `cc${process.pid}`;
let root: string;
let upstream: { dir: string; head: string };
let served: ServedTown | undefined;

beforeAll(async () => {
  root = path.join(tempDir('gt-town-'), town);
  const install = await runGt(['install', root]);
  expect(install.code, install.stderr).toBe(0);
  standInAgent(root);
  upstream = await makeUpstream(tempDir());
  const rig = await runGt(['--town', root, 'rig', 'add', 'web', upstream.dir]);
  expect(rig.code, rig.stderr).toBe(0);
});

afterAll(async () => {
  await served?.stop();
  await killTmuxServer(town);
  cleanupTemp();
});

interface Row {
  name: string;
  rig: string;
  address: string;
  dir: string;
  branch: string | null;
  session: boolean;
  keeper: string | null;
}

describe('gt crew', () => {
  it('add clones the upstream with the town down; list shows it', async () => {
    const add = await runGt(['--town', root, '--json', 'crew', 'add', 'max', '--rig', 'web']);
    expect(add.code, add.stderr).toBe(0);
    const dir = path.join(root, 'rigs', 'web', 'crew', 'max');
    expect(add.json()).toMatchObject({
      name: 'max',
      rig: 'web',
      address: `${town}/web/crew/max`,
      dir,
      branch: 'main',
    });
    expect(await sh(dir, 'rev-parse', 'HEAD')).toBe(upstream.head);
    const list = await runGt(['--town', root, '--json', 'crew', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json<Row[]>()).toEqual([
      {
        name: 'max',
        rig: 'web',
        address: `${town}/web/crew/max`,
        dir,
        branch: 'main',
        session: false,
        keeper: null,
      },
    ]);
    const human = await runGt(['--town', root, 'crew', 'list']);
    expect(human.stdout).toContain(`${town}/web/crew/max  stopped  main  ${dir}`);
  });

  it('refuses an existing name, an unknown rig and a bad name', async () => {
    const cases: Array<[string[], string]> = [
      [['max', '--rig', 'web'], 'crew.exists'],
      [['amy', '--rig', 'nope'], 'rig.not_found'],
      [['Not/Ok', '--rig', 'web'], 'crew.bad_name'],
    ];
    for (const [args, code] of cases) {
      const r = await runGt(['--town', root, '--json', 'crew', 'add', ...args]);
      expect(r.code, r.stderr).toBe(1);
      expect(JSON.parse(r.stderr)).toMatchObject({ code });
    }
    expect(fs.readdirSync(path.join(root, 'rigs', 'web', 'crew'))).toEqual(['max']);
    const unknown = await runGt(['--town', root, '--json', 'crew', 'attach', 'nobody']);
    expect(JSON.parse(unknown.stderr)).toMatchObject({ code: 'crew.not_found' });
  });

  it('attach prints the tmux command when stdout is not a terminal', async () => {
    const r = await runGt(['--town', root, 'crew', 'attach', 'max']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`tmux -L ${tmuxSocket(town)} attach -t web-crew-max`);
  });

  it('start needs the running town', async () => {
    const r = await runGt(['--town', root, '--json', 'crew', 'start', 'max']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 'bus.town_not_running' });
  });

  it('start runs the session in the clone; list shows it running; stop ends it', async () => {
    served = await serveSessions(root);
    const start = await runGt(['--town', root, '--json', 'crew', 'start', 'max', '--agent', 'stand']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.json()).toMatchObject({
      agent: `${town}/web/crew/max`,
      running: true,
      session: 'web-crew-max',
    });
    const dir = path.join(root, 'rigs', 'web', 'crew', 'max');
    await waitFor('the crew prompt', async () =>
      (await screen(town, 'web-crew-max')).includes(
        `role=crew addr=${town}/web/crew/max actor=${town}/web/crew/max cwd=${dir}`,
      ),
    );
    const list = await runGt(['--town', root, '--json', 'crew', 'list', '--rig', 'web']);
    expect(list.json<Row[]>()[0]).toMatchObject({ name: 'max', session: true });
    const stop = await runGt(['--town', root, 'crew', 'stop', 'max', '--rig', 'web']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await panePid(town, 'web-crew-max')).toBeNull();
  });
});
