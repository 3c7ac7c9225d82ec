import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pino from 'pino';
import { setAgent } from '../../../actors/runtime/agent-config.js';
import { tmuxSocket } from '../../../actors/runtime/tmux.js';
import { startSessionKeepers } from '../../../actors/session/session-keeper.js';
import type { SessionKeepers } from '../../../actors/session/session-keeper.js';
import { readTownConfig, townPaths, writeTownConfig } from '../../../actors/town/town-config.js';
import { SqliteBeadStore } from '../../../beads/store.js';
import { connectBus } from '../../../bus/connection.js';
import type { BusConnection } from '../../../bus/connection.js';
import { startTestNats } from '../../harness/nats-server.js';
import type { TestNats } from '../../harness/nats-server.js';

/**
 * A stand-in agent: prints its role, address and cwd, then a `❯ ` prompt, and echoes every line typed
 * into it (`got: <line>`). Configure it with `standInAgent(root)` as the custom agent `stand`.
 */
export const STAND_IN_PROGRAM =
  'echo "role=$GT_ROLE addr=$GT_AGENT_ADDRESS actor=$BD_ACTOR cwd=$(pwd)"; ' +
  'while true; do printf "❯ "; read -r l || exit; echo "got: $l"; done';

/** Adds the custom agent `stand` (STAND_IN_PROGRAM) to the town. */
export function standInAgent(root: string): void {
  setAgent(root, 'stand', { command: '/bin/sh', args: ['-c', STAND_IN_PROGRAM], ready_prompt: '❯ ' });
}

/** The pane pid of tmux session `name` on the town's socket, or null when there is no such session. */
export async function panePid(town: string, name: string): Promise<number | null> {
  const r = await execa(
    'tmux',
    ['-L', tmuxSocket(town), 'display-message', '-p', '-t', `=${name}:`, '#{pane_pid}'],
    { reject: false },
  );
  const pid = Number.parseInt(String(r.stdout).trim(), 10);
  return r.exitCode === 0 && Number.isInteger(pid) ? pid : null;
}

/** The screen of tmux session `name`. */
export async function screen(town: string, name: string): Promise<string> {
  const r = await execa('tmux', ['-L', tmuxSocket(town), 'capture-pane', '-p', '-J', '-t', `=${name}:`], {
    reject: false,
  });
  return String(r.stdout);
}

/** Kills the town's tmux server (every session a test started there) and removes its socket file. */
export async function killTmuxServer(town: string): Promise<void> {
  await execa('tmux', ['-L', tmuxSocket(town), 'kill-server'], { reject: false });
  const dir = path.join(process.env['TMUX_TMPDIR'] ?? '/tmp', `tmux-${os.userInfo().uid}`);
  fs.rmSync(path.join(dir, tmuxSocket(town)), { force: true });
}

/**
 * Serves a town's session commands without its daemon: the town is switched to an external test
 * nats-server (so `gt` connects to it) and session keepers run in this process on its store.
 */
export interface ServedTown {
  nats: TestNats;
  bus: BusConnection;
  keepers: SessionKeepers;
  stop(): Promise<void>;
}

export async function serveSessions(root: string): Promise<ServedTown> {
  const nats = await startTestNats({ jetstream: false });
  const config = readTownConfig(root);
  writeTownConfig(root, { ...config, nats: { mode: 'external', urls: [nats.url] } });
  const bus = await connectBus({ servers: nats.url, name: 'session-test' });
  const paths = townPaths(root);
  const store = SqliteBeadStore.open(paths.dbPath);
  const keepers = startSessionKeepers({
    town: config.name,
    paths,
    config: readTownConfig(root),
    bus,
    store,
    log: pino({ level: 'silent' }),
    checkMs: 100,
    backoff: { baseMs: 200 },
  });
  return {
    nats,
    bus,
    keepers,
    async stop() {
      await keepers.stop(1_000);
      await bus.close(500);
      await nats.stop();
      store.close();
      writeTownConfig(root, config);
    },
  };
}
