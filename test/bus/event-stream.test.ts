import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectBus } from '../../bus/connection.js';
import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import type { AnyEnvelope } from '../../bus/envelope.js';
import { ensureEventStream, eventStreamName, replayEvents } from '../../bus/event-stream.js';
import type { ReplayedEvent } from '../../bus/event-stream.js';
import { evt } from '../../bus/subjects.js';
import { startTestNats } from '../harness/nats-server.js';
import type { TestNats } from '../harness/nats-server.js';

let nats: TestNats;
let bus: BusConnection;

beforeAll(async () => {
  nats = await startTestNats({ jetstream: true });
  bus = await connectBus({ servers: nats.url, name: 'feed' });
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
});

function created(id: string): AnyEnvelope {
  return createEnvelope('bead.created', {
    from: 'alpha/deacon',
    to: 'alpha/mayor',
    body: { bead: { id, title: `bead ${id}` } as never },
  });
}

async function collect(it: AsyncIterable<ReplayedEvent>): Promise<ReplayedEvent[]> {
  const out: ReplayedEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

async function waitForMessages(count: number): Promise<void> {
  const jsm = await jetstreamManager(bus.nats);
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const info = await jsm.streams.info(eventStreamName('alpha'));
    if (info.state.messages >= count) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`stream did not reach ${count} messages`);
}

describe('event stream on nats-server 2.9.10', () => {
  it('names streams per town', () => {
    expect(eventStreamName('alpha')).toBe('GT_ALPHA_EVT');
    expect(eventStreamName('my-town')).toBe('GT_MY_TOWN_EVT');
    expect(() => eventStreamName('A.B')).toThrow();
  });

  it('captures published events and replays them, all or since a time', async () => {
    await ensureEventStream(bus.nats, 'alpha', { maxAgeMs: 3_600_000, maxMsgs: 1_000 });
    await ensureEventStream(bus.nats, 'alpha', { maxAgeMs: 3_600_000, maxMsgs: 500 });
    expect(await collect(replayEvents(bus.nats, 'alpha'))).toEqual([]);

    const first = [created('bd-1'), created('bd-2')];
    for (const e of first) bus.publish(evt('alpha', 'bead', 'created'), e);
    bus.nats.publish(evt('alpha', 'bead', 'created'), 'garbage');
    bus.publish(evt('beta', 'bead', 'created'), created('bd-other-town'));
    await bus.flush();
    await waitForMessages(3);
    const since = new Date();
    await new Promise((r) => setTimeout(r, 20));
    const later = created('bd-3');
    bus.publish(evt('alpha', 'bead', 'created'), later);
    await bus.flush();
    await waitForMessages(4);

    const all = await collect(replayEvents(bus.nats, 'alpha'));
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(all.filter((e) => e.ok).map((e) => (e.ok ? e.envelope : null))).toEqual([...first, later]);
    const bad = all[2];
    expect(bad?.ok).toBe(false);
    if (bad && !bad.ok) expect(bad.error.code).toBe('bus.invalid_message');

    const recent = await collect(replayEvents(bus.nats, 'alpha', { since }));
    expect(recent.map((e) => (e.ok ? e.envelope.id : null))).toEqual([later.id]);

    const jsm = await jetstreamManager(bus.nats);
    const info = await jsm.streams.info(eventStreamName('alpha'));
    expect(info.config.max_msgs).toBe(500);
    expect(info.config.subjects).toEqual(['gt.alpha.evt.>']);
  });
});
