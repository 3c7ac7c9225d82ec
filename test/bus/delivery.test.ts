import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus } from '../../bus/connection.js';
import type { BusConnection } from '../../bus/connection.js';
import { Delivery, peekHeader } from '../../bus/delivery.js';
import { createEnvelope, decode, encode } from '../../bus/envelope.js';
import type { AnyEnvelope } from '../../bus/envelope.js';
import { startTestNats } from '../harness/nats-server.js';
import type { TestNats } from '../harness/nats-server.js';

const text = new TextEncoder();
const samples: AnyEnvelope[] = [
  createEnvelope('bead.created', {
    from: 'alpha/store',
    to: 'alpha',
    body: { bead: { id: 'a-1', title: 't' } as never },
  }),
  createEnvelope('heartbeat', {
    from: 'alpha/web/polecats/nux',
    to: 'alpha',
    body: { actor: 'alpha/mayor', seq: 3 },
  }),
  createEnvelope('nudge', {
    from: 'beta/mayor',
    to: 'alpha/web/witness',
    body: { text: 'rebase "now" \\ please' },
  }),
  createEnvelope('bead.create', {
    from: 'alpha/overseer',
    to: 'alpha/store',
    body: { actor: 'alpha/overseer', input: { title: 'ünïcode ✓', labels: ['x'] } },
  }),
];

function header(e: AnyEnvelope) {
  return { id: e.id, type: e.type, from: e.from, to: e.to, at: e.at, traceparent: e.traceparent };
}

/** A deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('peekHeader', () => {
  it('reads the header of every canonically encoded envelope', () => {
    for (const e of samples) {
      const peeked = peekHeader(encode(e));
      expect(peeked).not.toBeNull();
      expect({ ...header(peeked as unknown as AnyEnvelope) }).toEqual(header(e));
    }
  });

  it('returns null for what is not canonical, and the decode still judges it', () => {
    const e = samples[0] as AnyEnvelope;
    const reordered = text.encode(
      JSON.stringify({
        type: e.type,
        id: e.id,
        from: e.from,
        to: e.to,
        at: e.at,
        body: e.body,
        traceparent: e.traceparent,
      }),
    );
    expect(peekHeader(reordered)).toBeNull();
    expect(decode(reordered).ok).toBe(true);
    expect(peekHeader(text.encode('not json'))).toBeNull();
    expect(peekHeader(new Uint8Array())).toBeNull();
    const unknownType = text.encode(JSON.stringify({ ...e, type: 'bead.exploded' }));
    expect(peekHeader(unknownType)).toBeNull();
  });

  it('never accepts a header that decode refuses (5,000 mutated headers)', () => {
    const next = rng(42);
    const alphabet = '0az_-./:TZ"\\{} 9fA\u00e9';
    let accepted = 0;
    for (let i = 0; i < 5_000; i++) {
      const e = samples[i % samples.length] as AnyEnvelope;
      const bytes = Array.from(encode(e));
      const headEnd = bytes.indexOf(0x62 /* b of "body" */, 150);
      const at = Math.floor(next() * Math.max(1, headEnd));
      const c = alphabet.charCodeAt(Math.floor(next() * alphabet.length));
      if (next() < 0.5) bytes[at] = c;
      else bytes.splice(at, next() < 0.5 ? 1 : 0, ...(next() < 0.5 ? [c] : []));
      const data = Uint8Array.from(bytes);
      const peeked = peekHeader(data);
      if (peeked === null) continue;
      accepted++;
      const decoded = decode(data);
      // Body damage is for decode to find; every header field peek accepts must be valid.
      if (decoded.ok)
        expect(header(decoded.envelope)).toEqual({ ...header(peeked as unknown as AnyEnvelope) });
      else expect(decoded.error.field.startsWith('body')).toBe(true);
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('Delivery decodes once, on demand, and falls back to decode for a header', () => {
    const e = samples[1] as AnyEnvelope;
    const d = new Delivery({ subject: 'gt.alpha.hb.mayor', data: encode(e) });
    expect(d.header()?.type).toBe('heartbeat');
    expect(d.decode()).toBe(d.decode());
    const bad = new Delivery({
      subject: 'gt.alpha.evt.x.y',
      data: text.encode('{"nope":1}'),
      reply: 'reply.1',
    });
    expect(bad.header()).toBeNull();
    expect(bad.decode().ok).toBe(false);
    const reordered = new Delivery({
      subject: 'gt.alpha.hb.mayor',
      data: text.encode(
        JSON.stringify({
          body: e.body,
          id: e.id,
          type: e.type,
          from: e.from,
          to: e.to,
          at: e.at,
          traceparent: e.traceparent,
        }),
      ),
    });
    expect(reordered.header()?.id).toBe(e.id);
  });
});

describe('BusConnection.observe', () => {
  let nats: TestNats;
  let a: BusConnection;
  let b: BusConnection;
  beforeAll(async () => {
    nats = await startTestNats({ jetstream: false });
    a = await connectBus({ servers: nats.url, name: 'observer' });
    b = await connectBus({ servers: nats.url, name: 'publisher' });
  });
  afterAll(async () => {
    await a.close(500);
    await b.close(500);
    await nats.stop();
  });

  it('sees valid and invalid traffic on a pattern and never answers it', async () => {
    const seen: Delivery[] = [];
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    const sub = a.observe('gt.alpha.>', (d) => {
      seen.push(d);
      if (seen.length === 2) done();
    });
    await a.flush();
    b.publish('gt.alpha.hb.mayor', samples[1] as AnyEnvelope);
    b.nats.publish('gt.alpha.evt.thing.broken', text.encode('garbage'));
    await all;
    expect(seen.map((d) => d.header()?.type ?? null)).toEqual(['heartbeat', null]);
    expect(seen[1]?.decode().ok).toBe(false);
    await sub.unsubscribe();
  });
});
