import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAgent } from '../../../actors/runtime/agent-config.js';
import { TmuxRuntime, tmuxSocket } from '../../../actors/runtime/tmux.js';
import { requestSessionStart, requestSessionStop } from '../../../actors/session/session-client.js';
import { startSessionKeepers } from '../../../actors/session/session-keeper.js';
import type { SessionKeepers } from '../../../actors/session/session-keeper.js';
import { installTown } from '../../../actors/town/install.js';
import { readTownConfig, townPaths, writeTownConfig } from '../../../actors/town/town-config.js';
import type { TownPaths } from '../../../actors/town/town-config.js';
import { SqliteBeadStore } from '../../../beads/store.js';
import { connectBus } from '../../../bus/connection.js';
import type { BusConnection } from '../../../bus/connection.js';
import { createEnvelope } from '../../../bus/envelope.js';
import { RemoteError } from '../../../bus/errors.js';
import { evt, mail, nudge } from '../../../bus/subjects.js';
import { startTestNats } from '../../harness/nats-server.js';
import type { TestNats } from '../../harness/nats-server.js';
import { alive, waitFor } from '../../harness/town.js';
import {
  killTmuxServer,
  panePid as panePidOf,
  screen as screenOf,
  standInAgent,
} from './session-fixtures.js';

const town = `sk${process.pid}`;
const socket = tmuxSocket(town);
const tmux = new TmuxRuntime({ town });

let dir: string;
let paths: TownPaths;
let nats: TestNats;
let bus: BusConnection;
let store: SqliteBeadStore;
let keepers: SessionKeepers | undefined;
const log = pino({ level: 'silent' });

function keep(): SessionKeepers {
  keepers = startSessionKeepers({
    town,
    paths,
    config: readTownConfig(paths.root),
    bus,
    store,
    log,
    checkMs: 100,
    backoff: { baseMs: 200 },
  });
  return keepers;
}

const panePid = (name: string) => panePidOf(town, name);
const screen = (name: string) => screenOf(town, name);

async function rejection(p: Promise<unknown>): Promise<RemoteError> {
  const e = await p.then(
    () => new Error('expected a rejection'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RemoteError);
  return e as RemoteError;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-session-'));
  const root = path.join(dir, town);
  await installTown(root);
  paths = townPaths(root);
  standInAgent(root);
  const config = readTownConfig(root);
  writeTownConfig(root, { ...config, default_agent: 'stand' });
  nats = await startTestNats({ jetstream: false });
  bus = await connectBus({ servers: nats.url, name: 'session-test' });
  store = SqliteBeadStore.open(paths.dbPath);
});

afterAll(async () => {
  await keepers?.stop(1_000);
  await killTmuxServer(town);
  await bus.close(500);
  await nats.stop();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('session keepers', () => {
  it('starts the mayor in tmux on the town socket, in <town>/mayor with its identity', async () => {
    keep();
    const r = await requestSessionStart(bus, town, 'mayor');
    expect(r).toMatchObject({ agent: `${town}/mayor`, running: true, session: 'mayor', preset: null });
    expect(r.attach).toEqual({ command: 'tmux', args: ['-L', socket, 'attach', '-t', 'mayor'] });
    expect(r.pid).toBe(await panePid('mayor'));
    const text = await waitFor('the mayor prompt', async () => {
      const s = await screen('mayor');
      return s.includes('❯') && s;
    });
    expect(text).toContain(
      `role=mayor addr=${town}/mayor actor=${town}/mayor cwd=${path.join(paths.root, 'mayor')}`,
    );
    expect(
      fs.readdirSync(path.join(paths.runtime, 'sessions', 'mayor')).some((f) => f.endsWith('.log')),
    ).toBe(true);
    // Starting again adopts the running session.
    const again = await requestSessionStart(bus, town, 'mayor');
    expect(again.pid).toBe(r.pid);
  });

  it('restarts a session whose process was killed', async () => {
    const before = await panePid('mayor');
    expect(before).not.toBeNull();
    process.kill(before ?? 0, 'SIGKILL');
    const after = await waitFor('a new mayor process', async () => {
      const pid = await panePid('mayor');
      return pid !== null && pid !== before && alive(pid) && pid;
    });
    expect(after).not.toBe(before);
    await waitFor('the restarted prompt', async () => (await screen('mayor')).includes('role=mayor'));
    expect(keepers?.status()).toContainEqual(
      expect.objectContaining({ address: `${town}/mayor/session`, role: 'session', state: 'running' }),
    );
  });

  it('nudges the mayor when a convoy lands, a merge lands, or mail or a nudge arrives', async () => {
    bus.publish(
      evt(town, 'convoy', 'landed'),
      createEnvelope('convoy.landed', {
        from: `${town}/deacon`,
        to: town,
        body: { convoy: 'hq-cv1', title: 'Auth rework', beads: ['a-1', 'a-2'] },
      }),
    );
    await waitFor('the convoy notification', async () =>
      (await screen('mayor')).includes('got: 🚚 Convoy landed: Auth rework (2 beads)'),
    );
    bus.publish(
      evt(town, 'mr', 'merged'),
      createEnvelope('mr.merged', {
        from: `${town}/web/refinery`,
        to: town,
        body: { mr: 'w-mr1', bead: 'w-7', rig: 'web', sha: 'abc123' },
      }),
    );
    bus.publish(
      mail(town, ['mayor']),
      createEnvelope('mail.delivered', {
        from: `${town}/store`,
        to: `${town}/mayor`,
        body: { id: 'hq-m1', from: `${town}/overseer`, to: `${town}/mayor`, subject: 'hello', priority: 2 },
      }),
    );
    bus.publish(
      evt(town, 'bead', 'slung'),
      createEnvelope('bead.slung', {
        from: `${town}/deacon`,
        to: town,
        body: { bead: 'hq-9', target: 'mayor', agent: `${town}/mayor`, convoy: null },
      }),
    );
    bus.publish(
      nudge(town, 'mayor'),
      createEnvelope('nudge', { from: `${town}/overseer`, to: `${town}/mayor`, body: { text: 'wake up' } }),
    );
    await waitFor('the other notifications', async () => {
      const s = await screen('mayor');
      return (
        s.includes('got: Merged w-7 (w-mr1)') &&
        s.includes(`got: 📬 mail from ${town}/overseer: hello`) &&
        s.includes('got: 🪝 Work on your hook: hq-9 (gt hook shows it, gt prime gives the checklist)') &&
        s.includes('got: wake up')
      );
    });
  });

  it('adopts a live session after a restart of the keepers, and restarts a dead one', async () => {
    const pid = await panePid('mayor');
    await keepers?.stop(1_000);
    keep();
    await waitFor('the mayor to be adopted', () =>
      keepers?.status().some((s) => s.address === `${town}/mayor/session` && s.last_heartbeat_at !== null),
    );
    expect(await panePid('mayor')).toBe(pid);
    await keepers?.stop(1_000);
    process.kill(pid ?? 0, 'SIGKILL');
    await waitFor('the mayor session to die', async () => (await panePid('mayor')) === null);
    keep();
    await waitFor('the mayor to be restarted', async () => {
      const p = await panePid('mayor');
      return p !== null && p !== pid;
    });
  });

  it('stop ends the session and it stays gone', async () => {
    const r = await requestSessionStop(bus, town, 'mayor');
    expect(r).toMatchObject({ agent: `${town}/mayor`, running: false, pid: null });
    expect(await panePid('mayor')).toBeNull();
    const seen = keepers?.status().find((s) => s.address === `${town}/mayor/session`)?.last_heartbeat_at;
    // Several checks later, still gone.
    const checks = new Set<string>();
    await waitFor('five more checks', () => {
      const at = keepers?.status().find((s) => s.address === `${town}/mayor/session`)?.last_heartbeat_at;
      if (typeof at === 'string' && at !== seen) checks.add(at);
      return checks.size >= 5;
    });
    expect(await panePid('mayor')).toBeNull();
    expect(keepers?.status()).toContainEqual(expect.objectContaining({ state: 'stopped' }));
  });

  it('starts a crew member in its workspace and delivers its mail', async () => {
    const cwd = path.join(paths.rigs, 'web', 'crew', 'max');
    fs.mkdirSync(cwd, { recursive: true });
    const r = await requestSessionStart(bus, town, 'web/crew/max', 'stand');
    expect(r).toMatchObject({
      agent: `${town}/web/crew/max`,
      running: true,
      session: 'web-crew-max',
      preset: 'stand',
    });
    await waitFor('the crew prompt', async () =>
      (await screen('web-crew-max')).includes(`role=crew addr=${town}/web/crew/max`),
    );
    bus.publish(
      mail(town, ['web', 'crew', 'max']),
      createEnvelope('mail.delivered', {
        from: `${town}/store`,
        to: `${town}/web/crew/max`,
        body: {
          id: 'hq-m2',
          from: `${town}/mayor`,
          to: `${town}/web/crew/max`,
          subject: 'review',
          priority: 2,
        },
      }),
    );
    await waitFor('the crew mail notification', async () =>
      (await screen('web-crew-max')).includes(`got: 📬 mail from ${town}/mayor: review`),
    );
    await requestSessionStop(bus, town, 'web/crew/max');
    expect(
      await tmux.isAlive({ kind: 'tmux', name: 'web-crew-max', pid: r.pid, logFile: '', startedAt: '' }),
    ).toBe(false);
  });

  it('refuses agents without a session, missing crew and unknown presets', async () => {
    expect((await rejection(requestSessionStart(bus, town, 'web/witness'))).code).toBe('session.bad_agent');
    expect((await rejection(requestSessionStart(bus, town, 'web/crew/nobody'))).code).toBe('crew.not_found');
    expect((await rejection(requestSessionStart(bus, town, 'mayor', 'nope'))).code).toBe('agent.unknown');
    setAgent(paths.root, 'ghost', { command: path.join(dir, 'no-such-agent') });
    const ghost = await rejection(requestSessionStart(bus, town, 'mayor', 'ghost'));
    expect(ghost.code).toBe('runtime.start_failed');
    expect(keepers?.status()).toContainEqual(
      expect.objectContaining({ address: `${town}/mayor/session`, state: 'stopped' }),
    );
    expect(await panePid('mayor')).toBeNull();
  });
});
