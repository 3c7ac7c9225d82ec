import type { Command } from 'commander';
import type { Msg } from '@nats-io/transport-node';
import { readTownConfig, requireTownRoot, townNats, townPaths } from '../../../actors/town/town-config.js';
import { connectBus } from '../../../bus/connection.js';
import type { BusConnection } from '../../../bus/connection.js';
import { parseSince, parseTimeoutMs } from '../../../bus/duration.js';
import { BusError } from '../../../bus/errors.js';
import { eventStreamName, replayEvents } from '../../../bus/event-stream.js';
import {
  FeedMerger,
  formatObserved,
  observeMessage,
  observeReplayed,
  observedProblem,
  observedRecord,
  parseTraceArg,
  patternIncludesRaw,
  patternProblem,
  replayError,
  traceFilter,
  unreachableError,
} from '../../../bus/observer.js';
import type { Observed, ObserverTarget } from '../../../bus/observer.js';
import { patterns } from '../../../bus/subjects.js';
import { UsageError } from '../../bd/output.js';
import type { GtGlobalOptions } from '../program.js';

/** Flags both observers take. */
interface ObserveFlags extends GtGlobalOptions {
  count?: string;
  timeout?: string;
}

interface TraceFlags extends ObserveFlags {
  trace?: string;
  server?: string;
  user?: string;
  password?: string;
}

interface FeedFlags extends ObserveFlags {
  since?: string;
  follow?: boolean;
  problems?: boolean;
}

/** How long after a replay a live duplicate of a replayed event may still arrive. */
const LATE_DUPLICATE_MS = 30_000;

function countOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0)
    throw new UsageError('usage.bad_count', `--count takes a positive integer, got "${text}"`);
  return n;
}

function timeoutOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseTimeoutMs(text);
  if (ms === null)
    throw new UsageError(
      'usage.bad_timeout',
      `--timeout takes milliseconds or a duration like 30s, 5m; got "${text}"`,
    );
  return ms;
}

/**
 * Prints observed messages (a line each, or a JSON record with --json) until --count is reached,
 * --timeout passes, SIGINT/SIGTERM arrives or stdout closes; `done` resolves then.
 */
class Printer {
  private printed = 0;
  private stopped = false;
  private resolve: () => void = () => undefined;
  /** Resolves once the observer should stop. */
  readonly done = new Promise<void>((r) => (this.resolve = r));
  private readonly cleanups: Array<() => void> = [];

  constructor(
    private readonly json: boolean,
    private readonly count: number | undefined,
    timeoutMs: number | undefined,
  ) {
    const stop = () => this.finish();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // Kept after the end: a write failing late (EPIPE once `| head` has gone) must not crash.
    process.stdout.on('error', stop);
    this.cleanups.push(() => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    });
    if (timeoutMs !== undefined) {
      const timer = setTimeout(stop, timeoutMs);
      this.cleanups.push(() => clearTimeout(timer));
    }
  }

  /** True once the observer should stop. */
  get finished(): boolean {
    return this.stopped;
  }

  print(o: Observed): void {
    if (this.stopped) return;
    const out = process.stdout;
    if (out.destroyed) return this.finish();
    const line = this.json
      ? JSON.stringify(observedRecord(o))
      : formatObserved(o, {
          width: out.isTTY ? Math.max(40, out.columns) : 160,
          color: out.isTTY && (process.env['NO_COLOR'] ?? '') === '',
        });
    out.write(`${line}\n`);
    this.printed++;
    if (this.count !== undefined && this.printed >= this.count) this.finish();
  }

  finish(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.cleanups) c();
    this.resolve();
  }
}

/** Connects an observer, turning a failed first connect into an error that says what to do. */
async function attach(
  target: ObserverTarget,
  connect: { servers: string[]; user?: string; pass?: string },
  name: string,
): Promise<BusConnection> {
  let bus: BusConnection;
  try {
    bus = await connectBus({ ...connect, name, timeoutMs: 3_000 });
  } catch (error) {
    throw unreachableError(error, target);
  }
  void reportStatus(bus, target.url);
  return bus;
}

/** Tells the person on stderr when the bus goes away and comes back (the client reconnects forever). */
async function reportStatus(bus: BusConnection, url: string): Promise<void> {
  for await (const s of bus.nats.status()) {
    if (bus.isClosing) return;
    if (s.type === 'disconnect') process.stderr.write(`lost the bus at ${url}; reconnecting…\n`);
    else if (s.type === 'reconnect') process.stderr.write(`reconnected to ${url}\n`);
  }
}

/** The town's bus: found from --town, $GT_TOWN or the directories above. */
async function attachTown(
  o: GtGlobalOptions,
  name: string,
): Promise<{ bus: BusConnection; town: string; url: string }> {
  const root = requireTownRoot(process.cwd(), o.town);
  const config = readTownConfig(root);
  const nats = townNats(config);
  const url = nats.servers.join(',');
  const bus = await attach(
    { url, town: config.name, mode: config.nats.mode, configFile: townPaths(root).config },
    nats,
    name,
  );
  return { bus, town: config.name, url };
}

function toRaw(msg: Msg): Observed {
  return observeMessage({
    subject: msg.subject,
    data: msg.data,
    reply: msg.reply ?? '',
    traceparent: msg.headers?.get('traceparent') ?? '',
  });
}

/** Stops a raw subscription and closes the bus, pending messages first. */
async function detach(bus: BusConnection, sub: { drain(): Promise<void>; isClosed(): boolean } | null) {
  if (sub !== null && !sub.isClosed() && !bus.nats.isClosed()) await sub.drain().catch(() => undefined);
  await bus.close(1_000);
}

async function trace(pattern: string, o: TraceFlags): Promise<void> {
  const problem = patternProblem(pattern);
  if (problem !== null)
    throw new UsageError(
      'usage.bad_subject',
      `"${pattern}" is not a subject pattern: ${problem} (e.g. gt.alpha.>, gt.*.mail.>, gt.*.evt.>)`,
    );
  const traceId = o.trace === undefined ? undefined : parseTraceArg(o.trace);
  if (traceId === null)
    throw new UsageError(
      'usage.bad_trace',
      `--trace takes a trace id (32 hex, or its first 8 or more), or a traceparent; got "${o.trace ?? ''}"`,
    );
  const count = countOf(o.count);
  const timeoutMs = timeoutOf(o.timeout);
  if (o.server === undefined && (o.user !== undefined || o.password !== undefined))
    throw new UsageError('usage.credentials_without_server', '--user and --password go with --server <url>');
  let bus: BusConnection;
  let url: string;
  if (o.server === undefined) ({ bus, url } = await attachTown(o, 'gt-trace'));
  else {
    url = o.server;
    bus = await attach(
      { url },
      {
        servers: [o.server],
        ...(o.user === undefined ? {} : { user: o.user }),
        ...(o.password === undefined ? {} : { pass: o.password }),
      },
      'gt-trace',
    );
  }
  const printer = new Printer(o.json === true, count, timeoutMs);
  const keep = traceId === undefined ? () => true : traceFilter(traceId);
  let failure: BusError | undefined;
  const sub = bus.nats.subscribe(pattern, {
    callback: (err, msg) => {
      if (err !== null) {
        failure = new BusError('bus.subscription_failed', `cannot trace ${pattern}: ${err.message}`, {
          cause: err,
        });
        printer.finish();
        return;
      }
      const m = toRaw(msg);
      if (keep(m)) printer.print(m);
    },
  });
  try {
    await bus.flush();
    const notes = [
      ...(traceId === undefined ? [] : [`trace ${traceId}`]),
      ...(patternIncludesRaw(pattern) ? ['includes raw traffic outside gt., e.g. replies on _INBOX.'] : []),
    ];
    process.stderr.write(
      `tracing ${pattern} on ${url}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}\n`,
    );
    await printer.done;
  } finally {
    printer.finish();
    await detach(bus, sub);
  }
  if (failure !== undefined) throw failure;
}

async function feed(o: FeedFlags): Promise<void> {
  const since = o.since === undefined ? undefined : parseSince(o.since, new Date());
  if (since === null)
    throw new UsageError(
      'usage.bad_since',
      `--since takes an ISO 8601 time or a duration like 10m, 2h, 1d; got "${o.since ?? ''}"`,
    );
  const follow = o.follow !== false;
  if (!follow && since === undefined)
    throw new UsageError('usage.no_follow_without_since', '--no-follow goes with --since <when>');
  const count = countOf(o.count);
  const timeoutMs = timeoutOf(o.timeout);
  const { bus, town, url } = await attachTown(o, 'gt-feed');
  const printer = new Printer(o.json === true, count, timeoutMs);
  const keep = o.problems === true ? (m: Observed) => observedProblem(m) !== null : () => true;
  const emit = (list: readonly Observed[]) => {
    for (const m of list) if (keep(m)) printer.print(m);
  };
  const merger = new FeedMerger({ replaying: since !== undefined });
  const sub = follow
    ? bus.nats.subscribe(patterns.events(town), {
        callback: (err, msg) => {
          if (err === null) emit(merger.live(toRaw(msg)));
        },
      })
    : null;
  let forget: NodeJS.Timeout | undefined;
  try {
    await bus.flush();
    const from = since === undefined ? '' : ` since ${since.toISOString()}`;
    process.stderr.write(
      `feed of town ${town} on ${url}${from}${follow ? (since === undefined ? ', live' : ', then live') : ''}\n`,
    );
    if (since !== undefined) {
      try {
        for await (const r of replayEvents(bus.nats, town, { since })) {
          if (printer.finished) break;
          emit(merger.replayed(observeReplayed(r)));
        }
      } catch (error) {
        throw replayError(error, town, eventStreamName(town));
      }
      emit(merger.endReplay());
      forget = setTimeout(() => merger.forgetReplayed(), LATE_DUPLICATE_MS);
      forget.unref();
    }
    if (follow) await printer.done;
  } finally {
    clearTimeout(forget);
    printer.finish();
    await detach(bus, sub);
  }
}

/**
 * Registers the observers (docs/observers.md): `gt trace <pattern>`, any subject with invalid traffic
 * shown, and `gt feed`, the town's event feed, live or replayed from the event stream.
 */
export function registerObserverCommands(program: Command): void {
  program
    .command('trace')
    .description(
      'attach to a subject pattern and print every message on it, invalid ones too (--json: JSON lines)',
    )
    .argument(
      '<pattern>',
      'NATS subject pattern: gt.alpha.>, gt.*.mail.>, gt.*.evt.>; > or *.… also show raw traffic (replies on _INBOX.)',
    )
    .option(
      '--trace <id>',
      'only messages of this trace: its 32-hex id (or the first 8+ hex), or a traceparent',
    )
    .option('-n, --count <n>', 'exit after printing n messages')
    .option('--timeout <ms>', 'exit after this long (milliseconds, or 30s, 5m)')
    .option('--server <url>', "attach to this NATS server instead of the town's (no town needed)")
    .option('--user <user>', 'with --server: user')
    .option('--password <password>', 'with --server: password')
    .action(async (pattern: string, _o: unknown, c: Command) =>
      trace(pattern, c.optsWithGlobals<TraceFlags>()),
    );

  program
    .command('feed')
    .description("the town's event feed: live, or replayed from the event stream with --since, then live")
    .option('--since <when>', 'replay from an ISO 8601 time or from this long ago (90s, 10m, 2h, 1d)')
    .option('--no-follow', 'with --since: stop after the replay')
    .option('--problems', 'only what a person must look at (stalled, failed, escalated, invalid, ...)')
    .option('-n, --count <n>', 'exit after printing n events')
    .option('--timeout <ms>', 'exit after this long (milliseconds, or 30s, 5m)')
    .action(async (_o: unknown, c: Command) => feed(c.optsWithGlobals<FeedFlags>()));
}
