import { fromPromise } from 'xstate';
import type { InFlight } from '../host/in-flight.js';
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
import { mergeBatch } from './merge-batch.js';
import { deleteMergedBranches } from './prune-branches.js';
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
  /** Where its merge passes and branch prunes are kept while they run (shutdown waits for them). */
  inFlight: InFlight;
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

/** Merged branches left on origin while the queue is busy, at most, before one push deletes them. */
const MAX_UNPRUNED = 16;

/**
 * How long the queue stays empty before the merged branches are deleted: merge requests that trickle
 * in one at a time (polecats finishing a few hundred ms apart) should not each wait behind a push.
 */
const PRUNE_IDLE_MS = 1_500;

/**
 * A merge pass fetches origin when the last fetch is older than this; in between it trusts the
 * remote-tracking refs, which the rig's own pushes keep current (mergeBatch's `fetch`).
 */
const FETCH_MAX_AGE_MS = 30_000;

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

  const merged = (m: MergeRequest, sha: string, already: boolean) => {
    const closed = closeMerged(m, sha);
    const landed = events.splice(0);
    // In the order things happened: the merge, the beads it closed, the convoys that landed.
    event('mr', 'merged', 'mr.merged', { mr: m.bead.id, bead: m.mr.source, rig: m.mr.rig, sha });
    for (const b of closed) event('bead', 'updated', 'bead.updated', { bead: b, changes: ['status'] });
    events.push(...landed);
    flush();
    log.info({ mr: m.bead.id, bead: m.mr.source, sha, already }, 'merged');
    options.polecat(m.mr.worker)?.merged();
  };

  const rejected = (m: MergeRequest, gate: string, output: string) => {
    updateMr(store, m, { state: 'rejected', gate, gate_output: output.slice(-GATE_OUTPUT_MAX) }, address);
    event('mr', 'rejected', 'mr.rejected', {
      mr: m.bead.id,
      bead: m.mr.source,
      rig: m.mr.rig,
      gate,
      output: output.slice(-2_000),
    });
    flush();
    log.info({ mr: m.bead.id, bead: m.mr.source, gate }, 'rejected: back to the polecat');
    options.polecat(m.mr.worker)?.rejected();
  };

  const conflicted = (m: MergeRequest, files: string[], prefix: string) => {
    const source = store.get(m.mr.source);
    let conflictBead = '';
    store.transaction(() => {
      const c = store.create(
        {
          title: `Resolve merge conflicts: ${source?.title ?? m.mr.source}`,
          prefix,
          issue_type: 'task',
          priority: 1,
          labels: [CONFLICT_LABEL],
          status: 'hooked',
          assignee: m.mr.worker,
          description: `Rebasing ${m.mr.branch} onto ${m.mr.target} conflicts in: ${files.join(', ')}. Rebase onto origin/${m.mr.target}, resolve, commit, and run gt done.`,
          metadata: {
            conflict: { mr: m.bead.id, source: m.mr.source, onto: `origin/${m.mr.target}`, files },
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
      rig: m.mr.rig,
      conflict_bead: conflictBead,
      files,
    });
    flush();
    log.info({ mr: m.bead.id, bead: m.mr.source, conflictBead, files }, 'conflict: resolution slung');
    options.polecat(m.mr.worker)?.conflicted(conflictBead);
  };

  // Merged branches still on origin, each with the commit it must still be at to be deleted. They pile
  // up here (up to MAX_UNPRUNED) until the queue has been empty for PRUNE_IDLE_MS, so a stream of merges
  // is not slowed by a push per pass. A daemon stopped meanwhile leaves those few on origin: merged,
  // harmless.
  const unpruned = new Map<string, string>();
  let pruneTimer: NodeJS.Timeout | undefined;
  const cancelPrune = () => {
    clearTimeout(pruneTimer);
    pruneTimer = undefined;
  };
  const pruneMerged = async (): Promise<void> => {
    cancelPrune();
    if (unpruned.size === 0) return;
    const branches = [...unpruned];
    unpruned.clear();
    // Best effort, after the merges are verified.
    await withRigLock(options.rigPaths.dir, () =>
      deleteMergedBranches(options.rigPaths.refinery, branches),
    ).then(
      (r) => {
        if (r.code !== 0)
          log.warn({ branches: branches.map(([b]) => b), err: r.stderr }, 'could not delete merged branches');
      },
      (err: unknown) =>
        log.warn({ err, branches: branches.map(([b]) => b) }, 'could not delete merged branches'),
    );
  };

  let fetchedAt: number | null = null;
  const mergeNext = async (): Promise<MergeOutcome> => {
    const rig = rigConfig();
    const batch = readyMergeRequests(store, rig.name)
      .slice(0, rig.batch_size)
      .map((m) => (m.mr.state === 'merging' ? m : updateMr(store, m, { state: 'merging' }, address)));
    if (batch.length === 0) return { kind: 'none' };
    cancelPrune();
    const startedAt = Date.now();
    const fetch = fetchedAt === null || startedAt - fetchedAt >= FETCH_MAX_AGE_MS;
    log.info({ mrs: batch.map((m) => m.bead.id), fetch }, 'merging');
    const outcomes = await mergeBatch({
      fetch,
      worktree: options.rigPaths.refinery,
      target: rig.default_branch,
      items: batch.map((m) => ({ id: m.bead.id, branch: m.mr.branch })),
      gates: rig.gates,
      exclusive: (work) => withRigLock(options.rigPaths.dir, work),
      log: (line) => log.debug(line),
    });
    if (fetch) fetchedAt = startedAt;
    const counts = { kind: 'batch' as const, merged: 0, rejected: 0, conflicts: 0, deferred: 0 };
    for (const o of outcomes) {
      const m = batch.find((b) => b.bead.id === o.id);
      if (m === undefined) continue;
      switch (o.kind) {
        case 'merged':
          merged(m, o.sha, o.alreadyMerged);
          counts.merged++;
          break;
        case 'rejected':
          rejected(m, o.gate, o.output);
          counts.rejected++;
          break;
        case 'missing':
          rejected(m, 'branch', o.reason);
          counts.rejected++;
          break;
        case 'conflict':
          conflicted(m, o.files, rig.prefix);
          counts.conflicts++;
          break;
        case 'deferred':
          updateMr(store, m, { state: 'queued' }, address);
          counts.deferred++;
          break;
      }
    }
    if (counts.merged > 0) {
      for (const m of batch)
        if (outcomes.find((o) => o.id === m.bead.id)?.kind === 'merged') unpruned.set(m.mr.branch, m.mr.sha);
      options.onMerged(batch[0]?.mr.source ?? '');
    }
    if (unpruned.size >= MAX_UNPRUNED) await pruneMerged();
    else if (unpruned.size > 0 && readyMergeRequests(store, rig.name).length === 0) {
      pruneTimer = setTimeout(() => void options.inFlight.run(pruneMerged), PRUNE_IDLE_MS);
      pruneTimer.unref();
    }
    return counts;
  };

  const machine = refineryMachine.provide({
    actors: {
      mergeNext: fromPromise<MergeOutcome, { rig: string }>(() => options.inFlight.run(mergeNext)),
    },
    actions: {
      report: () => undefined,
      failed: (_, params: { error: unknown }) => {
        log.error({ err: params.error }, 'merge pass failed: trying again in 5 s');
        const t = setTimeout(() => actor.send({ type: 'queue.changed' }), 5_000);
        t.unref();
      },
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
    stop: () => {
      cancelPrune();
      actor.stop();
    },
  };
}
