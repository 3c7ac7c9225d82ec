import fs from 'node:fs';
import type { BeadStore } from '../../beads/store.types.js';
import type { BusConnection, BusSubscription } from '../../bus/connection.js';
import { patterns, SUBJECT_ROOT, cmd, evt, mail } from '../../bus/subjects.js';
import { sessionMachine } from '../../machines/session.machine.js';
import type { SessionContext } from '../../machines/session.machine.js';
import { sessionLogPath } from '../agent/session-paths.js';
import type { ActorStatus } from '../host/contract.js';
import { startMachineActor } from '../host/machine-actor.js';
import type { MachineActor } from '../host/machine-actor.js';
import type { Logger } from '../logger.js';
import { resolveAgent } from '../runtime/agent-config.js';
import { delay } from '../runtime/process.js';
import { buildLaunch } from '../runtime/presets.js';
import type { LaunchSpec } from '../runtime/presets.js';
import type { AgentRuntime, AttachCommand, SessionHandle } from '../runtime/provider.js';
import { writeRoleContext } from '../runtime/role-context.js';
import { TmuxRuntime } from '../runtime/tmux.js';
import { waitReady } from '../runtime/wait-ready.js';
import { readTownConfig } from '../town/town-config.js';
import type { TownConfig, TownPaths } from '../town/town-config.js';
import { agentEnv } from '../agent/launch-session.js';
import { backoffMs, DEFAULT_BACKOFF } from './restart-backoff.js';
import type { BackoffOptions } from './restart-backoff.js';
import { sessionAgent, sessionCwd, sessionName, sessionStateKey } from './session-agents.js';
import type { SessionAgent } from './session-agents.js';
import { SessionError } from './session-errors.js';
import { convoyLandedLine, mailLine, mrMergedLine, mrRejectedLine, slungLine } from './notifications.js';

/** Default period of the liveness check of every desired-running session. */
export const DEFAULT_SESSION_CHECK_MS = 5_000;

/** The role under which session machines are stored in actor_state (and shown by `gt status`). */
export const SESSION_ROLE = 'session';

/** Options of `startSessionKeepers`: the actor host's, plus its store. */
export interface SessionKeeperOptions {
  town: string;
  paths: TownPaths;
  config: TownConfig;
  bus: BusConnection;
  /** The host's store: session machines persist their snapshots in its actor_state table. */
  store: BeadStore;
  log: Logger;
  /** Default: tmux on the town's socket (`tmux -L gt-<town>`). */
  runtime?: AgentRuntime;
  /** How often a desired-running session is checked (default 5000 ms). */
  checkMs?: number;
  /** Restart backoff (default 1 s doubling to 60 s, reset after 5 minutes up). */
  backoff?: Partial<BackoffOptions>;
}

/** The reply to `session.start` and `session.stop`. */
export interface SessionReply {
  agent: string;
  running: boolean;
  /** The tmux session name (`mayor`, `web-crew-max`). */
  session: string;
  /** The agent process, while running. */
  pid: number | null;
  /** The preset asked for, or null for the town's default. */
  preset: string | null;
  /** What a person runs to attach. */
  attach: AttachCommand;
}

/** The running keepers of a town. */
export interface SessionKeepers {
  /** One entry per known session (`alpha/mayor/session`, `alpha/web/crew/max/session`), by address. */
  status(): ActorStatus[];
  /**
   * Stops checking and serving, waits (up to `graceMs`) for operations in flight, persists. The
   * sessions themselves keep running: a restarted daemon adopts them.
   */
  stop(graceMs: number): Promise<void>;
}

interface Kept {
  agent: SessionAgent;
  actor: MachineActor<typeof sessionMachine>;
  queue: Promise<unknown>;
  checking: boolean;
  alive: boolean | null;
  retryAt: number | null;
  lastCheck: string | null;
}

/**
 * Keeps the long-lived, attachable sessions of the mayor and the crew members: serves
 * `session.start` / `session.stop` (one subscription, routed by `body.agent`), restarts a
 * desired-running session whose process died (with a backoff), adopts sessions still alive after a
 * daemon restart, and nudges sessions with notifications: convoys landed and merge results to the
 * mayor, mail and `gt nudge` to the mayor and each crew member.
 */
export function startSessionKeepers(options: SessionKeeperOptions): SessionKeepers {
  const { town, paths, bus, store, log } = options;
  const runtime = options.runtime ?? new TmuxRuntime({ town });
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const kept = new Map<string, Kept>();
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;

  const serial = <T>(k: Kept, fn: () => Promise<T>): Promise<T> => {
    const next = k.queue.then(fn, fn);
    const settled = next.catch(() => undefined);
    k.queue = settled;
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
    return next;
  };

  const keeperOf = (agent: SessionAgent): Kept => {
    const existing = kept.get(agent.address);
    if (existing !== undefined) return existing;
    const actor = startMachineActor({
      address: sessionStateKey(agent),
      role: SESSION_ROLE,
      machine: sessionMachine,
      store,
      log: log.child({ actor: sessionStateKey(agent) }),
    });
    const k: Kept = {
      agent,
      actor,
      queue: Promise.resolve(),
      checking: false,
      alive: null,
      retryAt: null,
      lastCheck: null,
    };
    kept.set(agent.address, k);
    return k;
  };

  const context = (k: Kept): SessionContext => k.actor.context() as SessionContext;

  const townConfig = (): TownConfig => {
    try {
      return readTownConfig(paths.root);
    } catch {
      return options.config;
    }
  };

  const attachOf = (k: Kept): AttachCommand => {
    const handle = context(k).handle ?? {
      kind: runtime.kind,
      name: sessionName(k.agent),
      pid: null,
      logFile: '',
      startedAt: '',
    };
    return runtime.attach(handle);
  };

  const reply = (k: Kept): SessionReply => {
    const ctx = context(k);
    const running = k.actor.state() === 'running' && k.alive === true;
    return {
      agent: k.agent.address,
      running,
      session: sessionName(k.agent),
      pid: running ? (ctx.handle?.pid ?? null) : null,
      preset: ctx.preset,
      attach: attachOf(k),
    };
  };

  const aliveNow = async (handle: SessionHandle | null): Promise<boolean> =>
    handle !== null && handle.kind === runtime.kind && (await runtime.isAlive(handle));

  /** Launches the session; returns it and the launch (for its startup deliveries). */
  const launch = async (k: Kept, restart: boolean): Promise<{ handle: SessionHandle; spec: LaunchSpec }> => {
    const { agent } = k;
    const preset = resolveAgent(townConfig(), { override: context(k).preset ?? undefined });
    const cwd = sessionCwd(paths, agent);
    if (agent.role === 'mayor') fs.mkdirSync(cwd, { recursive: true });
    else if (!fs.existsSync(cwd))
      throw new SessionError(
        'crew.not_found',
        `crew member ${agent.name} of rig ${agent.rig} has no workspace (${cwd}): add it with \`gt crew add ${agent.name} --rig ${agent.rig}\``,
        { details: { agent: agent.address, cwd } },
      );
    await writeRoleContext(preset, cwd, agent.role);
    const at = new Date();
    const spec = buildLaunch(preset, {
      role: agent.role,
      cwd,
      prompt: {
        recipient: agent.address,
        sender: `${town}/daemon`,
        topic: restart ? 'restart' : 'start',
        at,
      },
      env: agentEnv({
        paths,
        address: agent.address,
        role: agent.role,
        rig: agent.role === 'crew' ? agent.rig : null,
      }),
    });
    const old = context(k).handle;
    if (old !== null && old.kind === runtime.kind) await runtime.stop(old, 1_000).catch(() => undefined);
    const handle = await runtime.start({
      name: sessionName(agent),
      cwd,
      command: spec.command,
      args: spec.args,
      env: spec.env,
      unset: spec.unset,
      logFile: sessionLogPath(paths, agent.address, at),
      ready: spec.ready,
    });
    k.actor.send({ type: 'launched', handle, restart });
    k.alive = true;
    k.retryAt = null;
    log.info(
      { agent: agent.address, session: handle.name, pid: handle.pid, preset: preset.name, restart },
      restart ? 'session restarted' : 'session started',
    );
    return { handle, spec };
  };

  /** After a launch: wait until the agent is ready, then type its startup deliveries. */
  const deliver = async (k: Kept, handle: SessionHandle, spec: LaunchSpec): Promise<void> => {
    try {
      await waitReady(runtime, handle, spec.ready);
    } catch (err) {
      log.warn({ err, agent: k.agent.address }, 'session not ready: startup nudges skipped');
      return;
    }
    for (const d of spec.deliveries) {
      await delay(d.afterReadyMs);
      if (stopping || context(k).handle?.pid !== handle.pid || !(await aliveNow(handle))) return;
      await runtime.send(handle, d.text);
    }
  };

  const launchAndDeliver = async (k: Kept, restart: boolean): Promise<void> => {
    const { handle, spec } = await launch(k, restart);
    if (spec.deliveries.length === 0) return;
    // Not in the agent's queue: a stop or a notification must not wait for the agent to be ready.
    const delivering = deliver(k, handle, spec).catch((err: unknown) =>
      log.warn({ err, agent: k.agent.address }, 'startup nudge failed'),
    );
    inFlight.add(delivering);
    void delivering.finally(() => inFlight.delete(delivering));
  };

  const check = async (k: Kept): Promise<void> => {
    k.lastCheck = new Date().toISOString();
    if (k.actor.state() !== 'running') {
      k.alive = false;
      return;
    }
    const ctx = context(k);
    if (await aliveNow(ctx.handle)) {
      k.alive = true;
      if (
        ctx.restarts > 0 &&
        ctx.launchedAt !== null &&
        Date.now() - Date.parse(ctx.launchedAt) >= backoff.stableMs
      )
        k.actor.send({ type: 'stable' });
      return;
    }
    const now = Date.now();
    if (k.retryAt === null) {
      const wait = backoffMs(ctx.restarts, backoff);
      k.retryAt = now + wait;
      k.alive = false;
      log.warn(
        { agent: k.agent.address, pid: ctx.handle?.pid ?? null, restarts: ctx.restarts, retry_in_ms: wait },
        'session died: restarting',
      );
    }
    if (now < k.retryAt) return;
    try {
      await launchAndDeliver(k, true);
    } catch (err) {
      k.retryAt = now + backoffMs(context(k).restarts + 1, backoff);
      log.error({ err, agent: k.agent.address }, 'session restart failed');
    }
  };

  const checkAll = () => {
    if (stopping) return;
    for (const k of kept.values()) {
      if (k.checking) continue;
      k.checking = true;
      void serial(k, () => check(k))
        .catch((err: unknown) => log.warn({ err, agent: k.agent.address }, 'session check failed'))
        .finally(() => {
          k.checking = false;
        });
    }
  };

  const start = async (agentText: string, preset: string | undefined): Promise<SessionReply> => {
    const agent = sessionAgent(agentText, town);
    if (preset !== undefined) resolveAgent(townConfig(), { override: preset });
    const k = keeperOf(agent);
    return serial(k, async () => {
      const wasRunning = k.actor.state() === 'running';
      k.actor.send({ type: 'start', preset });
      if (await aliveNow(context(k).handle)) {
        k.alive = true;
        return reply(k);
      }
      try {
        await launchAndDeliver(k, false);
      } catch (err) {
        if (!wasRunning) k.actor.send({ type: 'stop' });
        throw err;
      }
      return reply(k);
    });
  };

  const stopSession = async (agentText: string): Promise<SessionReply> => {
    const agent = sessionAgent(agentText, town);
    const k = keeperOf(agent);
    return serial(k, async () => {
      const handle = context(k).handle;
      k.actor.send({ type: 'stop' });
      k.retryAt = null;
      if (handle !== null && handle.kind === runtime.kind) await runtime.stop(handle);
      k.alive = false;
      log.info({ agent: agent.address }, 'session stopped');
      return reply(k);
    });
  };

  const notify = (address: string, text: string) => {
    const k = kept.get(address);
    if (k === undefined || stopping) return;
    void serial(k, async () => {
      const handle = context(k).handle;
      if (k.actor.state() !== 'running' || handle === null || !(await aliveNow(handle))) return;
      await runtime.send(handle, text);
    }).catch((err: unknown) => log.warn({ err, agent: address }, 'session notification failed'));
  };
  const mayor = `${town}/mayor`;

  // Sessions known from before (daemon restart): adopt or restart them at the first check.
  for (const s of store.actorStates()) {
    if (s.role !== SESSION_ROLE || !s.address.endsWith('/session')) continue;
    try {
      keeperOf(sessionAgent(s.address.slice(0, -'/session'.length), town));
    } catch (err) {
      log.warn({ err, address: s.address }, 'stored session of an unknown agent ignored');
    }
  }

  const subs: BusSubscription[] = [
    bus.subscribe(cmd(town, 'session.start'), (env) =>
      env.type === 'session.start' ? start(env.body.agent, env.body.preset) : undefined,
    ),
    bus.subscribe(cmd(town, 'session.stop'), (env) =>
      env.type === 'session.stop' ? stopSession(env.body.agent) : undefined,
    ),
    bus.subscribe(evt(town, 'convoy', 'landed'), (env) => {
      if (env.type === 'convoy.landed') notify(mayor, convoyLandedLine(env.body));
    }),
    bus.subscribe(evt(town, 'mr', 'merged'), (env) => {
      if (env.type === 'mr.merged') notify(mayor, mrMergedLine(env.body));
    }),
    bus.subscribe(evt(town, 'mr', 'rejected'), (env) => {
      if (env.type === 'mr.rejected') notify(mayor, mrRejectedLine(env.body));
    }),
    // GUPP for the people's sessions: work slung to the mayor or a crew member is announced to it.
    bus.subscribe(evt(town, 'bead', 'slung'), (env) => {
      if (env.type === 'bead.slung' && env.body.agent !== null) notify(env.body.agent, slungLine(env.body));
    }),
    bus.subscribe(mail(town, ['mayor']), (env) => {
      if (env.type === 'mail.delivered') notify(mayor, mailLine(env.body));
    }),
    bus.subscribe(`${SUBJECT_ROOT}.${town}.mail.*.crew.*`, (env) => {
      if (env.type === 'mail.delivered') notify(env.body.to, mailLine(env.body));
    }),
    bus.subscribe(patterns.nudges(town), (env, ctx) => {
      if (env.type !== 'nudge') return;
      const token = ctx.subject.slice(ctx.subject.lastIndexOf('.') + 1);
      for (const k of kept.values())
        if (k.agent.address.slice(town.length + 1).replace(/\//g, '-') === token)
          notify(k.agent.address, env.body.text);
    }),
  ];

  const checkMs = options.checkMs ?? DEFAULT_SESSION_CHECK_MS;
  const timer = setInterval(checkAll, checkMs);
  timer.unref();
  checkAll();
  log.info({ sessions: [...kept.keys()], check_ms: checkMs }, 'session keepers started');

  return {
    status: (): ActorStatus[] =>
      [...kept.values()]
        .map((k) => ({
          address: sessionStateKey(k.agent),
          role: SESSION_ROLE,
          state: k.actor.state() === 'running' && k.alive === false ? 'restarting' : k.actor.state(),
          last_heartbeat_at: k.lastCheck,
        }))
        .sort((a, b) => (a.address < b.address ? -1 : 1)),
    async stop(graceMs: number) {
      stopping = true;
      clearInterval(timer);
      await Promise.all(subs.map((s) => s.unsubscribe()));
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...inFlight]),
        new Promise((resolve) => {
          grace = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(grace);
      for (const k of kept.values()) k.actor.stop();
      log.info('session keepers stopped');
    },
  };
}
