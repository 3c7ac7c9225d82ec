import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectBus } from '../../bus/connection.js';
import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope, encode } from '../../bus/envelope.js';
import type { AnyEnvelope } from '../../bus/envelope.js';
import { ensureEventStream } from '../../bus/event-stream.js';
import { findFreePort } from '../../bus/free-port.js';
import { startTestNats } from '../harness/nats-server.js';
import type { TestNats } from '../harness/nats-server.js';

const gtBin = inject('gtBin');
const READY_MS = 15_000;

let nats: TestNats;
let bus: BusConnection;
let dir: string;
let alpha: string;
type GtOptions = {
  cwd: string;
  reject: false;
  stdin: 'ignore';
  env: Record<string, string>;
  timeout: number;
};
/** A running `gt` process. */
type Child = ResultPromise<GtOptions>;
const running = new Set<Child>();

/** Writes a minimal town: a town.json with external NATS. */
function writeTown(name: string, url: string, auth?: { user: string; password: string }): string {
  const root = path.join(dir, name);
  fs.mkdirSync(root, { recursive: true });
  const config = {
    version: 1,
    name,
    created_at: new Date().toISOString(),
    nats: {
      mode: 'external',
      urls: [url],
      ...(auth === undefined ? {} : { user: auth.user, password: auth.password }),
    },
  };
  fs.writeFileSync(path.join(root, 'town.json'), JSON.stringify(config), { mode: 0o600 });
  return root;
}

function start(args: string[], cwd = alpha): Child {
  const options: GtOptions = { cwd, reject: false, stdin: 'ignore', env: { NO_COLOR: '1' }, timeout: 30_000 };
  const child = execa(process.execPath, [gtBin, ...args], options);
  running.add(child);
  void child.finally(() => running.delete(child));
  return child;
}

/** Runs `gt` to its end. */
async function gt(args: string[], cwd = alpha) {
  const r = await start(args, cwd);
  return { code: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Starts an observer and resolves once it says on stderr that it is attached (`tracing …`, `feed of …`). */
async function attached(args: string[], cwd = alpha): Promise<{ child: Child }> {
  const child = start(args, cwd);
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gt ${args.join(' ')} not attached in time:\n${stderr}`)),
      READY_MS,
    );
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^(tracing|feed of) /m.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void child.then(() => {
      clearTimeout(timer);
      reject(new Error(`gt ${args.join(' ')} exited before attaching:\n${stderr}`));
    });
  });
  // Wrapped: returning the subprocess (a thenable) from an async function would wait for its end.
  return { child };
}

async function ended(child: Child) {
  const r = await child;
  return { code: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** One `--json` record, as far as these tests read it. */
interface Line {
  subject: string;
  status: string;
  trace_id?: string;
  seq?: number;
  problem?: string;
  raw?: string;
  envelope?: { id: string };
}

function lines(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
}

function bead(id: string, title: string, traceparent?: string, from = 'alpha/store'): AnyEnvelope {
  return createEnvelope('bead.created', {
    from,
    to: 'alpha',
    body: { bead: { id, title } as never },
    ...(traceparent === undefined ? {} : { traceparent }),
  });
}

function publish(subject: string, env: AnyEnvelope): void {
  bus.publish(subject, env);
}

/** Publishes into the event stream and waits for its ack (so a replay sees it). */
async function store(subject: string, env: AnyEnvelope): Promise<void> {
  const h = natsHeaders();
  h.set('traceparent', env.traceparent);
  await jetstream(bus.nats).publish(subject, encode(env), { headers: h, msgID: env.id });
}

beforeAll(async () => {
  nats = await startTestNats({ auth: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-observe-'));
  alpha = writeTown('alpha', nats.url, nats.auth);
  bus = await connectBus({
    servers: nats.url,
    user: nats.auth!.user,
    pass: nats.auth!.password,
    name: 'test',
  });
  await ensureEventStream(bus.nats, 'alpha', { maxAgeMs: 3_600_000 });
});

afterEach(async () => {
  for (const child of running) child.kill('SIGKILL');
  await Promise.all([...running].map((c) => c.catch(() => undefined)));
});

afterAll(async () => {
  await bus?.close(1_000);
  await nats?.stop();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

describe('gt trace', () => {
  it('prints each message on the pattern as a JSON line, then exits after --count', async () => {
    const { child } = await attached(['trace', 'gt.*.evt.>', '--json', '--count', '2']);
    publish(
      'gt.alpha.hb.mayor',
      createEnvelope('heartbeat', {
        from: 'alpha/mayor',
        to: 'alpha',
        body: { actor: 'alpha/mayor', seq: 1 },
      }),
    );
    const a = bead('demo-t1', 'First');
    const b = bead('demo-t2', 'Second');
    publish('gt.alpha.evt.bead.created', a);
    publish('gt.beta.evt.bead.created', b);
    await bus.flush();
    const r = await ended(child);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out.map((l) => l.subject)).toEqual(['gt.alpha.evt.bead.created', 'gt.beta.evt.bead.created']);
    expect(out.map((l) => l.envelope?.id)).toEqual([a.id, b.id]);
    expect(out[0]).toMatchObject({ status: 'valid', trace_id: a.traceparent.split('-')[1] });
  });

  it('follows one trace across subjects, invalid messages of the trace included', async () => {
    const root = bead('demo-r1', 'Root');
    const traceId = root.traceparent.split('-')[1]!;
    const { child } = await attached(['trace', 'gt.alpha.>', '--json', '--trace', traceId, '--count', '3']);
    publish('gt.alpha.evt.bead.created', bead('demo-x1', 'Another trace'));
    publish('gt.alpha.evt.bead.created', root);
    const h = natsHeaders();
    h.set('traceparent', root.traceparent);
    bus.nats.publish('gt.alpha.evt.thing.failed', new TextEncoder().encode('broken'), { headers: h });
    publish(
      'gt.alpha.mail.mayor',
      createEnvelope('mail.delivered', {
        from: 'alpha/store',
        to: 'alpha/mayor',
        body: { id: 'demo-m1', from: 'alpha/deacon', to: 'alpha/mayor', subject: 'Hi', priority: 2 },
        traceparent: root.traceparent,
      }),
    );
    await bus.flush();
    const r = await ended(child);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out.map((l) => [l.subject, l.status])).toEqual([
      ['gt.alpha.evt.bead.created', 'valid'],
      ['gt.alpha.evt.thing.failed', 'invalid'],
      ['gt.alpha.mail.mayor', 'valid'],
    ]);
    expect(out.every((l) => l.trace_id === traceId)).toBe(true);
    expect(out[1]).toMatchObject({ raw: 'broken', error: { code: 'bus.invalid_message' } });
  });

  it('prints an invalid message readably, marked invalid with the reason', async () => {
    const { child } = await attached(['trace', 'gt.alpha.evt.>', '-n', '2']);
    bus.nats.publish('gt.alpha.evt.thing.failed', new TextEncoder().encode('not json'));
    publish('gt.alpha.evt.bead.created', bead('demo-v1', 'Fix the door'));
    await bus.flush();
    const r = await ended(child);
    expect(r.code, r.stderr).toBe(0);
    const [invalid, valid] = r.stdout.trimEnd().split('\n');
    expect(invalid).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} evt +INVALID on gt\.alpha\.evt\.thing\.failed: field "\$" is not valid JSON {2}not json$/,
    );
    expect(valid).toMatch(
      / evt +bead\.created +alpha\/store → alpha {2}demo-v1 "Fix the door" {2}trace [0-9a-f]{8}$/,
    );
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('drains and exits 0 on SIGTERM, and stops at --timeout', async () => {
    const { child } = await attached(['trace', 'gt.alpha.>']);
    child.kill('SIGTERM');
    expect((await ended(child)).code).toBe(0);
    const t = await gt(['trace', 'gt.alpha.nothing.>', '--timeout', '300']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toBe('');
  });

  it('attaches to any NATS with --server, saying that > includes raw traffic', async () => {
    const { child } = await attached(
      [
        'trace',
        '>',
        '--server',
        nats.url,
        '--user',
        nats.auth!.user,
        '--password',
        nats.auth!.password,
        '--json',
        '-n',
        '1',
      ],
      os.tmpdir(),
    );
    bus.nats.publish('foo.bar', new TextEncoder().encode('hello'));
    await bus.flush();
    const r = await ended(child);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/includes raw traffic/);
    expect(lines(r.stdout)).toEqual([
      expect.objectContaining({ subject: 'foo.bar', status: 'raw', raw: 'hello' }),
    ]);
  });

  it('refuses bad arguments with exit 2', async () => {
    const bad = await gt(['trace', 'gt.>.x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"gt\.>\.x" is not a subject pattern/);
    const trace = await gt(['trace', 'gt.>', '--trace', 'nope', '--json']);
    expect(trace.code).toBe(2);
    expect(JSON.parse(trace.stderr)).toMatchObject({ code: 'usage.bad_trace' });
    const noFollow = await gt(['feed', '--no-follow']);
    expect(noFollow.code).toBe(2);
    expect(noFollow.stderr).toMatch(/--no-follow goes with --since/);
  });
});

describe('gt feed', () => {
  it('replays the event stream with --since, and --problems keeps only problems', async () => {
    const fine = bead('demo-f1', 'All good');
    const stalled = createEnvelope('bead.updated', {
      from: 'alpha/witness',
      to: 'alpha',
      body: { bead: { id: 'demo-f2', title: 'Stuck polecat' } as never },
    });
    await store('gt.alpha.evt.bead.created', fine);
    await store('gt.alpha.evt.polecat.stalled', stalled);

    const all = await gt(['feed', '--since', '1h', '--no-follow', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const ids = lines(all.stdout).map((l) => l.envelope?.id);
    expect(ids).toContain(fine.id);
    expect(ids).toContain(stalled.id);
    expect(lines(all.stdout).every((l) => typeof l.seq === 'number')).toBe(true);

    const problems = await gt(['feed', '--since', '1h', '--no-follow', '--problems', '--json']);
    expect(problems.code, problems.stderr).toBe(0);
    const shown = lines(problems.stdout);
    expect(shown.map((l) => l.envelope?.id)).toContain(stalled.id);
    expect(shown.map((l) => l.envelope?.id)).not.toContain(fine.id);
    expect(shown.every((l) => typeof l.problem === 'string')).toBe(true);
  });

  it('continues live after the replay', async () => {
    const before = bead('demo-l1', 'Before');
    await store('gt.alpha.evt.bead.created', before);
    const { child } = await attached(['feed', '--since', '10m', '--json', '--timeout', '20000']);
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const after = bead('demo-l2', 'After');
    publish('gt.alpha.evt.bead.created', after);
    await bus.flush();
    // The replay (all events of the last 10 minutes) comes first; wait for the live one, by its id.
    const deadline = Date.now() + READY_MS;
    while (!stdout.includes(after.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const r = await ended(child);
    expect(r.code, r.stderr).toBe(0);
    const ids = lines(r.stdout).map((l) => l.envelope?.id);
    expect(ids).toContain(before.id);
    expect(ids.filter((id) => id === after.id)).toHaveLength(1);
    expect(ids.indexOf(before.id)).toBeLessThan(ids.indexOf(after.id));
  });
});

describe('a town whose bus is down', () => {
  it('says how to start it, with exit 1', async () => {
    const port = await findFreePort();
    const beta = writeTown('beta', `nats://127.0.0.1:${port}`, { user: 'u', password: 'p' });
    for (const args of [['trace', 'gt.beta.>'], ['feed']]) {
      const r = await gt(args, beta);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`cannot reach the bus of town beta at nats://127\\.0\\.0\\.1:${port}: .*\`gt up\``),
      );
    }
    const wrong = writeTown('gamma', nats.url, { user: 'nobody', password: 'wrong' });
    const r = await gt(['feed', '--json'], wrong);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 'bus.unauthorized' });
  });
});
