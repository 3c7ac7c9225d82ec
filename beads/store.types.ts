import type {
  Bead,
  BeadEvent,
  Comment,
  Dependency,
  DepType,
  IssueType,
  JsonlRecord,
  ReadySort,
  Status,
  Tombstone,
} from './types.js';

/**
 * Inputs and outputs of the Beads store (`SqliteBeadStore` in store.ts).
 *
 * Every mutating call takes the acting identity (`actor`), runs in one SQLite transaction, records an
 * audit event, marks the touched beads dirty for the next JSONL export, and keeps the materialised
 * `blocked` flag exact before it commits. Absence is `null`; refusals are typed errors (errors.ts).
 */

/** Fields accepted by `create`. Defaults: status open, priority 2, type task. */
export interface CreateInput {
  title: string;
  /** Explicit id (`--id`); must carry the store's prefix (or `prefix`) unless `force`. */
  id?: string;
  /**
   * Id prefix of the new bead instead of the store's: a rig's beads (`web-a3f`) live in the node's one
   * store under the rig's prefix.
   */
  prefix?: string;
  force?: boolean;
  description?: string;
  design?: string;
  acceptance_criteria?: string;
  notes?: string;
  spec_id?: string;
  status?: Status;
  priority?: number;
  issue_type?: IssueType;
  assignee?: string;
  owner?: string;
  estimated_minutes?: number;
  due_at?: string;
  defer_until?: string;
  external_ref?: string;
  source_system?: string;
  metadata?: Record<string, unknown>;
  sender?: string;
  ephemeral?: boolean;
  wisp_type?: string;
  pinned?: boolean;
  labels?: string[];
  /** Parent bead: the new bead gets the next hierarchical id `<parent>.N` and a parent-child edge. */
  parent?: string;
  /** Edges from the new bead: `{ type: 'blocks', id: 'bd-a1' }` means the new bead is blocked by bd-a1. */
  deps?: Array<{ type: DepType; id: string }>;
}

/**
 * Fields accepted by `update`. `null` clears an optional field. Setting status to closed goes through
 * the close path (closed_at, guards); leaving closed clears closed_at and close_reason.
 */
export interface UpdateInput {
  title?: string;
  description?: string;
  design?: string;
  acceptance_criteria?: string;
  notes?: string;
  /** Appended to notes after a newline. */
  append_notes?: string;
  spec_id?: string | null;
  status?: Status;
  priority?: number;
  issue_type?: IssueType;
  assignee?: string | null;
  owner?: string | null;
  estimated_minutes?: number | null;
  due_at?: string | null;
  defer_until?: string | null;
  external_ref?: string | null;
  metadata?: Record<string, unknown> | null;
  add_labels?: string[];
  remove_labels?: string[];
  set_labels?: string[];
  /** Reparent (replaces any parent-child edge); null removes the parent. */
  parent?: string | null;
  ephemeral?: boolean;
  pinned?: boolean;
}

/** Options of `close`. */
export interface CloseOptions {
  reason?: string;
  /** Bypass the guards (open blockers, epic with open children, pinned). */
  force?: boolean;
  session?: string;
}

/** Filters of `list`, `search` and `count`. Every given filter must hold (AND). */
export interface ListFilter {
  /** Statuses to include; default: every status but closed. `'all'` includes closed. */
  status?: Status[] | 'all';
  type?: string[];
  assignee?: string;
  no_assignee?: boolean;
  /** The bead has every one of these labels. */
  labels?: string[];
  /** The bead has at least one of these labels. */
  labels_any?: string[];
  priority?: number[];
  priority_min?: number;
  priority_max?: number;
  /** Descendants of this bead (through parent-child edges, recursively). */
  parent?: string;
  ids?: string[];
  /** Case-insensitive substring of title, description, notes or external_ref, or an id prefix. */
  text?: string;
  title_contains?: string;
  include_ephemeral?: boolean;
  /** Default: no limit. */
  limit?: number;
  /** Default `priority` (priority asc, created_at desc, id). */
  sort?: 'priority' | 'created' | 'updated' | 'id';
  reverse?: boolean;
}

/** Options of `ready` (beads.md 3.1). */
export interface ReadyOptions {
  /** Default 100. */
  limit?: number;
  /** Default `priority`. */
  sort?: ReadySort;
  assignee?: string;
  unassigned?: boolean;
  priority?: number;
  labels?: string[];
  labels_any?: string[];
  /** Explicit types: replaces the default exclusion list. */
  type?: string[];
  exclude_type?: string[];
  include_deferred?: boolean;
  include_ephemeral?: boolean;
  /** Only descendants of this bead. */
  parent?: string;
}

/** A bead returned by `blocked`, with what blocks it. */
export type BlockedBead = Bead & { blocked_by_count: number; blocked_by: string[] };

/** One row of `depTree`. */
export interface TreeNode {
  id: string;
  title: string;
  status: Status;
  priority: number;
  issue_type: IssueType;
  depth: number;
  /** The node this one was reached from (empty at the root). */
  parent_id: string;
  /** Edge type from parent_id to this node. */
  dep_type: string;
  /** The node was already shown on another path (diamond) and is not expanded again. */
  truncated: boolean;
}

/** Output of `status` (Beads' statistics shape). */
export interface StoreStatistics {
  total_issues: number;
  open_issues: number;
  in_progress_issues: number;
  closed_issues: number;
  blocked_issues: number;
  deferred_issues: number;
  pinned_issues: number;
  hooked_issues: number;
  ready_issues: number;
  ephemeral_issues: number;
  epics_eligible_for_closure: number;
  average_lead_time_hours: number;
}

/** Result of `importRecords`. */
export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  /** Local bead newer than the incoming one: kept. */
  skipped: number;
  deleted: number;
  ids: string[];
}

/** Options of `importRecords`. */
export interface ImportOptions {
  /** Replace existing beads even when the local copy is newer. */
  force?: boolean;
  /** Leave these ids alone (local unflushed edits during an auto-import). */
  protect?: ReadonlySet<string>;
  actor: string;
  /** Audit events to append in the same transaction (the split backup format carries them). */
  events?: ReadonlyArray<Omit<BeadEvent, 'id'>>;
  /** How many records an iterable (not an array) will yield: lets a large load take the bulk path. */
  expectedCount?: number;
  /** The records' ids are all distinct (a parsed file is deduplicated): an empty store skips lookups. */
  distinctIds?: boolean;
}

/** A read-only view used by export: every live bead with labels, edges and comments, and tombstones. */
export interface StoreSnapshot {
  beads: Bead[];
  tombstones: Tombstone[];
}

/** Options when opening a store. */
export interface OpenOptions {
  /** SQLite busy timeout in ms. Default 30000. */
  busyTimeoutMs?: number;
  /** Clock, for tests. Default `() => new Date()`. */
  now?: () => Date;
  readonly?: boolean;
}

export type { Bead, BeadEvent, Comment, Dependency, JsonlRecord, Tombstone };

/**
 * The store's public surface. `SqliteBeadStore` (store.ts) implements it; the CLI, import/export,
 * mail, compaction and the daemon use only this.
 */
export interface BeadStore {
  /** Absolute path of the SQLite file. */
  readonly path: string;
  /** The id prefix (config `issue_prefix`), e.g. `bd`. */
  readonly prefix: string;
  close(): void;

  getConfig(key: string): string | null;
  setConfig(key: string, value: string): void;
  /** Internal key/value state (last export hash, ...), not user config. */
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;

  /** Exact id, id without prefix, or unique prefix/substring. Throws NotFoundError / AmbiguousIdError. */
  resolveId(partial: string): string;
  /** One bead with labels, dependencies and comments, or null. Wisps included. */
  get(id: string): Bead | null;
  /** Several beads (missing ids are skipped), same shape as `get`. */
  getMany(ids: readonly string[]): Bead[];

  create(input: CreateInput, actor: string): Bead;
  update(id: string, input: UpdateInput, actor: string): Bead;
  close(id: string, options: CloseOptions, actor: string): Bead;
  reopen(id: string, reason: string | undefined, actor: string): Bead;
  /**
   * Atomic claim: one conditional UPDATE (status open, assignee empty or actor) sets assignee=actor,
   * status in_progress. Same actor again: success. Other assignee: AlreadyClaimedError. Not open:
   * NotClaimableError.
   */
  claim(id: string, actor: string): Bead;
  /** Claims the first claimable ready bead (open, unassigned) in one transaction; null if none. */
  claimReady(actor: string, options?: ReadyOptions): Bead | null;
  /** Deletes a bead (and its edges both ways), leaving a tombstone. */
  delete(id: string, reason: string | undefined, actor: string): Tombstone;

  addDependency(
    issueId: string,
    dependsOnId: string,
    type: DepType,
    actor: string,
    extra?: { metadata?: string; thread_id?: string },
  ): Dependency;
  /** False when there was no such edge. */
  removeDependency(issueId: string, dependsOnId: string, actor: string): boolean;
  /** `down`: edges out of the bead (what it depends on); `up`: edges into it (its dependents). */
  dependencies(id: string, direction: 'down' | 'up', type?: DepType): Dependency[];
  depTree(id: string, options?: { direction?: 'down' | 'up'; maxDepth?: number; type?: DepType }): TreeNode[];
  /** Every cycle over blocking edges (should be none: adds refuse them; imports may carry them). */
  cycles(): string[][];

  addLabel(id: string, label: string, actor: string): boolean;
  removeLabel(id: string, label: string, actor: string): boolean;
  labels(id: string): string[];
  allLabels(): Array<{ label: string; count: number }>;

  addComment(id: string, text: string, actor: string): Comment;
  comments(id: string): Comment[];
  events(id: string, limit?: number): BeadEvent[];

  list(filter?: ListFilter): Bead[];
  search(text: string, filter?: ListFilter): Bead[];
  count(filter?: ListFilter): number;
  countBy(
    field: 'status' | 'issue_type' | 'priority' | 'assignee' | 'label',
    filter?: ListFilter,
  ): Array<{ key: string; count: number }>;
  ready(options?: ReadyOptions): Bead[];
  blocked(options?: { parent?: string }): BlockedBead[];
  stale(options?: { days?: number; status?: Status[]; limit?: number }): Bead[];
  statistics(): StoreStatistics;

  /** Every live bead (sorted by id) and tombstone, for export. */
  snapshot(options?: { includeEphemeral?: boolean; ids?: readonly string[] }): StoreSnapshot;
  /**
   * The canonical export as lines (beads and tombstones, sorted by id, Go escaping applied), built
   * by SQLite: the fast path of a full export. Byte-identical to serializing `snapshot()`.
   */
  exportLines(options?: { includeEphemeral?: boolean }): string[];
  /** Upsert in one transaction: all or nothing. Unknown fields kept in `extra`. */
  importRecords(records: Iterable<JsonlRecord>, options: ImportOptions): ImportSummary;
  /** Ids changed since the last `clearDirty` (for incremental export), with the change sequence. */
  dirty(): { ids: string[]; seq: number };
  clearDirty(ids: readonly string[], upToSeq: number): void;
  /** A hosted actor's persisted machine snapshot (JSON), or null when it has none. */
  actorState(address: string): { role: string; snapshot: string; updated_at: string } | null;
  /** Every persisted actor snapshot's address and role. */
  actorStates(): Array<{ address: string; role: string; updated_at: string }>;
  /** Persists an actor's snapshot (JSON text); call inside the transaction of the change it goes with. */
  saveActorState(address: string, role: string, snapshot: string): void;
  /** The recorded reply (JSON text) of a bus message already handled, or null. */
  handledReply(messageId: string): string | null;
  /** Records a handled message's reply; call inside the transaction of the change it made. */
  recordHandled(messageId: string, reply: string): void;
  /** Forgets handled messages recorded before `beforeIso`; returns how many. */
  pruneHandled(beforeIso: string): number;
  /** Copies the write-ahead log back into the database file without blocking (after a flush). */
  checkpoint(): void;
  /** Runs fn in one write transaction (nested calls join it). */
  transaction<T>(fn: () => T): T;
}
