import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemonProcess, stopDaemon } from '../../actors/daemon/daemon-control.js';
import { connectToTown, requestTownStatus } from '../../actors/daemon/town-client.js';
import type { TownStatusReply } from '../../actors/daemon/daemon.js';
import { DirectStoreWriter, daemonWriter } from '../../actors/store/store-client.js';
import { installTown } from '../../actors/town/install.js';
import { readTownConfig, townPaths, writeTownConfig } from '../../actors/town/town-config.js';
import { SqliteBeadStore } from '../../beads/store.js';
import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope, decode } from '../../bus/envelope.js';
import type { AnyEnvelope } from '../../bus/envelope.js';
import { cmd } from '../../bus/subjects.js';
import { runBd } from '../harness/bd.js';
import { alive, DAEMON_ENTRY, townFixtures, waitFor } from '../harness/town.js';

const fx = townFixtures();
afterAll(() => fx.cleanup());

async function up(root: string): Promise<TownStatusReply> {
  const started = await startDaemonProcess(root, { entry: DAEMON_ENTRY });
  fx.track(started.pid);
  const s = await status(root);
  fx.track(s.nats_pid);
  return s;
}

async function status(root: string): Promise<TownStatusReply> {
  const bus = await connectToTown(readTownConfig(root), 'gt-test');
  try {
    return await requestTownStatus(bus, 'alpha', 2_000);
  } finally {
    await bus.close(500);
  }
}

function actorState(s: TownStatusReply, address: string): string | undefined {
  return s.actors.find((a) => a.address === address)?.state;
}

/** Collects envelopes on `pattern` until closed. */
function collect(bus: BusConnection, pattern: string): AnyEnvelope[] {
  const seen: AnyEnvelope[] = [];
  bus.nats.subscribe(pattern, {
    callback: (_err, msg) => {
      const d = decode(msg.data);
      if (d.ok) seen.push(d.envelope);
    },
  });
  return seen;
}

describe('actor host', () => {
  let root: string;
  let bus: BusConnection;
  beforeEach(async () => {
    root = path.join(fx.dir(), 'alpha');
    await installTown(root);
    const config = readTownConfig(root);
    writeTownConfig(root, { ...config, timing: { heartbeat_ms: 200 } });
  });
  afterEach(async () => {
    await bus?.close(500);
    await stopDaemon(root, 2_000);
    await fx.cleanup();
  });

  it('serves bead commands as the single writer: reply, event, idempotent by message id', async () => {
    await up(root);
    bus = await connectToTown(readTownConfig(root), 'gt-test');
    const events = collect(bus, 'gt.alpha.evt.>');
    await bus.flush();
    const envelope = createEnvelope('bead.create', {
      from: 'alpha/overseer',
      to: 'alpha/store',
      body: { actor: 'alpha/overseer', input: { title: 'Fix the door', priority: 1 } },
    });
    const first = await bus.request<{ id: string }>(cmd('alpha', 'bead.create'), envelope);
    expect(first.ok).toBe(true);
    const id = first.ok ? first.result.id : '';
    const again = await bus.request<{ id: string }>(cmd('alpha', 'bead.create'), envelope);
    expect(again).toEqual(first);
    const created = await waitFor('a bead.created event', () =>
      events.find((e) => e.type === 'bead.created' && e.body.bead.id === id),
    );
    expect(created.traceparent?.slice(3, 35)).toBe(envelope.traceparent?.slice(3, 35));
    await bus.flush();
    expect(events.filter((e) => e.type === 'bead.created')).toHaveLength(1);
    const store = SqliteBeadStore.open(townPaths(root).dbPath, { readonly: true });
    expect(store.list({ status: 'all' }).filter((b) => b.title === 'Fix the door')).toHaveLength(1);
    store.close();
  });

  it('answers a malformed command with a typed error and keeps serving', async () => {
    await up(root);
    bus = await connectToTown(readTownConfig(root), 'gt-test');
    const raw = await bus.nats.request(cmd('alpha', 'bead.create'), new TextEncoder().encode('{"nope":1}'), {
      timeout: 2_000,
    });
    const reply = JSON.parse(new TextDecoder().decode(raw.data)) as { ok: boolean; error?: { code: string } };
    expect(reply.ok).toBe(false);
    expect(reply.error?.code).toBe('bus.invalid_message');
    const writer = await daemonWriter(root);
    await expect(writer.claim('alpha-nope', 'someone')).rejects.toMatchObject({ code: 'bead.not_found' });
    const bead = await writer.create({ title: 'Still serving' }, 'alpha/overseer');
    expect(bead.title).toBe('Still serving');
    await writer.close();
  });

  it('reads mail that arrived while it was down; after kill -9 states and writes are intact', async () => {
    const direct = new DirectStoreWriter(
      SqliteBeadStore.open(townPaths(root).dbPath),
      townPaths(root).beadsDir,
      'alpha',
    );
    const offline = await direct.sendMail({
      from: 'overseer',
      to: 'mayor',
      subject: 'While you were out',
      body: 'hi',
    });
    await direct.close();

    const first = await up(root);
    expect(actorState(first, 'alpha/mayor')).toBe('has_mail');
    expect(actorState(first, 'alpha/deacon')).toBe('idle');
    const beats = await waitFor('heartbeats of every actor', async () => {
      const s = await status(root);
      return s.actors.every((a) => a.last_heartbeat_at !== null) ? s : false;
    });
    expect(beats.actors.map((a) => a.address)).toEqual(['alpha/deacon', 'alpha/mayor', 'alpha/store']);

    const writer = await daemonWriter(root);
    const sent = await writer.sendMail({ from: 'overseer', to: 'deacon', subject: 'Patrol', body: 'go' });
    const kept = await writer.create({ title: 'Written before the kill' }, 'alpha/overseer');
    await writer.readMail(offline.id, 'mayor');
    await writer.close();
    await waitFor('the deacon to see its mail and the mayor to have read its own', async () => {
      const s = await status(root);
      return actorState(s, 'alpha/deacon') === 'has_mail' && actorState(s, 'alpha/mayor') === 'idle';
    });

    process.kill(first.pid, 'SIGKILL');
    await waitFor('the daemon to die', () => !alive(first.pid));
    const second = await up(root);
    expect(second.pid).not.toBe(first.pid);
    expect(actorState(second, 'alpha/deacon')).toBe('has_mail');
    expect(actorState(second, 'alpha/mayor')).toBe('idle');
    const store = SqliteBeadStore.open(townPaths(root).dbPath, { readonly: true });
    expect(store.get(kept.id)?.title).toBe('Written before the kill');
    expect(store.get(sent.id)?.status).toBe('open');
    expect(store.get(offline.id)?.status).toBe('closed');
    store.close();
  });
});

describe('bd with the town up', () => {
  let root: string;
  let bus: BusConnection | undefined;
  beforeEach(async () => {
    root = path.join(fx.dir(), 'alpha');
    await installTown(root);
  });
  afterEach(async () => {
    await bus?.close(500);
    bus = undefined;
    await stopDaemon(root, 2_000);
    await fx.cleanup();
  });

  it('sends bd writes through the daemon (an observer sees bead.created), refuses the others, writes directly when down', async () => {
    await up(root);
    bus = await connectToTown(readTownConfig(root), 'gt-test');
    const events = collect(bus, 'gt.*.evt.>');
    await bus.flush();
    const cwd = townPaths(root).beadsRepo;
    const created = await runBd(['create', 'Through the daemon', '--json', '--actor', 'ann'], { cwd });
    expect(created.code, created.stderr).toBe(0);
    const bead = created.json<{ id: string; created_by: string }>();
    expect(bead.created_by).toBe('ann');
    await waitFor('bead.created on the bus', () =>
      events.find((e) => e.type === 'bead.created' && e.body.bead.id === bead.id),
    );
    const claimed = await runBd(['update', bead.id, '--claim', '--json', '--actor', 'ann'], { cwd });
    expect(claimed.code, claimed.stderr).toBe(0);
    const ready = await runBd(['ready', '--json'], { cwd });
    expect(ready.code, ready.stderr).toBe(0);
    const dep = await runBd(['dep', 'add', bead.id, bead.id, '--json'], { cwd });
    expect(dep.code).toBe(1);
    expect(dep.errorJson().code).toBe('store.owned_by_daemon');

    await stopDaemon(root, 2_000);
    const offline = await runBd(['close', bead.id, '--json', '--actor', 'ann'], { cwd });
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.json<Array<{ status: string }>>()[0]?.status).toBe('closed');
  });
});
