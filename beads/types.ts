/**
 * The Beads data model: the shapes a Beads user sees in `.beads/issues.jsonl` and in `bd --json`.
 *
 * Field names are Beads' own JSON names (snake_case) on purpose: a bead read from the store, printed by
 * `bd show --json`, and written to JSONL is the same object, with no mapping layer in between.
 * Semantics follow reference/beads.md sections 1 to 4; our decisions are in docs/beads.md.
 */

/** Built-in statuses (beads.md 1.2). Custom statuses come from the `status.custom` config key. */
export const STATUSES = ['open', 'in_progress', 'blocked', 'deferred', 'closed', 'pinned', 'hooked'] as const;
export type BuiltinStatus = (typeof STATUSES)[number];
/** A status: a built-in one, or a custom one declared in config. */
export type Status = BuiltinStatus | (string & {});

/**
 * Built-in issue types (beads.md 1.3), plus the Gas Town types our orchestrator files.
 * Custom types come from the `types.custom` config key; import trusts any type from other repos.
 */
export const ISSUE_TYPES = [
  'task',
  'bug',
  'feature',
  'chore',
  'epic',
  'decision',
  'message',
  'molecule',
  'gate',
  'spike',
  'story',
  'milestone',
  'event',
  'convoy',
  'agent',
  'role',
  'rig',
  'slot',
  'merge-request',
] as const;
export type IssueType = (typeof ISSUE_TYPES)[number] | (string & {});

/** Aliases `bd create -t` accepts (beads.md 1.3). */
export const ISSUE_TYPE_ALIASES: Readonly<Record<string, string>> = {
  enhancement: 'feature',
  feat: 'feature',
  dec: 'decision',
  adr: 'decision',
  investigation: 'spike',
  timebox: 'spike',
  'user-story': 'story',
  ms: 'milestone',
  mr: 'merge-request',
};

/** Types `ready` leaves out unless asked for by `--type` (beads.md 3.1 rule 2). */
export const READY_EXCLUDED_TYPES = [
  'merge-request',
  'gate',
  'molecule',
  'message',
  'agent',
  'role',
  'rig',
] as const;

/** Well-known dependency types (beads.md 1.4). Any non-empty type of at most 50 characters is stored. */
export const DEP_TYPES = [
  'blocks',
  'parent-child',
  'conditional-blocks',
  'waits-for',
  'related',
  'discovered-from',
  'relates-to',
  'replies-to',
  'duplicates',
  'supersedes',
  'tracks',
] as const;
export type DepType = (typeof DEP_TYPES)[number] | (string & {});

/** Edge types that block `ready` directly and over which cycles are refused. */
export const BLOCKING_DEP_TYPES = ['blocks', 'conditional-blocks'] as const;

/**
 * Words in a blocker's close reason that count as "it failed" for `conditional-blocks`
 * (beads.md 1.4): B runs only if A fails.
 */
export const FAILURE_CLOSE_WORDS = [
  'failed',
  'rejected',
  'wontfix',
  "won't fix",
  'canceled',
  'cancelled',
  'abandoned',
  'blocked',
  'error',
  'timeout',
  'aborted',
] as const;

/** An edge: `issue_id` depends on (is blocked by, is a child of, ...) `depends_on_id`. */
export interface Dependency {
  issue_id: string;
  depends_on_id: string;
  type: DepType;
  /** RFC 3339 UTC, second precision. */
  created_at: string;
  created_by: string;
  /** A JSON object, as text (Beads stores it so; `{}` when empty). */
  metadata?: string;
  /** Root of a mail thread, for `replies-to` edges. */
  thread_id?: string;
}

/** A comment. Old SQLite exports carry integer ids; ours are strings. Readers accept both. */
export interface Comment {
  id: string | number;
  issue_id: string;
  author: string;
  text: string;
  created_at: string;
}

/** An audit-trail entry (never exported to JSONL). */
export interface BeadEvent {
  id: number;
  issue_id: string;
  event_type: string;
  actor: string;
  old_value?: string;
  new_value?: string;
  comment?: string;
  created_at: string;
}

/**
 * A bead. Optional fields are absent (not null, not '') when unset, as in Beads' `omitempty` JSON.
 * Timestamps are RFC 3339 UTC strings with second precision (`2026-03-10T12:00:00Z`).
 */
export interface Bead {
  id: string;
  title: string;
  description?: string;
  design?: string;
  acceptance_criteria?: string;
  notes?: string;
  spec_id?: string;
  status: Status;
  /** 0 (critical) to 4 (backlog). */
  priority: number;
  issue_type: IssueType;
  assignee?: string;
  owner?: string;
  estimated_minutes?: number;
  created_at: string;
  created_by?: string;
  updated_at: string;
  started_at?: string;
  /** Set if and only if status is closed. */
  closed_at?: string;
  close_reason?: string;
  closed_by_session?: string;
  due_at?: string;
  /** While in the future, the bead is hidden from `ready`. */
  defer_until?: string;
  external_ref?: string;
  source_system?: string;
  /** Arbitrary JSON object; the extension point for structured fields. */
  metadata?: Record<string, unknown>;
  compaction_level?: number;
  compacted_at?: string;
  compacted_at_commit?: string;
  original_size?: number;
  /** Message author (mail). */
  sender?: string;
  /** A wisp: lives in the database only, never exported to the canonical JSONL. */
  ephemeral?: boolean;
  no_history?: boolean;
  wisp_type?: string;
  pinned?: boolean;
  is_template?: boolean;
  mol_type?: string;
  work_type?: string;
  await_type?: string;
  await_id?: string;
  /** Gate timeout in nanoseconds (a Go duration, as Beads writes it). */
  timeout?: number;
  waiters?: string[];
  bonded_from?: unknown[];
  source_formula?: string;
  source_location?: string;
  event_kind?: string;
  actor?: string;
  target?: string;
  payload?: string;
  labels?: string[];
  /** Outgoing edges. */
  dependencies?: Dependency[];
  comments?: Comment[];
  /**
   * Fields this store does not model, kept verbatim from an import and written back on export
   * (for example the removed Gas Town fields `agent_state`, `hook_bead`, `last_activity`).
   */
  extra?: Record<string, unknown>;
}

/** A deletion record: written to JSONL as a tombstone line so deletions merge explicitly. */
export interface Tombstone {
  id: string;
  deleted_at: string;
  deleted_by: string;
  delete_reason?: string;
  original_type?: string;
}

/** One line of `.beads/issues.jsonl`: a live bead or a tombstone. */
export type JsonlRecord = { kind: 'bead'; bead: Bead } | { kind: 'tombstone'; tombstone: Tombstone };

/** Sort orders of `ready` (beads.md 3.1). */
export const READY_SORTS = ['priority', 'hybrid', 'oldest'] as const;
export type ReadySort = (typeof READY_SORTS)[number];
