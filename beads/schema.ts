import type { Database } from 'better-sqlite3';
import { BeadsError } from './errors.js';

/** Version 1's issues table and its indexes (version 2 rebuilds the table clustered on `id`). */
const V1_ISSUES_TABLE = `
  CREATE TABLE issues (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    description TEXT NOT NULL DEFAULT '',
    design TEXT NOT NULL DEFAULT '',
    acceptance_criteria TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    spec_id TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    priority INTEGER NOT NULL DEFAULT 2 CHECK (priority BETWEEN 0 AND 4),
    issue_type TEXT NOT NULL DEFAULT 'task',
    assignee TEXT,
    owner TEXT,
    estimated_minutes INTEGER,
    created_at TEXT NOT NULL,
    created_by TEXT,
    updated_at TEXT NOT NULL,
    started_at TEXT,
    closed_at TEXT,
    close_reason TEXT,
    closed_by_session TEXT,
    due_at TEXT,
    defer_until TEXT,
    external_ref TEXT,
    source_system TEXT,
    metadata TEXT,
    compaction_level INTEGER,
    compacted_at TEXT,
    compacted_at_commit TEXT,
    original_size INTEGER,
    sender TEXT,
    ephemeral INTEGER NOT NULL DEFAULT 0,
    no_history INTEGER NOT NULL DEFAULT 0,
    wisp_type TEXT,
    pinned INTEGER NOT NULL DEFAULT 0,
    is_template INTEGER NOT NULL DEFAULT 0,
    mol_type TEXT,
    work_type TEXT,
    await_type TEXT,
    await_id TEXT,
    timeout INTEGER,
    waiters TEXT,
    bonded_from TEXT,
    source_formula TEXT,
    source_location TEXT,
    event_kind TEXT,
    actor TEXT,
    target TEXT,
    payload TEXT,
    extra TEXT,
    is_blocked INTEGER NOT NULL DEFAULT 0,
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
  );
`;
const ISSUES_INDEXES = `
  CREATE INDEX idx_issues_ready ON issues (priority, created_at DESC, id)
    WHERE is_blocked = 0 AND status IN ('open', 'in_progress') AND pinned = 0 AND ephemeral = 0;
  CREATE INDEX idx_issues_assignee ON issues (assignee) WHERE assignee IS NOT NULL;
  CREATE INDEX idx_issues_external_ref ON issues (external_ref) WHERE external_ref IS NOT NULL;
  CREATE INDEX idx_issues_defer ON issues (defer_until) WHERE defer_until IS NOT NULL;

`;

/**
 * The store's schema, as an ordered list of migrations applied by `PRAGMA user_version`.
 * Column names are Beads' JSON field names, so a row maps to a bead without renaming.
 */
export const MIGRATIONS: readonly string[] = [
  `
${V1_ISSUES_TABLE}${ISSUES_INDEXES}  CREATE TABLE dependencies (
    issue_id TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    depends_on_id TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'blocks',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    thread_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (issue_id, depends_on_id)
  ) WITHOUT ROWID;
  CREATE INDEX idx_deps_target ON dependencies (depends_on_id, type, issue_id);
  CREATE INDEX idx_deps_source ON dependencies (issue_id, type);

  CREATE TABLE labels (
    issue_id TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    PRIMARY KEY (issue_id, label)
  ) WITHOUT ROWID;
  CREATE INDEX idx_labels_label ON labels (label, issue_id);

  CREATE TABLE comments (
    id NOT NULL,
    issue_id TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    author TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issue_id, id)
  );

  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    actor TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    comment TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX idx_events_issue ON events (issue_id, id);

  CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE dirty_issues (issue_id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE child_counters (parent_id TEXT PRIMARY KEY, last_child INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE tombstones (
    id TEXT PRIMARY KEY,
    deleted_at TEXT NOT NULL,
    deleted_by TEXT NOT NULL,
    delete_reason TEXT,
    original_type TEXT
  );
  `,
  // v2: fewer pages written per change. The issues table is clustered on id (WITHOUT ROWID: no
  // separate id index to update). Events lose AUTOINCREMENT (no sqlite_sequence write). Dirty marks become an append-only log whose rowid is the change sequence (one
  // rightmost page instead of a keyed row plus a counter row); a row with issue_id '' keeps the
  // sequence from restarting below a value a flush has already cleared. Events are clustered by bead
  // (issue_id, id), id numbering each bead's events from 1 (no separate index to write). idx_deps_source goes: the
  // dependencies primary key (issue_id, depends_on_id) already serves lookups by issue_id. The town's
  // actors keep their machine snapshots and the replies of handled bus messages here, so both are
  // written in the same transaction as the store change they go with.
  `
  ${V1_ISSUES_TABLE.replace('CREATE TABLE issues (', 'CREATE TABLE issues_v2 (').replace(/\);\s*$/, ') WITHOUT ROWID;')}
  INSERT INTO issues_v2 SELECT * FROM issues;
  DROP TABLE issues;
  ALTER TABLE issues_v2 RENAME TO issues;
  ${ISSUES_INDEXES}
  CREATE TABLE events_v2 (
    id INTEGER NOT NULL,
    issue_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    actor TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    comment TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issue_id, id)
  ) WITHOUT ROWID;
  INSERT INTO events_v2 SELECT id, issue_id, event_type, actor, old_value, new_value, comment, created_at FROM events;
  DROP TABLE events;
  ALTER TABLE events_v2 RENAME TO events;
  CREATE TABLE dirty_log (seq INTEGER PRIMARY KEY, issue_id TEXT NOT NULL);
  INSERT INTO dirty_log (seq, issue_id) SELECT seq, issue_id FROM dirty_issues ORDER BY seq;
  INSERT OR IGNORE INTO dirty_log (seq, issue_id) SELECT CAST(value AS INTEGER), '' FROM meta WHERE key = 'dirty_seq';
  DROP TABLE dirty_issues;
  DELETE FROM meta WHERE key = 'dirty_seq';
  DROP INDEX idx_deps_source;
  CREATE TABLE actor_state (
    address TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE handled_messages (id TEXT PRIMARY KEY, reply TEXT NOT NULL, handled_at TEXT NOT NULL) WITHOUT ROWID;
  `,
];

/** Current schema version. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Applies the pragmas every connection needs. */
export function applyPragmas(db: Database, busyTimeoutMs: number, readonly: boolean): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -65536');
  // Writers do not pay for checkpoints on their hot path: the flush that follows a burst of writes
  // checkpoints (BeadStore.checkpoint), and this cap (64 MiB of WAL) only bounds a long burst.
  db.pragma('wal_autocheckpoint = 16000');
  db.pragma('temp_store = MEMORY');
}

/** Brings the schema up to date, one migration per transaction. Returns the version before. */
export function migrate(db: Database): number {
  const before = db.pragma('user_version', { simple: true }) as number;
  if (before > SCHEMA_VERSION) {
    throw new BeadsError(
      'store.schema_newer',
      `store schema version ${before} is newer than this bd (${SCHEMA_VERSION}): upgrade bd`,
    );
  }
  if (before === SCHEMA_VERSION) return before;
  // Tables are rebuilt by create-copy-drop-rename, which must not cascade deletes to their children.
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) === 1;
  db.pragma('foreign_keys = OFF');
  try {
    for (let v = before; v < SCHEMA_VERSION; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v] ?? '');
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0)
          throw new BeadsError(
            'store.migration_failed',
            `migrating the store to schema ${v + 1} left ${broken.length} broken references: nothing was changed`,
          );
        db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
  } finally {
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
  return before;
}
