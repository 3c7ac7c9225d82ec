import { BeadsError, NotFoundError } from './errors.js';
import type { BeadStore } from './store.types.js';
import type { Bead, Status } from './types.js';

/**
 * Convoys (reference/gastown.md 3.4): a bead of type `convoy` that tracks other beads through `tracks`
 * edges from the convoy to each tracked bead. A `tracks` edge never blocks the tracked bead.
 *
 * A convoy lands (is closed with reason `All tracked beads closed`) when every tracked bead is closed
 * and at least one of them was resolved (closed, not a tombstone): a convoy tracking nothing never
 * lands. An owned convoy (label `gt:owned`) is caller-managed: it lands only through `landConvoy`
 * (`gt convoy land`), with reason `Landed by owner`. Decisions: docs/convoys.md.
 */

/** Issue type of a convoy bead. */
export const CONVOY_TYPE = 'convoy';
/** Edge type from a convoy to a bead it tracks. */
export const TRACKS = 'tracks';
/** Label of a caller-managed convoy. */
export const OWNED_LABEL = 'gt:owned';
/** Close reason of a convoy that landed on its own. */
export const LANDED_REASON = 'All tracked beads closed';
/** Close reason of an owned convoy landed by `gt convoy land`. */
export const LANDED_BY_OWNER_REASON = 'Landed by owner';
/** Status shown for a tracked bead that was deleted (its `tracks` edge outlived it). */
export const TOMBSTONE_STATUS = 'tombstone';

/** A refused convoy operation (`convoy.not_found`, `convoy.not_convoy`, `convoy.closed`, ...). */
export class ConvoyError extends BeadsError {}

/** Input of `createConvoy`. */
export interface CreateConvoyInput {
  title: string;
  /** Beads to track (ids or unique partial ids); may be empty. */
  beads: readonly string[];
  /** Caller-managed: label `gt:owned`, lands only through `landConvoy`. */
  owned?: boolean;
  actor: string;
}

/** One tracked bead in a convoy's progress. */
export interface TrackedBead {
  id: string;
  title: string;
  /** The bead's status, or `tombstone` when it was deleted. */
  status: Status;
  assignee: string | null;
  close_reason: string | null;
}

/** Where a convoy stands. `closed` counts closed beads and tombstones; `in_progress` counts hooked ones too. */
export interface ConvoyProgress {
  id: string;
  title: string;
  status: Status;
  owned: boolean;
  total: number;
  closed: number;
  in_progress: number;
  open: number;
  beads: TrackedBead[];
}

/** Outcome of `landIfComplete` / `landConvoy`. */
export interface LandResult {
  landed: boolean;
  progress: ConvoyProgress;
}

const IN_PROGRESS: ReadonlySet<string> = new Set(['in_progress', 'hooked']);

function isDone(b: TrackedBead): boolean {
  return b.status === 'closed' || b.status === TOMBSTONE_STATUS;
}

/** The convoy bead `id` (a partial id is resolved): `convoy.not_found` / `convoy.not_convoy` otherwise. */
export function getConvoy(store: BeadStore, id: string): Bead {
  let resolved: string;
  try {
    resolved = store.resolveId(id);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new ConvoyError(
        'convoy.not_found',
        `no convoy with id "${id}": list convoys with \`gt convoy list --all\``,
        { cause: err, details: { id } },
      );
    }
    throw err;
  }
  const bead = store.get(resolved);
  if (bead === null) throw new NotFoundError(id);
  if (bead.issue_type !== CONVOY_TYPE) {
    throw new ConvoyError(
      'convoy.not_convoy',
      `${resolved} is a ${bead.issue_type}, not a convoy: give a convoy id (\`gt convoy list --all\`)`,
      { details: { id: resolved, issue_type: bead.issue_type } },
    );
  }
  return bead;
}

/** Resolves the beads to track: unknown ones are NotFoundError, convoys are refused. Deduplicated. */
function resolveTrackable(store: BeadStore, beads: readonly string[]): string[] {
  const ids: string[] = [];
  for (const partial of beads) {
    const id = store.resolveId(partial);
    const bead = store.get(id);
    if (bead === null) throw new NotFoundError(partial);
    if (bead.issue_type === CONVOY_TYPE) {
      throw new ConvoyError(
        'convoy.nested',
        `${id} is itself a convoy: a convoy tracks work beads, not other convoys (add that convoy's beads instead)`,
        { details: { id } },
      );
    }
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** Creates a convoy tracking `beads`, in one transaction. Returns the convoy bead. */
export function createConvoy(store: BeadStore, input: CreateConvoyInput): Bead {
  return store.transaction(() => {
    const ids = resolveTrackable(store, input.beads);
    return store.create(
      {
        title: input.title,
        issue_type: CONVOY_TYPE,
        prefix: `${store.prefix}-cv`,
        ...(input.owned === true ? { labels: [OWNED_LABEL] } : {}),
        deps: ids.map((id) => ({ type: TRACKS, id })),
      },
      input.actor,
    );
  });
}

/**
 * Adds beads to an open convoy (already tracked ones are left alone), in one transaction. A landed
 * (closed) convoy is refused with `convoy.closed`: reopen it first. Returns the progress.
 */
export function addToConvoy(
  store: BeadStore,
  id: string,
  beads: readonly string[],
  actor: string,
): ConvoyProgress {
  return store.transaction(() => {
    const convoy = getConvoy(store, id);
    if (convoy.status === 'closed') {
      throw new ConvoyError(
        'convoy.closed',
        `convoy ${convoy.id} has landed (closed): reopen it first with \`bd reopen ${convoy.id}\`, then add the beads`,
        { details: { id: convoy.id } },
      );
    }
    for (const bead of resolveTrackable(store, beads)) store.addDependency(convoy.id, bead, TRACKS, actor);
    return convoyProgress(store, convoy.id);
  });
}

/** Ids of the beads a convoy tracks (its `tracks` edges), sorted. */
export function trackedBeads(store: BeadStore, id: string): string[] {
  const convoy = getConvoy(store, id);
  return store.dependencies(convoy.id, 'down', TRACKS).map((d) => d.depends_on_id);
}

function progressOf(store: BeadStore, convoy: Bead): ConvoyProgress {
  const ids = store.dependencies(convoy.id, 'down', TRACKS).map((d) => d.depends_on_id);
  const found = new Map(store.getMany(ids).map((b) => [b.id, b]));
  const beads: TrackedBead[] = ids.map((tid) => {
    const b = found.get(tid);
    return b === undefined
      ? { id: tid, title: '(deleted)', status: TOMBSTONE_STATUS, assignee: null, close_reason: null }
      : {
          id: b.id,
          title: b.title,
          status: b.status,
          assignee: b.assignee ?? null,
          close_reason: b.close_reason ?? null,
        };
  });
  const closed = beads.filter(isDone).length;
  const inProgress = beads.filter((b) => IN_PROGRESS.has(b.status)).length;
  return {
    id: convoy.id,
    title: convoy.title,
    status: convoy.status,
    owned: (convoy.labels ?? []).includes(OWNED_LABEL),
    total: beads.length,
    closed,
    in_progress: inProgress,
    open: beads.length - closed - inProgress,
    beads,
  };
}

/** Where the convoy stands: its tracked beads with their status, and the counts. */
export function convoyProgress(store: BeadStore, id: string): ConvoyProgress {
  return progressOf(store, getConvoy(store, id));
}

/** Ids of the open (not closed) convoys tracking `beadId`. */
export function convoysTracking(store: BeadStore, beadId: string): string[] {
  const ids = store.dependencies(beadId, 'up', TRACKS).map((d) => d.issue_id);
  return store
    .getMany(ids)
    .filter((b) => b.issue_type === CONVOY_TYPE && b.status !== 'closed')
    .map((b) => b.id);
}

/** Convoys with their progress, newest first: open ones, or every one with `all`. */
export function listConvoys(store: BeadStore, options: { all?: boolean } = {}): ConvoyProgress[] {
  return store
    .list({
      type: [CONVOY_TYPE],
      sort: 'created',
      reverse: true,
      ...(options.all === true ? { status: 'all' } : {}),
    })
    .map((c) => progressOf(store, c));
}

/** True when every tracked bead is closed (or a tombstone) and at least one is really closed. */
export function isComplete(progress: ConvoyProgress): boolean {
  return (
    progress.total > 0 &&
    progress.closed === progress.total &&
    progress.beads.some((b) => b.status === 'closed')
  );
}

function land(store: BeadStore, convoy: Bead, reason: string, actor: string): LandResult {
  store.close(convoy.id, { reason, force: true }, actor);
  return { landed: true, progress: convoyProgress(store, convoy.id) };
}

/**
 * Lands the convoy when it is complete and not owned (owned convoys wait for `landConvoy`), in one
 * transaction. A closed convoy, an owned one, or an unfinished one: `landed: false`, nothing changed.
 */
export function landIfComplete(store: BeadStore, id: string, actor: string): LandResult {
  return store.transaction(() => {
    const convoy = getConvoy(store, id);
    const progress = progressOf(store, convoy);
    if (convoy.status === 'closed' || progress.owned || !isComplete(progress))
      return { landed: false, progress };
    return land(store, convoy, LANDED_REASON, actor);
  });
}

/**
 * Lands every open, non-owned convoy tracking `beadId` that is now complete (call it in the
 * transaction that closed the bead). Returns the progress of each convoy that landed.
 */
export function landConvoysOf(store: BeadStore, beadId: string, actor: string): ConvoyProgress[] {
  return store.transaction(() =>
    convoysTracking(store, beadId)
      .map((id) => landIfComplete(store, id, actor))
      .filter((r) => r.landed)
      .map((r) => r.progress),
  );
}

/**
 * `gt convoy land`: lands the convoy now if it is complete (an owned convoy with reason
 * `Landed by owner`, another with `All tracked beads closed`), else refuses with `convoy.not_done`
 * naming what is still open. An already closed convoy: `landed: false`, nothing changed.
 */
export function landConvoy(store: BeadStore, id: string, actor: string): LandResult {
  return store.transaction(() => {
    const convoy = getConvoy(store, id);
    const progress = progressOf(store, convoy);
    if (convoy.status === 'closed') return { landed: false, progress };
    if (!isComplete(progress)) {
      const pending = progress.beads.filter((b) => !isDone(b));
      const why =
        progress.total === 0
          ? 'it tracks no beads: add some with `gt convoy add`'
          : pending.length > 0
            ? `${pending.length} of ${progress.total} tracked beads are not closed (${pending
                .slice(0, 5)
                .map((b) => `${b.id} ${b.status}`)
                .join(', ')}${pending.length > 5 ? ', ...' : ''}): close them first`
            : 'none of its tracked beads was resolved (all were deleted): add work with `gt convoy add`';
      throw new ConvoyError('convoy.not_done', `convoy ${convoy.id} cannot land: ${why}`, {
        details: { id: convoy.id, pending: pending.map((b) => b.id) },
      });
    }
    return land(store, convoy, progress.owned ? LANDED_BY_OWNER_REASON : LANDED_REASON, actor);
  });
}
