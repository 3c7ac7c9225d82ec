import { fromPromise } from 'xstate';
import { landConvoysOf } from '../../beads/convoy.js';
import type { BeadStore } from '../../beads/store.types.js';
import type { Bead } from '../../beads/types.js';
import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import type { AnyEnvelope } from '../../bus/envelope.js';
import { evt } from '../../bus/subjects.js';
import { refineryMachine } from '../../machines/refinery.machine.js';
import type { MergeOutcome } from '../../machines/refinery.machine.js';
import { startMachineActor } from '../host/machine-actor.js';
import type { MachineActor } from '../host/machine-actor.js';
import type { Logger } from '../logger.js';
import { withRigLock } from '../polecat/rig-lock.js';
import { readRigConfig } from '../rig/rig-config.js';
import type { RigConfig, RigPaths } from '../rig/rig-config.js';
import { deleteRemoteBranch, mergeOnce } from './merge-engine.js';
import { CONFLICT_LABEL, GATE_OUTPUT_MAX, readyMergeRequests, updateMr } from './merge-requests.js';
import type { MergeRequest } from './merge-requests.js';

/** What the refinery tells the polecat that owns a merge request. */
export interface PolecatVerdicts {
  merged(): void;
  rejected(): void;
  conflicted(conflictBead: string): void;
}

/** What a refinery actor needs from its host. */
export interface RefineryActorOptions {
  town: string;
  townRoot: string;
  rig: RigConfig;
  rigPaths: RigPaths;
  store: BeadStore;
  bus: BusConnection;
  log: Logger;
  /** The polecat actor at an address, if the host has it. */
  polecat: (address: string) => PolecatVerdicts | null;
  /** A bead closed (merged): blocked beads may be ready now. */
  onMerged: (bead: string) => void;
}

/** A hosted refinery. */
export interface RefineryActor {
  readonly address: string;
  state(): string;
  /** The queue may have changed. */
  wake(): void;
  stop(): void;
}

/**
 * Hosts a rig's refinery machine: `mergeNext` takes the first ready merge request, runs the merge
 * engine in the refinery's worktree, and records the outcome in one store transaction: merged (merge
 * request closed `merged`, the work bead and its conflict beads closed `Merged in <mr>`, convoys landed),
 * rejected (the gate's output on the merge request, the bead back to its polecat), or conflict (a
 * conflict-resolution bead hooked to the polecat, the merge request blocked on it).
 */
export function startRefineryActor(options: RefineryActorOptions): RefineryActor {
  const { town, store, bus, log } = options;
  const address = `${town}/${options.rig.name}/refinery`;
  const rigConfig = () => readRigConfig(options.townRoot, options.rig.name) ?? options.rig;
  const events: Array<{ subject: string; envelope: AnyEnvelope }> = [];
  const event = <T extends 'mr.merged' | 'mr.rejected' | 'mr.conflict' | 'convoy.landed' | 'bead.updated'>(
    entity: string,
    name: string,
    type: T,
    body: Parameters<typeof createEnvelope<T>>[1]['body'],
  ) =>
    events.push({
      subject: evt(town, entity, name),
      envelope: createEnvelope(type, { from: address, to: town, body }) as AnyEnvelope,
    });
  const flush = () => {
    for (const e of events.splice(0)) {
      try {
        bus.publish(e.subject, e.envelope);
      } catch (err) {
        log.warn({ err, subject: e.subject }, 'event not published');
      }
    }
  };

  const closeMerged = (m: MergeRequest, sha: string): Bead[] => {
    const closed: Bead[] = [];
    store.transaction(() => {
      const reason = `Merged in ${m.bead.id}`;
      updateMr(store, m, { state: 'merged', merge_commit: sha }, address);
      store.close(m.bead.id, { reason: 'merged', force: true }, address);
      const source = store.get(m.mr.source);
      if (source !== null && source.status !== 'closed')
        closed.push(store.close(source.id, { reason, force: true }, address));
      for (const c of store.list({ labels: [CONFLICT_LABEL], status: 'all' })) {
        const meta = (c.metadata as { conflict?: { mr?: string } } | undefined)?.conflict;
        if (meta?.mr === m.bead.id && c.status !== 'closed')
          closed.push(store.close(c.id, { reason, force: true }, address));
      }
      for (const p of landConvoysOf(store, m.mr.source, address))
        event('convoy', 'landed', 'convoy.landed', {
          convoy: p.id,
          title: p.title,
          beads: p.beads.map((b) => b.id),
        });
    });
    return closed;
  };

  const mergeNext = async (): Promise<MergeOutcome> => {
    const rig = rigConfig();
    const next = readyMergeRequests(store, rig.name)[0];
    if (next === undefined) return { kind: 'none' };
    const m = next.mr.state === 'merging' ? next : updateMr(store, next, { state: 'merging' }, address);
    log.info({ mr: m.bead.id, bead: m.mr.source, branch: m.mr.branch }, 'merging');
    const result = await withRigLock(options.rigPaths.dir, () =>
      mergeOnce({
        worktree: options.rigPaths.refinery,
        branch: m.mr.branch,
        target: m.mr.target,
        expectedSha: m.mr.sha,
        gates: rig.gates,
        log: (line) => log.debug({ mr: m.bead.id }, line),
      }),
    );
    const polecat = options.polecat(m.mr.worker);
    switch (result.kind) {
      case 'merged': {
        const closed = closeMerged(m, result.sha);
        const landed = events.splice(0);
        // In the order things happened: the merge, the beads it closed, the convoys that landed.
        event('mr', 'merged', 'mr.merged', {
          mr: m.bead.id,
          bead: m.mr.source,
          rig: rig.name,
          sha: result.sha,
        });
        for (const b of closed) event('bead', 'updated', 'bead.updated', { bead: b, changes: ['status'] });
        events.push(...landed);
        flush();
        log.info(
          { mr: m.bead.id, bead: m.mr.source, sha: result.sha, already: result.alreadyMerged },
          'merged',
        );
        polecat?.merged();
        await deleteRemoteBranch(options.rigPaths.refinery, m.mr.branch).catch((err: unknown) =>
          log.warn({ err, branch: m.mr.branch }, 'could not delete the merged branch'),
        );
        options.onMerged(m.mr.source);
        return { kind: 'merged', mr: m.bead.id, bead: m.mr.source, sha: result.sha };
      }
      case 'rejected':
      case 'missing': {
        const gate = result.kind === 'rejected' ? result.gate : 'branch';
        const output = result.kind === 'rejected' ? result.output : result.reason;
        updateMr(store, m, { state: 'rejected', gate, gate_output: output.slice(-GATE_OUTPUT_MAX) }, address);
        event('mr', 'rejected', 'mr.rejected', {
          mr: m.bead.id,
          bead: m.mr.source,
          rig: rig.name,
          gate,
          output: output.slice(-2_000),
        });
        flush();
        log.info({ mr: m.bead.id, bead: m.mr.source, gate }, 'rejected: back to the polecat');
        polecat?.rejected();
        return { kind: 'rejected', mr: m.bead.id, bead: m.mr.source, gate };
      }
      case 'conflict': {
        const source = store.get(m.mr.source);
        let conflictBead = '';
        store.transaction(() => {
          const c = store.create(
            {
              title: `Resolve merge conflicts: ${source?.title ?? m.mr.source}`,
              prefix: rig.prefix,
              issue_type: 'task',
              priority: 1,
              labels: [CONFLICT_LABEL],
              status: 'hooked',
              assignee: m.mr.worker,
              description: `Rebasing ${m.mr.branch} onto ${m.mr.target} conflicts in: ${result.files.join(', ')}. Rebase onto origin/${m.mr.target}, resolve, commit, and run gt done.`,
              metadata: {
                conflict: {
                  mr: m.bead.id,
                  source: m.mr.source,
                  onto: `origin/${m.mr.target}`,
                  files: result.files,
                },
              },
              deps: [{ type: 'related', id: m.mr.source }],
            },
            address,
          );
          conflictBead = c.id;
          store.addDependency(m.bead.id, c.id, 'blocks', address);
          updateMr(store, m, { state: 'conflict', conflict_bead: c.id }, address);
        });
        event('mr', 'conflict', 'mr.conflict', {
          mr: m.bead.id,
          bead: m.mr.source,
          rig: rig.name,
          conflict_bead: conflictBead,
          files: result.files,
        });
        flush();
        log.info(
          { mr: m.bead.id, bead: m.mr.source, conflictBead, files: result.files },
          'conflict: resolution slung',
        );
        polecat?.conflicted(conflictBead);
        return { kind: 'conflict', mr: m.bead.id, bead: m.mr.source, conflictBead };
      }
      case 'retry':
        log.info({ mr: m.bead.id, reason: result.reason }, 'the target moved: merging again');
        return { kind: 'retry', mr: m.bead.id, reason: result.reason };
    }
  };

  const machine = refineryMachine.provide({
    actors: { mergeNext: fromPromise<MergeOutcome, { rig: string }>(() => mergeNext()) },
    actions: {
      report: () => undefined,
      failed: (_, params: { error: unknown }) => log.error({ err: params.error }, 'merge pass failed'),
    },
  });
  const actor: MachineActor<typeof machine> = startMachineActor({
    address,
    role: 'refinery',
    machine,
    store,
    log,
    input: { rig: options.rig.name },
  });
  return {
    address,
    state: () => actor.state(),
    wake: () => actor.send({ type: 'queue.changed' }),
    stop: () => actor.stop(),
  };
}
