import type { Command } from 'commander';
import type { TownStatusReply } from '../../../actors/daemon/daemon.js';
import { startDaemonProcess, stopDaemon } from '../../../actors/daemon/daemon-control.js';
import { daemonPid, requestTownStatus } from '../../../actors/daemon/town-client.js';
import { installTown } from '../../../actors/town/install.js';
import { readTownConfig, requireTownRoot, townNats } from '../../../actors/town/town-config.js';
import type { ActorStatus } from '../../../actors/host/contract.js';
import { printJson, printLines, UsageError } from '../../bd/output.js';
import { connectTown } from '../connect.js';
import type { GtGlobalOptions } from '../program.js';

function globals<T>(cmd: Command): T & GtGlobalOptions {
  return cmd.optsWithGlobals<T & GtGlobalOptions>();
}

function emit(o: GtGlobalOptions, value: Record<string, unknown>, human: () => string[]): void {
  if (o.json === true) printJson(value);
  else printLines(human());
}

/** Registers `gt install`, `gt up`, `gt down` and `gt status`. */
export function registerTownCommands(program: Command): void {
  program
    .command('install')
    .description('create a town in <path>: rigs/, the beads repository, town.json with a managed NATS')
    .argument('<path>', 'a new or empty directory')
    .option('--name <name>', 'town name (default: the directory name, lowercased)')
    .action(async (dir: string, _o: unknown, cmd: Command) => {
      const o = globals<{ name?: string }>(cmd);
      const town = await installTown(dir, o.name === undefined ? {} : { name: o.name });
      const port = town.config.nats.mode === 'managed' ? town.config.nats.port : null;
      emit(o, { town: town.name, root: town.paths.root, prefix: town.prefix, nats_port: port }, () => [
        `Installed town ${town.name} at ${town.paths.root} (beads prefix ${town.prefix}, NATS port ${port})`,
        `Start it with: gt --town ${town.paths.root} up`,
      ]);
    });

  program
    .command('up')
    .description('start the town daemon in the background (nothing to do when it is running)')
    .option('--timeout <ms>', 'how long to wait for the daemon to be ready', '15000')
    .action(async (_o: unknown, cmd: Command) => {
      const o = globals<{ timeout: string }>(cmd);
      const root = requireTownRoot(process.cwd(), o.town);
      const r = await startDaemonProcess(root, { timeoutMs: positiveInt(o.timeout, '--timeout') });
      emit(o, { town: r.town, pid: r.pid, nats_url: r.url, already_running: r.already_running }, () => [
        r.already_running
          ? `Town ${r.town} is already running: daemon pid ${r.pid}, NATS ${r.url}`
          : `Town ${r.town} is up: daemon pid ${r.pid}, NATS ${r.url}`,
      ]);
    });

  program
    .command('down')
    .description('stop the town daemon: actors finish within the grace, then it exits')
    .option('--grace <ms>', 'shutdown grace (default: town.json timing.shutdown_grace_ms, else 10000)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = globals<{ grace?: string }>(cmd);
      const root = requireTownRoot(process.cwd(), o.town);
      const grace = o.grace === undefined ? undefined : positiveInt(o.grace, '--grace');
      const r = await stopDaemon(root, grace);
      emit(o, { town: r.town, pid: r.pid, stopped: r.pid !== null, killed: r.killed }, () => [
        r.pid === null
          ? `Town ${r.town} is not running`
          : `Town ${r.town} stopped (daemon pid ${r.pid}${r.killed ? ', killed after the grace' : ''})`,
      ]);
    });

  program
    .command('status')
    .description('show the town: daemon, NATS, and each actor with its state and heartbeat')
    .action(async (_o: unknown, cmd: Command) => {
      const o = globals<object>(cmd);
      const root = requireTownRoot(process.cwd(), o.town);
      const config = readTownConfig(root);
      const url = townNats(config).servers[0] ?? null;
      const pid = daemonPid(root);
      if (pid === null) {
        emit(o, { town: config.name, running: false, pid: null, nats_url: url, actors: [] }, () => [
          `Town ${config.name}: not running (start it with \`gt up\`)`,
        ]);
        return;
      }
      const { bus } = await connectTown(root);
      let status: TownStatusReply;
      try {
        status = await requestTownStatus(bus, config.name);
      } finally {
        await bus.close(1_000);
      }
      emit(o, { ...status, running: true }, () => statusLines(status));
    });
}

function statusLines(s: TownStatusReply, now = Date.now()): string[] {
  const lines = [
    `Town ${s.town}: running`,
    `  daemon  pid ${s.pid}, up since ${s.started_at}`,
    `  NATS    ${s.nats_url}${s.nats_pid === null ? '' : ` (pid ${s.nats_pid}, ${s.nats_restarts} restarts)`}`,
  ];
  if (s.actors.length === 0) return [...lines, '  no actors'];
  const width = Math.max(...s.actors.map((a) => a.address.length));
  return [...lines, '  actors', ...s.actors.map((a) => `    ${actorLine(a, width, now)}`)];
}

function actorLine(a: ActorStatus, width: number, now: number): string {
  const age =
    a.last_heartbeat_at === null
      ? 'no heartbeat yet'
      : `heartbeat ${Math.max(0, Math.round((now - Date.parse(a.last_heartbeat_at)) / 1000))}s ago`;
  return `${a.address.padEnd(width)}  ${a.role.padEnd(9)} ${a.state.padEnd(20)} ${age}`;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError('usage.bad_option', `${flag} must be a positive whole number of ms, got "${text}"`);
  return n;
}
