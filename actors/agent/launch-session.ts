import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { resolveAgent } from '../runtime/agent-config.js';
import { buildLaunch } from '../runtime/presets.js';
import type { AgentPreset } from '../runtime/presets.js';
import type { AgentRuntime, SessionHandle } from '../runtime/provider.js';
import { writeRoleContext } from '../runtime/role-context.js';
import { ScriptedRuntime, scriptedCommand } from '../runtime/scripted.js';
import { TmuxRuntime } from '../runtime/tmux.js';
import { waitReady } from '../runtime/wait-ready.js';
import { readTownConfig } from '../town/town-config.js';
import type { TownConfig, TownPaths } from '../town/town-config.js';
import { packageBin } from '../session/package-bin.js';
import { sessionLogPath } from './session-paths.js';

/** Niceness of polecat sessions when town.json's `polecat_nice` does not say. */
export const DEFAULT_POLECAT_NICE = 19;

/** What a session of an agent is started with. */
export interface AgentSessionOptions {
  town: string;
  paths: TownPaths;
  config: TownConfig;
  /** `alpha/web/polecats/nux`. */
  address: string;
  role: 'polecat' | 'crew' | 'mayor';
  rig: string | null;
  cwd: string;
  /** Preset name: `--agent` of the sling, else the rig's, else the town's default. */
  agent?: string | null;
  rigAgent?: string | undefined;
  /** The beacon's topic (`assigned`, `fix`, `conflict`, `handoff`). */
  topic: string;
  /** Extra environment of this session. */
  env?: Record<string, string>;
  log: Logger;
  /** Milliseconds to wait for the agent to be ready; default: the preset's. */
  readyTimeoutMs?: number;
}

/** A started session and the runtime that runs it. */
export interface AgentSession {
  handle: SessionHandle;
  runtime: AgentRuntime;
  preset: AgentPreset;
}

/** The runtime adapters of a town, one each (tmux keeps one socket per town). */
export class Runtimes {
  private tmux: TmuxRuntime | undefined;
  private scripted: ScriptedRuntime | undefined;
  constructor(private readonly town: string) {}

  /** The adapter for a preset: the scripted agent runs headless, every other agent in tmux. */
  forPreset(preset: AgentPreset): AgentRuntime {
    return preset.name === 'scripted' ? this.forKind('scripted') : this.forKind('tmux');
  }

  forKind(kind: SessionHandle['kind']): AgentRuntime {
    if (kind === 'tmux') return (this.tmux ??= new TmuxRuntime({ town: this.town }));
    return (this.scripted ??= new ScriptedRuntime());
  }
}

/** The environment every agent session of the town gets (its identity and how to reach the town). */
export function agentEnv(
  options: Pick<AgentSessionOptions, 'paths' | 'address' | 'role' | 'rig'>,
): Record<string, string> {
  const bin = path.dirname(packageBin('gt.js'));
  return {
    GT_TOWN: options.paths.root,
    GT_ROLE: options.role,
    ...(options.rig === null ? {} : { GT_RIG: options.rig }),
    GT_AGENT_ADDRESS: options.address,
    GT_ADDRESS: options.address,
    BD_ACTOR: options.address,
    GT_BIN: path.join(bin, 'gt.js'),
    BD_BIN: path.join(bin, 'bd.js'),
    BEADS_DIR: options.paths.beadsDir,
    PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`,
  };
}

/**
 * Starts one session of an agent: resolves the preset (`--agent` > rig > town default), writes its
 * role context into the workspace, launches it under the preset's runtime with the session log in
 * `.gt/sessions/`, waits until it is ready, and types the startup nudges its preset needs.
 */
export async function startAgentSession(options: AgentSessionOptions): Promise<AgentSession> {
  // town.json is read again: `gt config agent` and `default-agent` apply to the next session.
  let config = options.config;
  try {
    config = readTownConfig(options.paths.root);
  } catch (err) {
    options.log.warn({ err }, 'town.json unreadable: using the configuration the daemon started with');
  }
  const preset = resolveAgent(config, {
    ...(options.agent === null || options.agent === undefined ? {} : { override: options.agent }),
    rig: options.rigAgent === undefined ? {} : { agent: options.rigAgent },
  });
  const runtime = new Runtimes(options.town).forPreset(preset);
  await writeRoleContext(preset, options.cwd, options.role);
  const startedAt = new Date();
  const logFile = sessionLogPath(options.paths, options.address, startedAt);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const launch = buildLaunch(preset, {
    role: options.role,
    cwd: options.cwd,
    prompt: {
      recipient: options.address,
      sender: `${options.town}/deacon`,
      topic: options.topic,
      at: startedAt,
    },
    env: { ...agentEnv(options), ...(options.env ?? {}) },
    readyFile: `${logFile.slice(0, -'.log'.length)}.ready`,
  });
  const command = preset.name === 'scripted' ? scriptedCommand() : { command: launch.command, args: [] };
  const handle = await runtime.start({
    name: options.address
      .split('/')
      .slice(1)
      .join('-')
      .replace(/[^A-Za-z0-9_-]/g, '_'),
    cwd: options.cwd,
    command: command.command,
    args: [...command.args, ...launch.args],
    env: launch.env,
    unset: launch.unset,
    logFile,
    ready: launch.ready,
    ...(options.role === 'polecat' ? { nice: config.polecat_nice ?? DEFAULT_POLECAT_NICE } : {}),
  });
  try {
    await waitReady(runtime, handle, launch.ready, {
      ...(options.readyTimeoutMs === undefined ? {} : { timeoutMs: options.readyTimeoutMs }),
    });
    for (const d of launch.deliveries) {
      if (d.afterReadyMs > 0) await new Promise((r) => setTimeout(r, d.afterReadyMs));
      await runtime.send(handle, d.text);
    }
  } catch (error) {
    await runtime.stop(handle, 1_000).catch(() => undefined);
    throw error;
  }
  options.log.info(
    { session: handle.name, preset: preset.name, pid: handle.pid, log: logFile },
    'session started',
  );
  return { handle, runtime, preset };
}
