import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import { unwrapReply } from '../../bus/reply.js';
import { cmd } from '../../bus/subjects.js';
import { readTownConfig, townPaths } from '../town/town-config.js';
import type { TownConfig, TownPaths } from '../town/town-config.js';
import { TownError } from '../town/town-errors.js';
import { findUpwards } from '../session/package-bin.js';
import { stopLeftoverNats } from './nats-supervisor.js';
import { isAlive, readReady, removeFile, signalPid, waitForExit } from './pid-files.js';
import type { ReadyInfo } from './pid-files.js';
import { connectToTown, daemonPid, requestTownStatus } from './town-client.js';

/** A daemon that answers: what `gt up` prints. */
export interface DaemonStarted extends ReadyInfo {
  town: string;
  /** True when it was already running and nothing was started. */
  already_running: boolean;
}

/** What `stopDaemon` did. */
export interface DaemonStopped {
  town: string;
  /** The daemon's pid, or null when it was not running. */
  pid: number | null;
  /** True when it had to be killed with SIGKILL after the grace. */
  killed: boolean;
}

/**
 * The daemon entry script: `actors/daemon/daemon-main.js` of the compiled tree (findUpwards), so it
 * resolves both from dist/ itself and from the bundled CLIs in dist/cli-bundle/ (which run `gt up`).
 */
export function daemonEntry(): string {
  return (
    findUpwards(path.join('actors', 'daemon', 'daemon-main.js')) ??
    fileURLToPath(new URL('./daemon-main.js', import.meta.url))
  );
}

/**
 * Starts the daemon as a detached background process (`node daemon-main.js <root>`, output appended
 * to `.gt/daemon.log`) and waits until its ready file names it and it answers `town.status`. A
 * daemon that is already running is reported, not started again. A daemon that exits first is a
 * TownError (`town.start_failed`) carrying the end of its log.
 */
export async function startDaemonProcess(
  root: string,
  options: { timeoutMs?: number; entry?: string } = {},
): Promise<DaemonStarted> {
  const paths = townPaths(root);
  const config = readTownConfig(paths.root);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const running = daemonPid(paths.root);
  if (running !== null) {
    const ready = await waitReady(config, paths, running, () => null, timeoutMs);
    return { ...ready, town: config.name, already_running: true };
  }
  fs.mkdirSync(paths.runtime, { recursive: true, mode: 0o700 });
  const logOffset = fs.existsSync(paths.logFile) ? fs.statSync(paths.logFile).size : 0;
  // execa's types list file descriptors 3 to 9 only; any open descriptor works.
  const out = fs.openSync(paths.logFile, 'a') as 3;
  let exit: string | null = null;
  let pid: number | undefined;
  try {
    const child = execa(process.execPath, [options.entry ?? daemonEntry(), paths.root], {
      cwd: paths.root,
      detached: true,
      cleanup: false,
      stdio: ['ignore', out, out],
    });
    pid = child.pid;
    const ended = (r: { signal?: string | undefined; exitCode?: number | undefined }) =>
      (exit = r.signal ?? `code ${r.exitCode ?? '?'}`);
    void child.then(ended, ended);
    child.unref();
  } finally {
    fs.closeSync(out);
  }
  if (pid === undefined)
    throw new TownError('town.start_failed', `cannot start the daemon: ${logTail(paths.logFile, logOffset)}`);
  try {
    const ready = await waitReady(config, paths, pid, () => exit, timeoutMs);
    return { ...ready, town: config.name, already_running: false };
  } catch (error) {
    if (!(error instanceof TownError) || error.code !== 'town.start_failed') throw error;
    // Another `gt up` started a daemon at the same time and that one holds the pid file: ours gave
    // way (town.already_running), and the town is up.
    const winner = daemonPid(paths.root);
    if (winner !== null && winner !== pid) {
      const ready = await waitReady(config, paths, winner, () => null, timeoutMs);
      return { ...ready, town: config.name, already_running: true };
    }
    throw new TownError(
      'town.start_failed',
      `${error.message}: ${logTail(paths.logFile, logOffset)} (full log: ${paths.logFile})`,
      { details: { pid, log: paths.logFile } },
    );
  }
}

async function waitReady(
  config: TownConfig,
  paths: TownPaths,
  pid: number,
  exited: () => string | null,
  timeoutMs: number,
): Promise<ReadyInfo> {
  const deadline = Date.now() + timeoutMs;
  let bus: BusConnection | undefined;
  try {
    for (;;) {
      const why = exited() ?? (isAlive(pid) ? null : 'exited');
      if (why !== null)
        throw new TownError(
          'town.start_failed',
          `the daemon (pid ${pid}) stopped before it was ready (${why})`,
        );
      const ready = readReady(paths.readyFile);
      if (ready?.pid === pid) {
        try {
          bus ??= await connectToTown(config, 'gt-cli');
          await requestTownStatus(bus, config.name, 2_000);
          return ready;
        } catch {
          // not answering yet
        }
      }
      if (Date.now() >= deadline)
        throw new TownError(
          'town.start_timeout',
          `the daemon (pid ${pid}) was not ready within ${timeoutMs} ms: see ${paths.logFile}`,
          { details: { pid } },
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await bus?.close(1_000);
  }
}

/**
 * Stops the daemon: `town.stop` over the bus (SIGTERM when the bus does not answer), waits for the
 * pid to exit, SIGKILL after the grace (plus 3 s for the nats-server), then removes stale pid and
 * ready files and any nats-server left behind.
 */
export async function stopDaemon(root: string, graceMs?: number): Promise<DaemonStopped> {
  const paths = townPaths(root);
  const config = readTownConfig(paths.root);
  const grace = graceMs ?? config.timing?.shutdown_grace_ms ?? 10_000;
  const pid = daemonPid(paths.root);
  let killed = false;
  if (pid !== null) {
    if (!(await requestStop(config, grace))) signalPid(pid, 'SIGTERM');
    if (!(await waitForExit(pid, grace + 3_000))) {
      signalPid(pid, 'SIGKILL');
      killed = true;
      await waitForExit(pid, 2_000);
    }
  }
  if (daemonPid(paths.root) === null) {
    removeFile(paths.pidFile);
    removeFile(paths.readyFile);
    await stopLeftoverNats(paths);
  }
  return { town: config.name, pid, killed };
}

async function requestStop(config: TownConfig, graceMs: number): Promise<boolean> {
  let bus: BusConnection | undefined;
  try {
    bus = await connectToTown(config, 'gt-cli');
    const envelope = createEnvelope('town.stop', {
      from: `${config.name}/overseer`,
      to: config.name,
      body: { grace_ms: graceMs },
    });
    unwrapReply(await bus.request(cmd(config.name, 'town.stop'), envelope, { timeoutMs: 3_000 }));
    return true;
  } catch {
    return false;
  } finally {
    await bus?.close(1_000);
  }
}

/** The daemon's log written since `offset`, as the messages of its warnings and errors (or raw lines). */
function logTail(file: string, offset: number): string {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8').slice(offset);
  } catch {
    return 'no log';
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const messages = lines.flatMap((line) => {
    try {
      const rec = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((rec.level ?? 0) < 40) return [];
      return [rec.err?.message ?? rec.msg ?? line];
    } catch {
      return [line];
    }
  });
  return (messages.length > 0 ? messages : lines).slice(-5).join(' | ') || 'the log is empty';
}
