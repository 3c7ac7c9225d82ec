import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmuxSocket } from '../../actors/runtime/tmux.js';
import { cleanupTemp, tempDir } from '../actors/rig/rig-fixtures.js';
import {
  killTmuxServer,
  panePid,
  screen,
  serveSessions,
  standInAgent,
} from '../actors/session/session-fixtures.js';
import type { ServedTown } from '../actors/session/session-fixtures.js';
import { runGt, waitFor } from '../harness/town.js';

const town = `cm${process.pid}`;
let root: string;
let served: ServedTown | undefined;

beforeAll(async () => {
  root = path.join(tempDir('gt-town-'), town);
  const install = await runGt(['install', root]);
  expect(install.code, install.stderr).toBe(0);
  standInAgent(root);
});

afterAll(async () => {
  await served?.stop();
  await killTmuxServer(town);
  cleanupTemp();
});

describe('gt mayor', () => {
  it('start and stop need the running town', async () => {
    for (const verb of ['start', 'stop']) {
      const r = await runGt(['--town', root, '--json', 'mayor', verb]);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stderr)).toMatchObject({ code: 'bus.town_not_running' });
      expect(r.stderr).toContain(`town ${town} is not running: start it with \`gt up\``);
    }
  });

  it('attach prints the tmux command when stdout is not a terminal', async () => {
    const r = await runGt(['--town', root, 'mayor', 'attach']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`tmux -L ${tmuxSocket(town)} attach -t mayor`);
  });

  it('start runs the mayor session through the keeper; stop ends it', async () => {
    served = await serveSessions(root);
    const start = await runGt(['--town', root, '--json', 'mayor', 'start', '--agent', 'stand']);
    expect(start.code, start.stderr).toBe(0);
    const r = start.json<{ agent: string; running: boolean; pid: number; preset: string }>();
    expect(r).toMatchObject({ agent: `${town}/mayor`, running: true, preset: 'stand' });
    expect(await panePid(town, 'mayor')).toBe(r.pid);
    await waitFor('the mayor prompt', async () =>
      (await screen(town, 'mayor')).includes(`role=mayor addr=${town}/mayor`),
    );

    const human = await runGt(['--town', root, 'mayor', 'start']);
    expect(human.stdout).toContain(`Started ${town}/mayor in tmux session mayor (pid ${r.pid})`);
    expect(human.stdout).toContain(`Attach with: tmux -L ${tmuxSocket(town)} attach -t mayor`);

    const stop = await runGt(['--town', root, 'mayor', 'stop']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`Stopped ${town}/mayor`);
    expect(await panePid(town, 'mayor')).toBeNull();
  });

  it('an unknown preset is refused', async () => {
    const r = await runGt(['--town', root, '--json', 'mayor', 'start', '--agent', 'nope']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 'agent.unknown' });
  });
});
