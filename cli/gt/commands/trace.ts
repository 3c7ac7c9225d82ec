import type { Command } from 'commander';
import { connectToTown } from '../../../actors/daemon/daemon-control.js';
import { readTownConfig, requireTownRoot } from '../../../actors/town/town-config.js';
import { connectBus } from '../../../bus/connection.js';
import type { BusConnection } from '../../../bus/connection.js';
import { replayEvents } from '../../../bus/event-stream.js';
import { patterns } from '../../../bus/subjects.js';
import {
  formatObserved,
  isProblem,
  observe,
  observedJson,
  parseSince,
  traceOf,
} from '../../../bus/trace-format.js';
import type { Observed } from '../../../bus/trace-format.js';
import { UsageError } from '../../bd/output.js';
import type { GtGlobalOptions } from '../program.js';

interface ObserveFlags {
  json?: boolean;
  count?: string;
  timeout?: string;
}

function positive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError('usage.bad_number', `${flag} takes a positive integer, got ${text}`);
  return n;
}

/** Prints observed messages until the count is reached, the timeout passes, or SIGINT/SIGTERM. */
class Printer {
  private printed = 0;
  private finish: () => void = () => undefined;
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));
  private timer: NodeJS.Timeout | undefined;
  private readonly width: number;

  constructor(
    private readonly o: ObserveFlags,
    private readonly keep: (m: Observed) => boolean,
  ) {
    this.width = process.stdout.isTTY ? Math.max(60, process.stdout.columns) : 160;
    const timeout = positive(o.timeout, '--timeout');
    if (timeout !== undefined) this.timer = setTimeout(() => this.finish(), timeout);
    const stop = () => this.finish();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    void this.done.then(() => {
      if (this.timer !== undefined) clearTimeout(this.timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    });
  }

  print(m: Observed): void {
    const count = positive(this.o.count, '--count');
    if (!this.keep(m) || (count !== undefined && this.printed >= count)) return;
    process.stdout.write(`${this.o.json === true ? observedJson(m) : formatObserved(m, this.width)}\n`);
    this.printed++;
    if (count !== undefined && this.printed >= count) this.finish();
  }
}

async function townBus(
  o: GtGlobalOptions,
  name: string,
): Promise<{ bus: BusConnection; town: string; url: string }> {
  const root = requireTownRoot(process.cwd(), o.town);
  const config = readTownConfig(root);
  const bus = await connectToTown(config, name);
  const url =
    config.nats.mode === 'managed' ? `nats://127.0.0.1:${config.nats.port}` : (config.nats.urls[0] ?? '');
  return { bus, town: config.name, url };
}

function checkPattern(pattern: string): void {
  const tokens = pattern.split('.');
  const bad =
    pattern === '' ||
    /\s/.test(pattern) ||
    tokens.some(
      (t, i) =>
        t === '' ||
        (t.includes('>') && (t !== '>' || i !== tokens.length - 1)) ||
        (t.includes('*') && t !== '*'),
    );
  if (bad)
    throw new UsageError(
      'usage.bad_subject',
      `"${pattern}" is not a subject pattern: dot-separated tokens, * for one token, > only at the end (e.g. gt.alpha.> or gt.*.evt.>)`,
    );
}

/** Registers the observers: `gt trace` and `gt feed` (docs/observers.md). */
export function registerTraceCommands(program: Command): void {
  program
    .command('trace')
    .description('attach to any subject pattern and print every message on it (invalid ones too)')
    .argument('<pattern>', 'a NATS subject pattern: gt.alpha.>, gt.*.mail.>, gt.*.evt.bead.*')
    .option('--trace <id>', 'only messages of this trace (the 32-hex trace id of a traceparent)')
    .option('-n, --count <n>', 'exit after printing n messages')
    .option('--timeout <ms>', 'exit after this long')
    .option('--server <url>', "attach to this NATS server instead of the town's")
    .option('--user <user>', 'with --server: user')
    .option('--password <password>', 'with --server: password')
    .action(async (pattern: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<
        ObserveFlags & GtGlobalOptions & { trace?: string; server?: string; user?: string; password?: string }
      >();
      checkPattern(pattern);
      if (o.trace !== undefined && !/^[0-9a-f]{32}$/.test(o.trace))
        throw new UsageError('usage.bad_trace', `--trace takes a 32-hex trace id, got ${o.trace}`);
      positive(o.count, '--count');
      let bus: BusConnection;
      let url: string;
      if (o.server !== undefined) {
        bus = await connectBus({
          servers: o.server,
          name: 'gt-trace',
          timeoutMs: 3_000,
          ...(o.user === undefined ? {} : { user: o.user }),
          ...(o.password === undefined ? {} : { pass: o.password }),
        });
        url = o.server;
      } else ({ bus, url } = await townBus(o, 'gt-trace'));
      const printer = new Printer(o, (m) => o.trace === undefined || traceOf(m) === o.trace);
      const sub = bus.nats.subscribe(pattern, {
        callback: (_err, msg) =>
          printer.print(observe(msg.subject, msg.data, msg.headers?.get('traceparent') || undefined)),
      });
      await bus.flush();
      process.stderr.write(`tracing ${pattern} on ${url}\n`);
      await printer.done;
      sub.unsubscribe();
      await bus.close(1_000);
    });

  program
    .command('feed')
    .description("the town's event feed: live, or replayed from the event stream with --since")
    .option(
      '--since <when>',
      'replay from this time (ISO 8601) or this long ago (90s, 10m, 2h, 1d), then follow',
    )
    .option('--no-follow', 'with --since: stop after the replay')
    .option('--problems', 'only what a person must look at (docs/observers.md)')
    .option('-n, --count <n>', 'exit after printing n events')
    .option('--timeout <ms>', 'exit after this long')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<
        ObserveFlags & GtGlobalOptions & { since?: string; follow?: boolean; problems?: boolean }
      >();
      positive(o.count, '--count');
      const since = o.since === undefined ? undefined : parseSince(o.since, new Date());
      if (since === null)
        throw new UsageError(
          'usage.bad_since',
          `--since takes an ISO 8601 time or a duration like 10m, 2h, 1d; got ${o.since ?? ''}`,
        );
      const { bus, town, url } = await townBus(o, 'gt-feed');
      const printer = new Printer(o, (m) => o.problems !== true || isProblem(m));
      const seen = new Set<string>();
      const pending: Observed[] = [];
      let replaying = true;
      const show = (m: Observed) => {
        if (m.ok) {
          if (seen.has(m.envelope.id)) return;
          seen.add(m.envelope.id);
        }
        printer.print(m);
      };
      const follow = o.follow !== false;
      const sub = follow
        ? bus.nats.subscribe(patterns.events(town), {
            callback: (_err, msg) => {
              const m = observe(msg.subject, msg.data, msg.headers?.get('traceparent') || undefined);
              if (replaying) pending.push(m);
              else show(m);
            },
          })
        : null;
      await bus.flush();
      process.stderr.write(
        `feed of town ${town} on ${url}${since === undefined ? '' : ` since ${since.toISOString()}`}\n`,
      );
      if (since !== undefined) {
        for await (const r of replayEvents(bus.nats, town, { since }))
          show(
            r.ok
              ? { subject: r.subject, ok: true, envelope: r.envelope, seq: r.seq }
              : { subject: r.subject, ok: false, reason: r.error.message, raw: '', seq: r.seq },
          );
      }
      replaying = false;
      for (const m of pending.splice(0)) show(m);
      if (follow) await printer.done;
      sub?.unsubscribe();
      await bus.close(1_000);
    });
}
