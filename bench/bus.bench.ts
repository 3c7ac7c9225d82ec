import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { startDaemonProcess, stopDaemon } from '../actors/daemon/daemon-control.js';
import { connectToTown, requestTownStatus } from '../actors/daemon/town-client.js';
import { installTown } from '../actors/town/install.js';
import { readTownConfig, townNats } from '../actors/town/town-config.js';
import type { BusConnection } from '../bus/connection.js';
import { createEnvelope, encode } from '../bus/envelope.js';
import type { Envelope } from '../bus/envelope.js';
import { cmd } from '../bus/subjects.js';
import { addRig } from '../actors/rig/rig-add.js';
import type { MessageBody } from '../bus/messages.js';
import { unwrapReply } from '../bus/reply.js';
import { cpuMs, gitRunnerPid, rssMb } from './proc.js';
import { formatMs, formatRate, formatTable, percentile } from './stats.js';

/** Options of the bus benchmark. */
export interface BusBenchOptions {
  /** Timed round trips (after 100 untimed). Default 1000. */
  requests?: number;
  /** Events published for the fan-out. Default 20000. */
  events?: number;
  /** Observers of the fan-out. Default 10. */
  observers?: number;
  /** Idle measurement window in seconds. Default 60. */
  idleSeconds?: number;
  /** Actors the daemon hosts while idle (a rig's refinery and polecats fill up to it). Default 50. */
  actors?: number;
  log?: (line: string) => void;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Measured rounds of each fan-out path (after one warm-up round each). */
const FAN_OUT_ROUNDS = 5;

/**
 * Times `n` round trips of each sender. All are warmed up first (100 each), then they take turns in
 * blocks of 100, so that load from elsewhere on the machine falls on each alike.
 */
async function roundTrips<K extends string>(
  n: number,
  senders: Record<K, () => Promise<unknown>>,
): Promise<Record<K, number[]>> {
  const order = Object.keys(senders) as K[];
  const out = Object.fromEntries(order.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (const which of order) for (let i = 0; i < 100; i++) await senders[which]();
  for (let done = 0; done < n; done += 100)
    for (const which of order)
      for (let i = done; i < Math.min(n, done + 100); i++) {
        const t = process.hrtime.bigint();
        await senders[which]();
        out[which].push(Number(process.hrtime.bigint() - t) / 1e6);
      }
  return out;
}

/**
 * Brings the town to `count` hosted actors the way a user would: a rig (from a one-commit upstream)
 * adds its refinery, and idle polecat identities fill the rest.
 */
async function hostIdleActors(root: string, dir: string, bus: BusConnection, count: number): Promise<void> {
  const upstream = path.join(dir, 'upstream.git');
  const work = path.join(dir, 'upstream-work');
  await execa('git', ['init', '-q', '--bare', '-b', 'main', upstream]);
  await execa('git', ['init', '-q', '-b', 'main', work]);
  const env = {
    GIT_AUTHOR_NAME: 'bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
  };
  await execa('git', ['commit', '-q', '--allow-empty', '-m', 'initial'], { cwd: work, env });
  await execa('git', ['push', '-q', upstream, 'main'], { cwd: work });
  await addRig(root, { name: 'app', url: upstream });
  const ask = async <T extends 'rig.reload' | 'polecat.add'>(type: T, body: MessageBody<T>) =>
    unwrapReply(
      await bus.request(
        cmd('bench', type),
        createEnvelope(type, { from: 'bench/overseer', to: 'bench/deacon', body }),
        {
          timeoutMs: 30_000,
        },
      ),
    );
  await ask('rig.reload', {});
  const now = (await requestTownStatus(bus, 'bench')).actors.length;
  if (count > now) await ask('polecat.add', { rig: 'app', count: count - now });
}

/** Delivers `events` messages to `observers` subscribers; resolves with deliveries per second. */
async function fanOut(
  observers: BusConnection[],
  events: number,
  subscribe: (bus: BusConnection, onMessage: () => void) => { unsubscribe(): unknown },
  send: (events: number) => Promise<void>,
): Promise<number> {
  let received = 0;
  const total = events * observers.length;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const subs = observers.map((o) =>
    subscribe(o, () => {
      if (++received === total) done();
    }),
  );
  await Promise.all(observers.map((o) => o.flush()));
  const t = process.hrtime.bigint();
  await Promise.all([send(events), all]);
  const rate = (total * 1000) / (Number(process.hrtime.bigint() - t) / 1e6);
  for (const sub of subs) await sub.unsubscribe();
  return rate;
}

/** Publishes from this process, flushing every 1000. */
function sendFrom(bus: BusConnection, publish: () => void): (events: number) => Promise<void> {
  return async (events) => {
    for (let i = 0; i < events; i++) {
      publish();
      if (i % 1000 === 999) await bus.flush();
    }
    await bus.flush();
  };
}

/** Starts a bench child process (`bench/<script>.js`) given the town's server and credentials first. */
function startBenchChild(
  script: string,
  nats: { servers: string[]; user?: string; pass?: string },
  args: string[],
) {
  return execa(
    process.execPath,
    [path.join(HERE, `${script}.js`), nats.servers[0] ?? '', nats.user ?? '', nats.pass ?? '', ...args],
    { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' },
  );
}

/** The publisher process (`bench/fan-publisher`): one command at a time, answered by a line. */
async function startFanPublisher(
  nats: { servers: string[]; user?: string; pass?: string },
  event: Envelope,
): Promise<{
  child: ReturnType<typeof startBenchChild>;
  send: (mode: 'bus' | 'raw', subject: string) => (events: number) => Promise<void>;
}> {
  const child = startBenchChild('fan-publisher', nats, [JSON.stringify(event)]);
  const waiting: Array<() => void> = [];
  const exited = child.then(
    () => new Error('the fan-out publisher exited'),
    (error: unknown) => new Error('the fan-out publisher failed', { cause: error }),
  );
  createInterface({ input: child.stdout }).on('line', () => waiting.shift()?.());
  const nextLine = () =>
    Promise.race([
      new Promise<void>((resolve) => waiting.push(resolve)),
      exited.then((error) => Promise.reject(error)),
    ]);
  await nextLine();
  return {
    child,
    send: (mode, subject) => (events) => {
      const line = nextLine();
      child.stdin?.write(`${mode} ${subject} ${events}\n`);
      return line;
    },
  };
}

/**
 * `npm run bench -- bus`: a real town (daemon, managed nats-server) against raw NATS on the same
 * server: command round trip through the daemon (request, store write, reply) versus a raw
 * request/reply of the same bytes to a bare responder process; event fan-out to observers through
 * the bus wrapper (validated envelopes) versus raw publish/subscribe of the same bytes; the daemon's
 * CPU and RSS while idle.
 */
export async function runBusBench(options: BusBenchOptions = {}): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const requests = options.requests ?? 1000;
  const events = options.events ?? 20_000;
  const observerCount = options.observers ?? 10;
  const idleSeconds = options.idleSeconds ?? 60;
  const actors = options.actors ?? 50;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gt-bench-bus-'));
  const root = path.join(dir, 'bench');
  const connections: BusConnection[] = [];
  const children: Array<ReturnType<typeof startBenchChild>> = [];
  try {
    await installTown(root, { name: 'bench' });
    const started = await startDaemonProcess(root, {});
    const config = readTownConfig(root);
    const client = await connectToTown(config, 'bench-client');
    connections.push(client);
    await hostIdleActors(root, dir, client, actors);
    const status = await requestTownStatus(client, 'bench');
    log(
      `town bench: daemon pid ${started.pid}, nats-server pid ${status.nats_pid ?? '?'}, ${status.actors.length} actors`,
    );

    const sample = createEnvelope('bead.create', {
      from: 'bench/overseer',
      to: 'bench/store',
      body: { actor: 'bench/overseer', input: { title: 'bench bead 0000000', priority: 2 } },
    });
    const first = await client.request(cmd('bench', 'bead.create'), sample);
    const replyText = JSON.stringify(first);
    const nats = townNats(config);
    const startResponder = async (subject: string, db?: string) => {
      const child = startBenchChild('raw-responder', nats, [
        subject,
        replyText,
        ...(db === undefined ? [] : [db]),
      ]);
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout?.once('data', () => resolve());
        void child.catch(reject);
      });
    };
    await startResponder('bench.raw');
    await startResponder('bench.raw-sqlite', path.join(dir, 'raw-sqlite.db'));
    const requestBytes = encode(sample);
    let n = 0;
    const { daemon, raw, durable } = await roundTrips(requests, {
      daemon: () =>
        client.request(
          cmd('bench', 'bead.create'),
          createEnvelope('bead.create', {
            from: 'bench/overseer',
            to: 'bench/store',
            body: {
              actor: 'bench/overseer',
              input: { title: `bench bead ${String(n++).padStart(7, '0')}`, priority: 2 },
            },
          }),
        ),
      raw: () => client.nats.request('bench.raw', requestBytes, { timeout: 5_000 }),
      durable: () => client.nats.request('bench.raw-sqlite', requestBytes, { timeout: 5_000 }),
    });

    for (let i = 0; i < observerCount; i++)
      connections.push(await connectToTown(config, `bench-observer-${i}`));
    const observers = connections.slice(1);
    const publisher = await connectToTown(config, 'bench-publisher');
    connections.push(publisher);
    const event = createEnvelope('bead.created', {
      from: 'bench/store',
      to: 'bench',
      body: { bead: (first.ok ? first.result : sample.body.input) as never },
    });
    const eventBytes = encode(event);
    const busEvent = () =>
      createEnvelope('bead.created', { from: event.from, to: event.to, body: event.body });
    const fanPublisher = await startFanPublisher(nats, event);
    children.push(fanPublisher.child);
    const observing = (subject: string) => (bus: BusConnection, onMessage: () => void) =>
      bus.observe(subject, (d) => {
        if (d.header() !== null) onMessage();
      });
    const rawSubscribing = (subject: string) => (bus: BusConnection, onMessage: () => void) =>
      bus.nats.subscribe(subject, { callback: () => onMessage() });
    const subject = (path: string, round: number) => `gt.bench.evt.fan.${path}${round}`;
    const paths = {
      bus: (round: number, n: number) =>
        fanOut(
          observers,
          n,
          observing(subject('bus', round)),
          fanPublisher.send('bus', subject('bus', round)),
        ),
      raw: (round: number, n: number) =>
        fanOut(
          observers,
          n,
          rawSubscribing(subject('raw', round)),
          fanPublisher.send('raw', subject('raw', round)),
        ),
      decoding: (round: number, n: number) =>
        fanOut(
          observers,
          n,
          (bus, onMessage) => bus.subscribe(subject('dec', round), () => onMessage()),
          fanPublisher.send('bus', subject('dec', round)),
        ),
      busHere: (round: number, n: number) =>
        fanOut(
          observers,
          n,
          observing(subject('bushere', round)),
          sendFrom(publisher, () => publisher.publish(subject('bushere', round), busEvent())),
        ),
      rawHere: (round: number, n: number) =>
        fanOut(
          observers,
          n,
          rawSubscribing(subject('rawhere', round)),
          sendFrom(publisher, () => publisher.nats.publish(subject('rawhere', round), eventBytes)),
        ),
    };
    // Each path is warmed up (JIT) first, then the paths alternate round by round so that load
    // from elsewhere on the machine falls on all of them alike; each reports its median round.
    const order = ['bus', 'raw', 'decoding', 'busHere', 'rawHere'] as const;
    const rates = Object.fromEntries(order.map((k) => [k, [] as number[]])) as Record<
      (typeof order)[number],
      number[]
    >;
    for (const path of order) await paths[path](0, Math.ceil(events / 10));
    for (let round = 1; round <= FAN_OUT_ROUNDS; round++)
      for (const path of order)
        rates[path].push(await paths[path](round, Math.ceil(events / FAN_OUT_ROUNDS)));
    const busRate = percentile(rates.bus, 50);
    const rawRate = percentile(rates.raw, 50);
    const decodingRate = percentile(rates.decoding, 50);
    const busHereRate = percentile(rates.busHere, 50);
    const rawHereRate = percentile(rates.rawHere, 50);

    log(`measuring the idle daemon for ${idleSeconds} s ...`);
    // The daemon and its git runner (actors/git/git-runner.ts), which it starts with its first git run.
    const runner = gitRunnerPid(started.pid);
    const processes = runner === null ? [started.pid] : [started.pid, runner];
    const cpu0 = processes.map(cpuMs);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleCpu =
      (100 * processes.reduce((sum, pid, i) => sum + cpuMs(pid) - (cpu0[i] ?? 0), 0)) / (Date.now() - t0);
    const rss = processes.reduce((sum, pid) => sum + rssMb(pid), 0);
    const withRunner = runner === null ? '' : ' with its git runner';

    const p = (xs: number[], q: number) => percentile(xs, q);
    const rows = [
      [
        'command round trip p50',
        formatMs(p(daemon, 50)),
        formatMs(p(raw, 50)),
        `${(p(daemon, 50) / p(raw, 50)).toFixed(1)}x`,
        '<= 2x raw',
        p(daemon, 50) <= 2 * p(raw, 50) ? 'PASS' : 'FAIL',
      ],
      [
        'command round trip p99',
        formatMs(p(daemon, 99)),
        formatMs(p(raw, 99)),
        `${(p(daemon, 99) / p(raw, 99)).toFixed(1)}x`,
        '-',
        '-',
      ],
      [
        'command round trip p50 (raw + the same SQLite rows)',
        formatMs(p(daemon, 50)),
        formatMs(p(durable, 50)),
        `${(p(daemon, 50) / p(durable, 50)).toFixed(1)}x`,
        '-',
        '-',
      ],
      [
        `event fan-out to ${observerCount} observers (bus.observe)`,
        formatRate(busRate),
        formatRate(rawRate),
        `${(rawRate / busRate).toFixed(1)}x`,
        '>= raw / 2',
        busRate >= rawRate / 2 ? 'PASS' : 'FAIL',
      ],
      [
        `event fan-out to ${observerCount} bus.subscribe handlers`,
        formatRate(decodingRate),
        formatRate(rawRate),
        `${(rawRate / decodingRate).toFixed(1)}x`,
        '-',
        '-',
      ],
      [
        `... observers, the publisher in their process`,
        formatRate(busHereRate),
        formatRate(rawHereRate),
        `${(rawHereRate / busHereRate).toFixed(1)}x`,
        '-',
        '-',
      ],
      [
        `daemon${withRunner} idle CPU (${status.actors.length} actors, ${idleSeconds} s)`,
        `${idleCpu.toFixed(2)} %`,
        '-',
        '-',
        '< 2 % of a core',
        idleCpu < 2 ? 'PASS' : 'FAIL',
      ],
      [
        `daemon${withRunner} RSS (${status.actors.length} actors)`,
        `${rss.toFixed(0)} MB`,
        '-',
        '-',
        '< 200 MB',
        rss < 200 ? 'PASS' : 'FAIL',
      ],
    ];
    log('');
    log(formatTable(['metric', 'town', 'raw nats', 'ratio', 'target', 'result'], rows));
  } finally {
    for (const c of children) c.kill('SIGTERM');
    for (const c of children) await c.catch(() => undefined);
    for (const c of connections) await c.close(1_000);
    await stopDaemon(root, 5_000);
    rmSync(dir, { recursive: true, force: true });
  }
}
