import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectBus } from '../../bus/connection.js';
import type { BusConnection, InvalidMessage } from '../../bus/connection.js';
import { createEnvelope, traceIdOf } from '../../bus/envelope.js';
import type { AnyEnvelope } from '../../bus/envelope.js';
import { BusClosedError, RequestTimeoutError, TownNotRunningError } from '../../bus/errors.js';
import { NotFoundError } from '../../beads/errors.js';
import { cmd, evt, patterns } from '../../bus/subjects.js';
import { observeMessage, traceIdOfObserved } from '../../bus/observer.js';
import { JsonResult } from '../../bus/reply.js';
import { startTestNats } from '../harness/nats-server.js';
import type { TestNats } from '../harness/nats-server.js';

let nats: TestNats;
const opened: Array<BusConnection | NatsConnection> = [];

async function bus(name: string): Promise<BusConnection> {
  const b = await connectBus({
    servers: nats.url,
    user: nats.auth?.user ?? '',
    pass: nats.auth?.password ?? '',
    name,
    reconnectTimeWaitMs: 100,
    reconnectJitterMs: 50,
  });
  opened.push(b);
  return b;
}

function createCmd(title = 'Fix the door') {
  return createEnvelope('bead.create', {
    from: 'alpha/mayor',
    to: 'alpha/deacon',
    body: { actor: 'alpha/mayor', input: { title } },
  });
}

async function pollUntil<T>(fn: () => T | Promise<T>, deadlineMs: number): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`not done within ${deadlineMs} ms: ${String(last)}`);
}

beforeAll(async () => {
  nats = await startTestNats({ jetstream: false, auth: true });
});

afterAll(async () => {
  for (const c of opened.splice(0)) await c.close();
  await nats.stop();
});

describe('request / reply', () => {
  it('round-trips a command and keeps the trace', async () => {
    const server = await bus('responder');
    const client = await bus('client');
    const seen: AnyEnvelope[] = [];
    const sub = server.subscribe(cmd('alpha', 'bead.create'), (env, ctx) => {
      seen.push(env);
      expect(ctx.reply).toBeDefined();
      if (env.type !== 'bead.create') throw new Error('wrong type');
      return { id: 'bd-a1', title: env.body.input.title };
    });
    await server.flush();
    const env = createCmd();
    const reply = await client.request(cmd('alpha', 'bead.create'), env, { timeoutMs: 2_000 });
    expect(reply).toEqual({ ok: true, result: { id: 'bd-a1', title: 'Fix the door' } });
    expect(seen).toEqual([env]);
    expect(traceIdOf(seen[0]?.traceparent ?? '')).toBe(traceIdOf(env.traceparent));
    await sub.unsubscribe();
  });

  it('turns a thrown error into a typed error reply with its code', async () => {
    const server = await bus('responder-2');
    const client = await bus('client-2');
    const sub = server.subscribe(cmd('alpha', 'bead.close'), () => {
      throw new NotFoundError('bd-zz');
    });
    await server.flush();
    const env = createEnvelope('bead.close', {
      from: 'alpha/mayor',
      to: 'alpha/deacon',
      body: { actor: 'alpha/mayor', id: 'bd-zz', options: {} },
    });
    const reply = await client.request(cmd('alpha', 'bead.close'), env, { timeoutMs: 2_000 });
    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'bead.not_found',
        message: 'no bead with id "bd-zz": check the id with `bd list` or `bd search`',
        retryable: false,
        details: { id: 'bd-zz' },
      },
    });
    await sub.unsubscribe();
  });

  it('maps no responders on a command subject to TownNotRunningError', async () => {
    const client = await bus('client-3');
    const request = client.request(cmd('alpha', 'bead.create'), createCmd(), { timeoutMs: 2_000 });
    await expect(request).rejects.toThrow(TownNotRunningError);
    await expect(request).rejects.toThrow(/^town alpha is not running: start it with `gt up`$/);
    await expect(request).rejects.toMatchObject({ code: 'bus.town_not_running', retryable: true });
  });

  it('maps a silent responder to RequestTimeoutError', async () => {
    const client = await bus('client-4');
    const silent = await bus('silent');
    silent.nats.subscribe(cmd('alpha', 'slow'), { callback: () => undefined });
    await silent.flush();
    const started = Date.now();
    await expect(
      client.request(cmd('alpha', 'slow'), createCmd(), { timeoutMs: 300 }),
    ).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});

describe('invalid messages', () => {
  it('answers a malformed command with a typed error reply and keeps serving', async () => {
    const server = await bus('responder-5');
    const client = await bus('client-5');
    const invalid: InvalidMessage[] = [];
    let handled = 0;
    server.subscribe(
      cmd('alpha', 'invalid.test'),
      () => {
        handled++;
        return { id: 'bd-b2' };
      },
      { onInvalid: (m) => invalid.push(m) },
    );
    await server.flush();
    const raw = await connect({
      servers: nats.url,
      user: nats.auth?.user ?? '',
      pass: nats.auth?.password ?? '',
    });
    opened.push(raw);
    for (const payload of ['not json', JSON.stringify({ ...createCmd(), from: 'BAD ADDRESS' })]) {
      const msg = await raw.request(cmd('alpha', 'invalid.test'), payload, { timeout: 2_000 });
      const reply = msg.json<{ ok: boolean; error: { code: string; details: { field: string } } }>();
      expect(reply.ok).toBe(false);
      expect(reply.error.code).toBe('bus.invalid_message');
    }
    expect(invalid.map((m) => m.error.field)).toEqual(['$', 'from']);
    raw.publish(cmd('alpha', 'invalid.test'), '{"also":"bad"}');
    await raw.flush();
    await pollUntil(() => {
      if (invalid.length !== 3) throw new Error(`${invalid.length} invalid`);
    }, 2_000);
    expect(invalid[2]?.reply).toBeUndefined();
    const reply = await client.request(cmd('alpha', 'invalid.test'), createCmd(), { timeoutMs: 2_000 });
    expect(reply).toEqual({ ok: true, result: { id: 'bd-b2' } });
    expect(handled).toBe(1);
  });
});

describe('publish / subscribe', () => {
  it('delivers events to a wildcard observer', async () => {
    const publisher = await bus('publisher');
    const observer = await bus('observer');
    const got: AnyEnvelope[] = [];
    observer.subscribe(patterns.events(), (env) => {
      got.push(env);
    });
    await observer.flush();
    const created = createEnvelope('bead.created', {
      from: 'alpha/deacon',
      to: 'alpha/mayor',
      body: { bead: { id: 'bd-c3', title: 'x' } as never },
    });
    publisher.publish(evt('alpha', 'bead', 'created'), created);
    publisher.publish(evt('beta', 'bead', 'created'), { ...created, id: created.id.replace(/.$/, '0') });
    await publisher.flush();
    await pollUntil(() => {
      if (got.length !== 2) throw new Error(`${got.length} events`);
    }, 2_000);
    expect(got[0]).toEqual(created);
  });

  it('sends a JsonResult as the text it holds, from a synchronous or an async handler', async () => {
    const server = await bus('json-responder');
    const client = await bus('json-client');
    const subs = [
      server.subscribe(cmd('alpha', 'bead.create'), () => new JsonResult('{"id":"bd-j1","n":[1,2]}')),
      server.subscribe(cmd('alpha', 'bead.update'), () => Promise.resolve(new JsonResult('"later"'))),
    ];
    await server.flush();
    const request = createCmd();
    const msg = await client.nats.request(cmd('alpha', 'bead.create'), JSON.stringify(request), {
      timeout: 2_000,
    });
    expect(msg.json()).toEqual({
      ok: true,
      result: { id: 'bd-j1', n: [1, 2] },
      traceparent: request.traceparent,
    });
    const update = createEnvelope('bead.update', {
      from: 'alpha/mayor',
      to: 'alpha/store',
      body: { actor: 'alpha/mayor', id: 'bd-j1', input: { title: 'x' } },
    });
    expect(await client.request(cmd('alpha', 'bead.update'), update)).toEqual({ ok: true, result: 'later' });
    for (const sub of subs) await sub.unsubscribe();
  });

  it('sends no NATS headers; a reply carries the request traceparent in its JSON', async () => {
    const server = await bus('header-responder');
    const client = await bus('header-client');
    const raw = await bus('header-raw');
    const seen: Array<{ subject: string; traceparent: string | undefined }> = [];
    const tap = raw.nats.subscribe('gt.alpha.>', {
      callback: (_err, msg) => {
        seen.push({ subject: msg.subject, traceparent: msg.headers?.get('traceparent') });
      },
    });
    const sub = server.subscribe(cmd('alpha', 'bead.create'), () => ({ id: 'bd-h1' }));
    await Promise.all([server.flush(), raw.flush()]);
    const request = createCmd();
    const msg = await client.nats.request(cmd('alpha', 'bead.create'), JSON.stringify(request), {
      timeout: 2_000,
    });
    expect(msg.headers).toBeUndefined();
    // The reply is not an envelope: its traceparent field is how a tracer ties it to the request's trace.
    expect(msg.json()).toEqual({ ok: true, result: { id: 'bd-h1' }, traceparent: request.traceparent });
    expect(traceIdOfObserved(observeMessage({ subject: msg.subject, data: msg.data }))).toBe(
      traceIdOf(request.traceparent),
    );
    const reply = await client.request(cmd('alpha', 'bead.create'), request, { timeoutMs: 2_000 });
    expect(reply).toEqual({ ok: true, result: { id: 'bd-h1' } });
    const event = createEnvelope('bead.created', {
      from: 'alpha/store',
      to: 'alpha',
      body: { bead: { id: 'bd-h1', title: 'x' } as never },
    });
    client.publish(evt('alpha', 'bead', 'created'), event);
    await client.flush();
    await pollUntil(() => {
      if (seen.length !== 3) throw new Error(`${seen.length} messages`);
    }, 2_000);
    tap.unsubscribe();
    await sub.unsubscribe();
    expect(seen.map((m) => m.traceparent)).toEqual([undefined, undefined, undefined]);
    expect(seen.map((m) => m.subject)).toEqual([
      cmd('alpha', 'bead.create'),
      cmd('alpha', 'bead.create'),
      evt('alpha', 'bead', 'created'),
    ]);
  });
});

describe('close', () => {
  it('drains: a message in flight is handled and answered before close completes', async () => {
    const server = await connectBus({
      servers: nats.url,
      user: nats.auth?.user ?? '',
      pass: nats.auth?.password ?? '',
      name: 'draining',
    });
    const client = await bus('client-6');
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((r) => (started = r));
    server.subscribe(cmd('alpha', 'drain.test'), async () => {
      order.push('handler-start');
      started();
      await gate;
      order.push('handler-end');
      return 'done';
    });
    await server.flush();
    const reply = client.request(cmd('alpha', 'drain.test'), createCmd(), { timeoutMs: 5_000 }).then((r) => {
      order.push('reply');
      return r;
    });
    await handlerStarted;
    const closing = server.close(5_000).then(() => order.push('closed'));
    expect(server.isClosing).toBe(true);
    expect(() => server.publish(evt('alpha', 'bead', 'created'), createCmd())).toThrow(BusClosedError);
    release();
    await closing;
    expect(await reply).toEqual({ ok: true, result: 'done' });
    expect(order.indexOf('handler-end')).toBeLessThan(order.indexOf('closed'));
    expect(order[0]).toBe('handler-start');
    expect(server.nats.isClosed()).toBe(true);
    await server.close();
    await expect(server.request(cmd('alpha', 'x'), createCmd())).rejects.toBeInstanceOf(BusClosedError);
  });

  it('closes on await using', async () => {
    let nc: NatsConnection | undefined;
    {
      await using b = await connectBus({
        servers: nats.url,
        user: nats.auth?.user ?? '',
        pass: nats.auth?.password ?? '',
        name: 'disposable',
      });
      nc = b.nats;
      expect(nc.isClosed()).toBe(false);
    }
    expect(nc.isClosed()).toBe(true);
  });
});

describe('reconnect', () => {
  it('reconnects after the server is SIGKILLed and restarted on the same port', async () => {
    const logs: string[] = [];
    const server = await bus('responder-7');
    const client = await connectBus({
      servers: nats.url,
      user: nats.auth?.user ?? '',
      pass: nats.auth?.password ?? '',
      name: 'client-7',
      reconnectTimeWaitMs: 100,
      reconnectJitterMs: 50,
      log: (_level, msg) => logs.push(msg),
    });
    opened.push(client);
    server.subscribe(cmd('alpha', 'ping'), () => 'pong');
    await server.flush();
    expect(await client.request(cmd('alpha', 'ping'), createCmd())).toEqual({ ok: true, result: 'pong' });
    const oldPid = nats.server.pid;
    await nats.restart();
    expect(nats.server.pid).not.toBe(oldPid);
    const reply = await pollUntil(
      () => client.request(cmd('alpha', 'ping'), createCmd(), { timeoutMs: 500 }),
      15_000,
    );
    expect(reply).toEqual({ ok: true, result: 'pong' });
    expect(logs).toContain('nats disconnect');
    expect(logs).toContain('nats reconnect');
  });
});
