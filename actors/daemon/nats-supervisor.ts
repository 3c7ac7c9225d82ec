import fs from 'node:fs';
import path from 'node:path';
import { startNatsServer } from '../../bus/nats-server.js';
import type { NatsServerHandle } from '../../bus/nats-server.js';
import type { Logger } from '../logger.js';
import { townNats } from '../town/town-config.js';
import type { TownConfig, TownPaths } from '../town/town-config.js';
import { isAlive, readPid, removeFile, signalPid, waitForExit, writeFileAtomic } from './pid-files.js';

/** Restart backoff of the managed nats-server. */
export interface Backoff {
  /** First wait after an unexpected exit; default 250 ms. */
  initialMs: number;
  /** Cap of the doubling wait; default 5 s. */
  maxMs: number;
  /** Up this long, the wait goes back to `initialMs`; default 30 s. */
  resetAfterMs: number;
}

/** Options of `startNatsSupervisor`. */
export interface NatsSupervisorOptions {
  config: TownConfig;
  paths: TownPaths;
  log: Logger;
  backoff?: Partial<Backoff>;
}

/** The town's NATS: a supervised managed nats-server, or nothing to supervise (external mode). */
export interface NatsSupervisor {
  /** The first server URL. */
  readonly url: string;
  /** The managed server's current pid; null in external mode or while it restarts. */
  pid(): number | null;
  /** How many times the server was restarted after an unexpected exit. */
  restarts(): number;
  /** Stops the server for good (no more restarts). Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 5_000, resetAfterMs: 30_000 };

/** The file holding the managed nats-server's pid (to clean up after a daemon killed with -9). */
export function natsPidFile(paths: TownPaths): string {
  return path.join(paths.natsDir, 'nats.pid');
}

/**
 * Starts the town's managed nats-server (fixed port and credentials from town.json, JetStream in
 * `.gt/nats/jetstream`, loopback) and restarts it with backoff whenever it exits unexpectedly. A
 * server left over by a daemon that was killed is stopped first. External mode: nothing to start.
 */
export async function startNatsSupervisor(options: NatsSupervisorOptions): Promise<NatsSupervisor> {
  const { config, paths, log } = options;
  const url = townNats(config).servers[0] ?? '';
  if (config.nats.mode === 'external')
    return { url, pid: () => null, restarts: () => 0, stop: () => Promise.resolve() };

  const nats = config.nats;
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const pidFile = natsPidFile(paths);
  const natsLog = log.child({ component: 'nats-server' });
  fs.mkdirSync(paths.natsDir, { recursive: true });
  const leftover = await stopLeftoverNats(paths);
  if (leftover !== null)
    log.warn({ nats_pid: leftover }, 'stopped a nats-server left over by a previous daemon');
  const logStream = fs.createWriteStream(paths.natsLog, { flags: 'a' });

  const start = async (): Promise<NatsServerHandle> => {
    const handle = await startNatsServer({
      storeDir: paths.natsStore,
      configPath: paths.natsConfig,
      port: nats.port,
      jetstream: true,
      auth: { user: nats.user, password: nats.password },
      log: (line) => logStream.write(`${line}\n`),
    });
    writeFileAtomic(pidFile, `${handle.pid}\n`);
    return handle;
  };

  let current: NatsServerHandle | null = await start();
  let stopped = false;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  let wake: () => void = () => undefined;
  let delay = backoff.initialMs;

  const supervise = async (): Promise<void> => {
    while (!stopped && current !== null) {
      const handle: NatsServerHandle = current;
      const upSince = Date.now();
      const exit = await handle.exited;
      if (stopped) return;
      current = null;
      if (Date.now() - upSince >= backoff.resetAfterMs) delay = backoff.initialMs;
      natsLog.warn({ nats_pid: handle.pid, ...exit, restart_in_ms: delay }, 'nats-server exited; restarting');
      while (!stopped && current === null) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, delay);
        });
        delay = Math.min(delay * 2, backoff.maxMs);
        if (stopped) return;
        try {
          const next = await start();
          if (stopped) {
            await next.stop(2_000);
            return;
          }
          current = next;
          restarts++;
          natsLog.info({ nats_pid: next.pid, restarts }, 'nats-server restarted');
        } catch (error) {
          natsLog.error({ err: error, retry_in_ms: delay }, 'nats-server restart failed');
        }
      }
    }
  };
  const supervising = supervise().catch((error: unknown) =>
    natsLog.error({ err: error }, 'nats-server supervision failed'),
  );

  let stopping: Promise<void> | undefined;
  return {
    url,
    pid: () => current?.pid ?? null,
    restarts: () => restarts,
    stop: () => {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        wake();
        await current?.stop(2_000);
        await supervising;
        removeFile(pidFile);
        await new Promise<void>((resolve) => logStream.end(resolve));
      })();
      return stopping;
    },
  };
}

/**
 * Stops a managed nats-server left running by a daemon that died without cleanup (its pid file
 * names a live nats-server using this town's config). Returns its pid, or null when there was none.
 */
export async function stopLeftoverNats(paths: TownPaths): Promise<number | null> {
  const pidFile = natsPidFile(paths);
  const pid = readPid(pidFile);
  if (pid === null || !isAlive(pid, paths.natsConfig)) {
    removeFile(pidFile);
    return null;
  }
  signalPid(pid, 'SIGTERM');
  if (!(await waitForExit(pid, 3_000))) {
    signalPid(pid, 'SIGKILL');
    await waitForExit(pid, 2_000);
  }
  removeFile(pidFile);
  return pid;
}
