import fs from 'node:fs';
import path from 'node:path';
import { fromPromise } from 'xstate';
import type { InFlight } from '../host/in-flight.js';
import { sendMail } from '../../beads/mail.js';
import type { BeadStore } from '../../beads/store.types.js';
import { addressToSubjectTokens, parseAddress } from '../../bus/address.js';
import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import { evt, mail } from '../../bus/subjects.js';
import { polecatMachine } from '../../machines/polecat.machine.js';
import type { Assignment, PolecatContext } from '../../machines/polecat.machine.js';
import { startAgentSession } from '../agent/launch-session.js';
import type { Runtimes } from '../agent/launch-session.js';
import { sessionLogDir } from '../agent/session-paths.js';
import { startMachineActor } from '../host/machine-actor.js';
import type { MachineActor } from '../host/machine-actor.js';
import type { Logger } from '../logger.js';
import { readRigConfig } from '../rig/rig-config.js';
import type { RigConfig, RigPaths } from '../rig/rig-config.js';
import type { SessionHandle } from '../runtime/provider.js';
import type { TownConfig, TownPaths } from '../town/town-config.js';
import { PolecatError } from './polecat-errors.js';
import { cleanSandbox, prepareSandbox, sandboxDir } from './sandbox.js';
import { submitWork } from './submit.js';
import type { Submitted } from './submit.js';

/** Defaults of a polecat's timers (town.json `timing` overrides them). */
export const DEFAULT_SESSION_CHECK_MS = 1_000;
export const DEFAULT_GUPP_IDLE_MS = 120_000;

/** What a polecat actor needs from its host. */
export interface PolecatActorOptions {
  town: string;
  paths: TownPaths;
  config: TownConfig;
  rig: RigConfig;
  rigPaths: RigPaths;
  name: string;
  store: BeadStore;
  bus: BusConnection;
  log: Logger;
  runtimes: Runtimes;
  /** The polecat became idle (or stuck) and can take (or will not take) work: dispatch again. */
  onFree: () => void;
  /** A merge request was submitted or re-submitted: wake the refinery. */
  onSubmitted: (mr: string) => void;
  /** Where its sandbox and submission work is kept while it runs (shutdown waits for it). */
  inFlight: InFlight;
}

/** A hosted polecat. */
export interface PolecatActor {
  readonly address: string;
  readonly name: string;
  state(): string;
  context(): PolecatContext;
  /** Hooks a bead (in one transaction with the snapshot); false when the polecat is not idle. */
  assign(assignment: Assignment, hook: () => void): boolean;
  /** `gt done`: resolves once the merge request is in (again: the same answer). */
  done(): Promise<Submitted>;
  /** `gt handoff`: a fresh session continues. */
  handoff(): void;
  /** The refinery's verdicts. */
  merged(): void;
  rejected(): void;
  conflicted(conflictBead: string): void;
  stop(): void;
}

/**
 * Hosts one polecat machine: provides its invoked work (sandbox and session, submit, cleanup), watches
 * its session (dead → restart from the hook, GUPP; idle with work → nudge), and answers `gt done`.
 */
export function startPolecatActor(options: PolecatActorOptions): PolecatActor {
  const { town, store, bus, log, name } = options;
  const address = `${town}/${options.rig.name}/polecats/${name}`;
  const rigConfig = () => readRigConfig(options.paths.root, options.rig.name) ?? options.rig;
  const currentFile = path.join(sessionLogDir(options.paths, address), 'current.json');
  let lastSubmit: Submitted | null = null;
  const waiters: Array<{ resolve: (s: Submitted) => void; reject: (e: Error) => void }> = [];
  const timing = options.config.timing;
  const guppIdleMs = timing?.gupp_idle_ms ?? DEFAULT_GUPP_IDLE_MS;
  let lastNudge = 0;
  let doneWhenWorking = false;

  const handleOf = (ctx: PolecatContext): SessionHandle | null =>
    ctx.session !== null && typeof ctx.session === 'object' ? (ctx.session as SessionHandle) : null;

  /** Removes current.json when it still names `h` (a newer session may have replaced it). */
  const forgetSession = (h: SessionHandle) => {
    try {
      const now = JSON.parse(fs.readFileSync(currentFile, 'utf8')) as SessionHandle;
      if (now.name === h.name && now.pid === h.pid && now.startedAt === h.startedAt)
        fs.rmSync(currentFile, { force: true });
    } catch {
      // already gone
    }
  };

  const stopOrphan = async () => {
    let h: SessionHandle | null = null;
    try {
      h = JSON.parse(fs.readFileSync(currentFile, 'utf8')) as SessionHandle;
    } catch {
      return;
    }
    await options.runtimes
      .forKind(h.kind)
      .stop(h, 2_000)
      .catch(() => undefined);
    fs.rmSync(currentFile, { force: true });
  };

  // What the machine invokes runs on after the actor stops: the host's shutdown waits for it.
  const effect = <O, I>(work: (input: I) => Promise<O>) =>
    fromPromise<O, I>(({ input }) => options.inFlight.run(() => work(input)));
  const machine = polecatMachine.provide({
    actors: {
      spawn: effect<unknown, PolecatContext>(async (input) => {
        if (input.bead === null || input.branch === null)
          throw new PolecatError('polecat.no_bead', 'nothing on the hook');
        await stopOrphan();
        const rig = rigConfig();
        const sandbox = await prepareSandbox(options.rigPaths, {
          name,
          branch: input.branch,
          target: rig.default_branch,
        });
        log.debug({ bead: input.bead, sandbox: sandbox.dir }, 'sandbox ready');
        const session = await startAgentSession({
          town,
          paths: options.paths,
          config: options.config,
          address,
          role: 'polecat',
          rig: rig.name,
          cwd: sandbox.dir,
          agent: input.agent,
          rigAgent: rig.agent,
          topic: input.kind === 'work' ? 'assigned' : input.kind,
          env: { GT_POLECAT: name, GT_BRANCH: input.branch, GT_BEAD: input.bead },
          log,
        });
        fs.mkdirSync(path.dirname(currentFile), { recursive: true });
        fs.writeFileSync(currentFile, JSON.stringify(session.handle));
        const bead = store.get(input.bead);
        if (bead !== null && bead.status === 'hooked' && bead.assignee === address)
          store.update(input.bead, { status: 'in_progress' }, address);
        return session.handle;
      }),
      submit: effect<{ mr: string }, PolecatContext>(async (input) => {
        if (input.bead === null || input.branch === null)
          throw new PolecatError('done.no_bead', 'nothing on the hook');
        log.debug({ bead: input.bead }, 'submitting');
        const submitted = await submitWork({
          store,
          rig: rigConfig(),
          rigPaths: options.rigPaths,
          name,
          address,
          bead: input.bead,
          branch: input.branch,
          actor: address,
        });
        lastSubmit = submitted;
        log.debug({ bead: input.bead, mr: submitted.mr }, 'submitted');
        publish('mr', 'submitted', 'mr.submitted', {
          mr: submitted.mr,
          bead: input.bead,
          rig: options.rig.name,
          branch: submitted.branch,
          sha: submitted.sha,
          worker: address,
        });
        options.onSubmitted(submitted.mr);
        return { mr: submitted.mr };
      }),
      cleanup: effect<void, PolecatContext>(async (input) => {
        if (input.branch !== null)
          await cleanSandbox(options.rigPaths, {
            name,
            branch: input.branch,
            target: rigConfig().default_branch,
          });
      }),
    },
    actions: {
      stopSession: (_, params: { session: unknown }) => {
        const h =
          params.session !== null && typeof params.session === 'object'
            ? (params.session as SessionHandle)
            : null;
        if (h === null) return;
        // The agent is usually still printing the reply of its `gt done`: give it a moment.
        const t = setTimeout(() => {
          void options.runtimes
            .forKind(h.kind)
            .stop(h, 3_000)
            .then(() => forgetSession(h))
            .catch((err: unknown) => log.warn({ err }, 'session stop failed'));
        }, 2_000);
        t.unref();
      },
      nudge: (_, params: { bead: string | null }) => {
        const h = handleOf(machineActor.context() as PolecatContext);
        if (h === null) return;
        void options.runtimes
          .forKind(h.kind)
          .send(
            h,
            `Work is on your hook (${params.bead ?? '?'}): run gt prime and carry on; run gt done when it is finished.`,
          )
          .catch((err: unknown) => log.warn({ err }, 'nudge failed'));
      },
      escalate: (_, params: { bead: string | null; reason: string }) => {
        log.warn({ bead: params.bead, reason: params.reason }, 'polecat needs a person');
        try {
          const to = `${town}/mayor`;
          const m = sendMail(store, {
            from: address,
            to,
            subject: `HELP: ${name} is stuck on ${params.bead ?? 'nothing'}`,
            body: params.reason,
            priority: 1,
          });
          bus.publish(
            mail(town, addressToSubjectTokens(parseAddress(to, town))),
            createEnvelope('mail.delivered', {
              from: address,
              to,
              body: { id: m.id, from: address, to, subject: m.title, priority: m.priority },
            }),
          );
        } catch (err) {
          log.error({ err }, 'could not tell the mayor');
        }
      },
      announce: () => undefined,
    },
  });

  const publish = <T extends 'mr.submitted' | 'polecat.state'>(
    entity: string,
    event: string,
    type: T,
    body: Parameters<typeof createEnvelope<T>>[1]['body'],
  ) => {
    try {
      bus.publish(evt(town, entity, event), createEnvelope(type, { from: address, to: town, body }));
    } catch (err) {
      log.warn({ err, type }, 'event not published');
    }
  };

  let previous = '';
  const machineActor: MachineActor<typeof machine> = startMachineActor({
    address,
    role: 'polecat',
    machine,
    store,
    log,
    input: { address, rig: options.rig.name, name },
    onChange: (state, context) => {
      if (state === previous) return;
      previous = state;
      const ctx = context as PolecatContext;
      publish('polecat', 'state', 'polecat.state', { agent: address, state, bead: ctx.bead });
      if (state === 'working' && doneWhenWorking) {
        doneWhenWorking = false;
        queueMicrotask(() => machineActor.send({ type: 'done.requested' }));
        return;
      }
      if (state === 'awaiting_merge' && lastSubmit !== null) {
        for (const w of waiters.splice(0)) w.resolve(lastSubmit);
      } else if (state === 'working' && waiters.length > 0) {
        const err = new PolecatError('done.failed', ctx.lastError ?? 'gt done failed');
        for (const w of waiters.splice(0)) w.reject(err);
      }
      if (state === 'idle' || state === 'stuck') options.onFree();
    },
  });

  const check = setInterval(() => {
    const ctx = machineActor.context() as PolecatContext;
    if (machineActor.state() !== 'working') return;
    const h = handleOf(ctx);
    if (h === null) return;
    const runtime = options.runtimes.forKind(h.kind);
    void (async () => {
      if (!(await runtime.isAlive(h))) {
        if (machineActor.state() === 'working' && handleOf(machineActor.context() as PolecatContext) === h) {
          log.warn(
            { bead: ctx.bead, session: h.name },
            'session ended without gt done: restarting from the hook',
          );
          machineActor.send({ type: 'session.exited' });
        }
        return;
      }
      const last = await runtime.lastActivity(h);
      if (last !== null && Date.now() - last.getTime() > guppIdleMs && Date.now() - lastNudge > guppIdleMs) {
        lastNudge = Date.now();
        machineActor.send({ type: 'session.idle' });
      }
    })().catch((err: unknown) => log.warn({ err }, 'session check failed'));
  }, timing?.session_check_ms ?? DEFAULT_SESSION_CHECK_MS);
  check.unref();

  return {
    address,
    name,
    state: () => machineActor.state(),
    context: () => machineActor.context() as PolecatContext,
    assign(assignment, hook) {
      if (machineActor.state() !== 'idle') return false;
      machineActor.send({ type: 'assign', assignment }, hook);
      return true;
    },
    done() {
      const state = machineActor.state();
      const ctx = machineActor.context() as PolecatContext;
      if ((state === 'awaiting_merge' || state === 'cleaning') && ctx.mr !== null)
        return Promise.resolve(
          lastSubmit !== null && lastSubmit.mr === ctx.mr
            ? { ...lastSubmit, already: true }
            : { mr: ctx.mr, branch: ctx.branch ?? '', sha: '', already: true },
        );
      // A quick agent can run `gt done` before its start is confirmed (the ready check polls).
      if (
        state !== 'working' &&
        state !== 'submitting' &&
        !(state === 'spawning' && ctx.session === null && ctx.bead !== null)
      )
        return Promise.reject(
          new PolecatError(
            'done.not_working',
            `${address} is ${state}${ctx.bead === null ? ' with nothing on its hook' : ` (${ctx.bead})`}: there is nothing to submit`,
          ),
        );
      const p = new Promise<Submitted>((resolve, reject) => waiters.push({ resolve, reject }));
      if (state === 'working') machineActor.send({ type: 'done.requested' });
      else if (state === 'spawning') doneWhenWorking = true;
      return p;
    },
    handoff: () => machineActor.send({ type: 'handoff' }),
    merged: () => machineActor.send({ type: 'mr.merged' }),
    rejected: () => machineActor.send({ type: 'mr.rejected' }),
    conflicted: (conflictBead) => machineActor.send({ type: 'mr.conflict', conflictBead }),
    stop() {
      clearInterval(check);
      for (const w of waiters.splice(0))
        w.reject(new PolecatError('done.interrupted', 'the daemon is stopping: run gt done again'));
      machineActor.stop();
    },
  };
}

/** The sandbox directory of a polecat (for `gt polecat list`). */
export { sandboxDir };
