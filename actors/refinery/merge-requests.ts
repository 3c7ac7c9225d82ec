import type { BeadStore } from '../../beads/store.types.js';
import type { Bead } from '../../beads/types.js';

/** Where a merge request stands (`metadata.mr.state`). */
export type MrState = 'queued' | 'merging' | 'rejected' | 'conflict' | 'merged';

/** `metadata.mr` of a merge-request bead (docs/work-loop.md). */
export interface MrFields {
  source: string;
  rig: string;
  branch: string;
  target: string;
  sha: string;
  worker: string;
  state: MrState;
  retry_count: number;
  gate?: string;
  gate_output?: string;
  conflict_bead?: string;
  merge_commit?: string;
}

/** A merge request bead with its fields. */
export interface MergeRequest {
  bead: Bead;
  mr: MrFields;
}

/** Label every merge-request bead carries. */
export const MR_LABEL = 'gt:merge-request';
/** Label of conflict-resolution beads. */
export const CONFLICT_LABEL = 'gt:conflict';
/** Longest gate output kept on a merge request. */
export const GATE_OUTPUT_MAX = 8 * 1024;

/** The `metadata.mr` of a bead, or null when it is not a merge request. */
export function mrFields(bead: Bead): MrFields | null {
  if (bead.issue_type !== 'merge-request') return null;
  const mr = (bead.metadata as { mr?: unknown } | undefined)?.mr;
  if (mr === null || typeof mr !== 'object') return null;
  const m = mr as Partial<MrFields>;
  return typeof m.source === 'string' && typeof m.rig === 'string' && typeof m.branch === 'string'
    ? (m as MrFields)
    : null;
}

/** Open merge requests of a rig (any state but merged), oldest first. */
export function openMergeRequests(store: BeadStore, rig: string): MergeRequest[] {
  const out: MergeRequest[] = [];
  for (const bead of store.list({
    type: ['merge-request'],
    labels: [MR_LABEL],
    sort: 'created',
    reverse: true,
  })) {
    const mr = mrFields(bead);
    if (mr !== null && mr.rig === rig && bead.status !== 'closed') out.push({ bead, mr });
  }
  return out;
}

/** The open merge request of a work bead, or null. */
export function mergeRequestOf(store: BeadStore, source: string): MergeRequest | null {
  for (const bead of store.list({ type: ['merge-request'], labels: [MR_LABEL] })) {
    const mr = mrFields(bead);
    if (mr !== null && mr.source === source && bead.status !== 'closed') return { bead, mr };
  }
  return null;
}

/**
 * The merge requests the refinery may take now, in queue order: state `queued`, not blocked (a
 * conflict bead blocks until the polecat re-submits), by priority, then age.
 */
export function readyMergeRequests(store: BeadStore, rig: string): MergeRequest[] {
  return openMergeRequests(store, rig)
    .filter((m) => (m.mr.state === 'queued' || m.mr.state === 'merging') && m.bead.status === 'open')
    .filter((m) =>
      store.dependencies(m.bead.id, 'down', 'blocks').every((d) => isClosed(store, d.depends_on_id)),
    )
    .sort((a, b) =>
      a.bead.priority !== b.bead.priority
        ? a.bead.priority - b.bead.priority
        : a.bead.created_at < b.bead.created_at
          ? -1
          : a.bead.created_at > b.bead.created_at
            ? 1
            : a.bead.id < b.bead.id
              ? -1
              : 1,
    );
}

function isClosed(store: BeadStore, id: string): boolean {
  return store.get(id)?.status === 'closed';
}

/** Writes new `metadata.mr` fields of a merge request (keeping its other metadata). */
export function updateMr(
  store: BeadStore,
  mr: MergeRequest,
  fields: { [K in keyof MrFields]?: MrFields[K] | undefined },
  actor: string,
): MergeRequest {
  const next = { ...mr.mr, ...fields } as MrFields;
  for (const k of Object.keys(fields) as Array<keyof MrFields>) if (fields[k] === undefined) delete next[k];
  const bead = store.update(mr.bead.id, { metadata: { ...(mr.bead.metadata ?? {}), mr: next } }, actor);
  return { bead, mr: next };
}

/**
 * Creates the merge request of a work bead, or updates its open one (a re-submit after a red gate or a
 * conflict): one open merge request per bead, ever. Runs in the caller's transaction.
 */
export function upsertMergeRequest(
  store: BeadStore,
  input: {
    source: Bead;
    rig: string;
    prefix: string;
    branch: string;
    target: string;
    sha: string;
    worker: string;
  },
  actor: string,
): MergeRequest {
  const existing = mergeRequestOf(store, input.source.id);
  if (existing !== null) {
    if (existing.mr.sha === input.sha && existing.mr.state === 'queued') return existing;
    const again = existing.mr.state === 'rejected' || existing.mr.state === 'conflict';
    if (existing.mr.conflict_bead !== undefined)
      store.removeDependency(existing.bead.id, existing.mr.conflict_bead, actor);
    return updateMr(
      store,
      existing,
      {
        sha: input.sha,
        branch: input.branch,
        state: 'queued',
        retry_count: existing.mr.retry_count + (again ? 1 : 0),
        gate: undefined,
        gate_output: undefined,
      },
      actor,
    );
  }
  const mr: MrFields = {
    source: input.source.id,
    rig: input.rig,
    branch: input.branch,
    target: input.target,
    sha: input.sha,
    worker: input.worker,
    state: 'queued',
    retry_count: 0,
  };
  const bead = store.create(
    {
      title: `Merge: ${input.source.title}`,
      prefix: input.prefix,
      issue_type: 'merge-request',
      priority: input.source.priority,
      labels: [MR_LABEL],
      description: `Merge ${input.branch} (${input.sha.slice(0, 12)}) into ${input.target} for ${input.source.id}.`,
      metadata: { mr },
      deps: [{ type: 'related', id: input.source.id }],
    },
    actor,
  );
  return { bead, mr };
}
