import fs from 'node:fs';
import pino from 'pino';
import { connectBus } from '../../bus/connection.js';
import type { BusConnection, BusLog } from '../../bus/connection.js';
import { ensureEventStream } from '../../bus/event-stream.js';
import { cmd } from '../../bus/subjects.js';
import type { TownHost } from '../host/contract.js';
import { GitRunner } from '../git/git-runner.js';
import { useGitRunner } from '../git/git.js';
import { startTownHost } from '../host/town-host.js';
import { createRootLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import { readTownConfig, townNats, townPaths } from '../town/town-config.js';
import type { TownConfig, TownPaths } from '../town/town-config.js';
import { TownError } from '../town/town-errors.js';
import { startNatsSupervisor } from './nats-supervisor.js';
import type { NatsSupervisor } from './nats-supervisor.js';
import { claimPidFile, DAEMON_MARKER, isAlive, readPid, removeFile, writeFileAtomic } from './pid-files.js';
import type { ReadyInfo } from './pid-files.js';

/** Shutdown grace when town.json has no `timing.shutdown_grace_ms`. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** The reply of `gt.<town>.cmd.town.status`. */
export interface TownStatusReply {
  town: string;
  pid: number;
  nats_url: string;
  /** The managed nats-server's pid; null in external mode or while it restarts. */
  nats_pid: number | null;
  nats_restarts: number;
  started_at: string;
  actors: ReturnType<TownHost['status']>;
}

interface Running {
  config: TownConfig;
  paths: TownPaths;
  log: Logger;
  supervisor?: NatsSupervisor;
  bus?: BusConnection;
  host?: TownHost;
  gitRunner?: GitRunner;
}

/**
 * Runs the town daemon in this process until SIGTERM, SIGINT or a `town.stop` command: pid file,
 * managed nats-server, bus, event stream, actor host, the `town.status`/`town.stop` commands, then
 * the ready file. Resolves with the exit code (0 after an orderly stop, 1 after a failure).
 */
export async function runDaemon(root: string): Promise<number> {
  const paths = townPaths(root);
  const config = readTownConfig(paths.root);
  fs.mkdirSync(paths.runtime, { recursive: true, mode: 0o700 });
  const log = createRootLogger({ file: paths.logFile, town: config.name });
  const running: Running = { config, paths, log };
  const grace = config.timing?.shutdown_grace_ms ?? DEFAULT_SHUTDOWN_GRACE_MS;

  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  let startup: Promise<void> = Promise.resolve();
  let shutting: Promise<void> | undefined;
  const shutdown = (reason: string, code: number, graceMs = grace): void => {
    shutting ??= startup
      .catch(() => undefined)
      .then(() => stopAll(running, reason, graceMs))
      .then(
        () => resolveExit(code),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          resolveExit(1);
        },
      );
  };
  const fail = (error: unknown): void => {
    log.fatal({ err: error }, 'daemon failed');
    shutdown('failure', 1);
  };
  const onSignal = (signal: NodeJS.Signals) => shutdown(signal, 0);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  try {
    acquirePidFile(paths, config.name);
    startup = start(running, (graceMs) => shutdown('town.stop', 0, graceMs ?? grace));
    await startup;
  } catch (error) {
    if (error instanceof TownError && error.code === 'town.already_running') {
      log.error({ err: error }, error.message);
      resolveExit(1);
    } else fail(error);
  }
  const code = await exited;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  process.off('uncaughtException', fail);
  process.off('unhandledRejection', fail);
  await flush(log);
  return code;
}

async function start(running: Running, requestStop: (graceMs?: number) => void): Promise<void> {
  const { config, paths, log } = running;
  const town = config.name;
  const startedAt = new Date().toISOString();
  log.info({ root: paths.root }, 'daemon starting');
  running.gitRunner = new GitRunner();
  useGitRunner(running.gitRunner);
  running.supervisor = await startNatsSupervisor({ config, paths, log });
  const supervisor = running.supervisor;
  running.bus = await connectBus({ ...townNats(config), name: `gt-daemon ${town}`, log: busLog(log) });
  const bus = running.bus;
  await ensureEventStream(bus.nats, town);
  running.host = await startTownHost({ town, paths, config, bus, log });
  const host = running.host;

  bus.subscribe(cmd(town, 'town.status'), (): TownStatusReply => ({
    town,
    pid: process.pid,
    nats_url: supervisor.url,
    nats_pid: supervisor.pid(),
    nats_restarts: supervisor.restarts(),
    started_at: startedAt,
    actors: host.status(),
  }));
  bus.subscribe(cmd(town, 'town.stop'), (envelope) => {
    const graceMs = envelope.type === 'town.stop' ? envelope.body.grace_ms : undefined;
    log.info({ from: envelope.from, grace_ms: graceMs }, 'stop requested');
    setImmediate(() => requestStop(graceMs));
    return { stopping: true, pid: process.pid };
  });
  await bus.flush();
  const ready: ReadyInfo = { pid: process.pid, url: supervisor.url, started_at: startedAt };
  writeFileAtomic(paths.readyFile, `${JSON.stringify(ready)}\n`);
  log.info({ url: ready.url, nats_pid: supervisor.pid() }, 'daemon ready');
}

async function stopAll(running: Running, reason: string, graceMs: number): Promise<void> {
  const { paths, log } = running;
  log.info({ reason, grace_ms: graceMs }, 'daemon stopping');
  if (readPid(paths.pidFile) === process.pid) removeFile(paths.readyFile);
  const deadline = Date.now() + graceMs;
  const step = async (what: string, run: () => Promise<void> | undefined): Promise<void> => {
    try {
      await run();
    } catch (error) {
      log.error({ err: error }, `${what} failed during shutdown`);
    }
  };
  await step('host.stop', () => running.host?.stop(graceMs));
  useGitRunner(null);
  await step('git runner stop', () => running.gitRunner?.stop(Math.max(0, deadline - Date.now())));
  await step('bus.close', () => running.bus?.close(Math.max(0, deadline - Date.now())));
  await step('nats stop', () => running.supervisor?.stop());
  if (readPid(paths.pidFile) === process.pid) removeFile(paths.pidFile);
  log.info({ reason }, 'daemon stopped');
}

/** Claims `.gt/daemon.pid` for this process; a live daemon already there is `town.already_running`. */
function acquirePidFile(paths: TownPaths, town: string): void {
  const claim = claimPidFile(paths.pidFile, (pid) => isAlive(pid, DAEMON_MARKER));
  if (claim === 'claimed') return;
  if (claim === 'busy')
    throw new TownError(
      'town.pid_file_busy',
      `cannot claim ${paths.pidFile}: another daemon is starting; retry \`gt up\``,
    );
  throw new TownError(
    'town.already_running',
    `town ${town} is already running (daemon pid ${claim.pid}): stop it with \`gt down\``,
    { details: { pid: claim.pid } },
  );
}

function busLog(log: Logger): BusLog {
  const bus = log.child({ component: 'bus' });
  return (level, msg, fields) => bus[level](fields ?? {}, msg);
}

/** Waits until the log file is open (a daemon failing at once must not exit before), then flushes. */
async function flush(log: Logger): Promise<void> {
  const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    { fd?: number; once?: (event: string, listener: () => void) => void } | undefined;
  if (stream?.fd !== undefined && stream.fd < 0 && stream.once !== undefined) {
    const once = stream.once.bind(stream);
    await new Promise<void>((resolve) => {
      once('ready', resolve);
      once('error', resolve);
    });
  }
  await new Promise<void>((resolve) => log.flush(() => resolve()));
}
