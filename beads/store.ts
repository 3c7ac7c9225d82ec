import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import { BlockedIndex, isFailureReason, recomputeAllBlocked, waitsForGate } from './blocked.js';
import {
  AlreadyClaimedError,
  AmbiguousIdError,
  BeadsError,
  CycleError,
  GuardError,
  NoStoreError,
  NotClaimableError,
  NotFoundError,
  ValidationError,
} from './errors.js';
import { ImportChildBatch } from './import-batch.js';
import { childDepth, childNumber, generateHashId, MAX_CHILD_DEPTH } from './ids.js';
import { applyPragmas, migrate } from './schema.js';
import { listOrder, listWhere, readyOrder, readyWhere } from './store-queries.js';
import type { Row } from './store-rows.js';
import {
  BEAD_SELECT,
  beadToRow,
  beadToValues,
  ROW_VALUE_COLUMNS,
  rowToComment,
  rowToDependency,
  stableJson,
  valuesToBead,
} from './store-rows.js';
import type {
  BeadStore,
  BlockedBead,
  CloseOptions,
  CreateInput,
  ImportOptions,
  ImportSummary,
  ListFilter,
  OpenOptions,
  ReadyOptions,
  StoreSnapshot,
  StoreStatistics,
  TreeNode,
  UpdateInput,
} from './store.types.js';
import { beadLineSql, goEscape, serializeBead, serializeTombstone } from './jsonl-serialize.js';
import { formatTimestamp } from './time.js';
import type {
  Bead,
  BeadEvent,
  Comment,
  Dependency,
  DepType,
  JsonlRecord,
  Status,
  Tombstone,
} from './types.js';
import {
  checkDepType,
  checkEstimate,
  checkIssueType,
  checkLabel,
  checkMetadata,
  checkPrefix,
  checkPriority,
  checkStatus,
  checkTitle,
  parseCustomList,
} from './validate.js';

const BLOCKING = new Set(['blocks', 'conditional-blocks']);
const ROW_COLUMNS = ROW_VALUE_COLUMNS;
const BOOL_COLUMN_INDEXES = new Set(
  ['ephemeral', 'no_history', 'pinned', 'is_template'].map((c) => ROW_COLUMNS.indexOf(c)),
);
const CHUNK = 500;
/** Events are numbered per bead: the next id of the bead bound to this parameter. */
const NEXT_EVENT_ID = `(SELECT coalesce(max(id), 0) + 1 FROM events WHERE issue_id = ?)`;
/** Imports of at least this many records into an empty store rebuild the indexes afterwards. */
const BULK_LOAD_MIN = 5_000;

/** Another writer filled the store between the bulk-load check and the transaction: load normally. */
class StoreNoLongerEmpty extends Error {}

function rowToTombstone(r: Row): Tombstone {
  const t: Tombstone = {
    id: r.id as string,
    deleted_at: r.deleted_at as string,
    deleted_by: r.deleted_by as string,
  };
  if (r.delete_reason != null) t.delete_reason = r.delete_reason as string;
  if (r.original_type != null) t.original_type = r.original_type as string;
  return t;
}

/** The Beads store on one SQLite file: the single implementation of `BeadStore`. */
export class SqliteBeadStore implements BeadStore {
  readonly path: string;
  readonly prefix: string;
  private readonly db: Database;
  private readonly now: () => Date;
  private readonly blockedIndex: BlockedIndex;
  private readonly stmts = new Map<string, Statement>();
  private readonly rawStmts = new Map<string, Statement>();
  private readonly insertStmts = new Map<number, Statement>();
  private topLevelCount: number;
  private commentSeq = 0;
  private configCache: Map<string, string> | null = null;
  private configVersion = -1;
  /** Parsed custom lists (`status.custom`, `types.custom`) with the config text they came from. */
  private readonly customLists = new Map<string, { value: string | null; names: readonly string[] }>();

  private constructor(db: Database, path: string, options: OpenOptions) {
    this.db = db;
    this.path = path;
    this.now = options.now ?? (() => new Date());
    const prefix = this.getConfig('issue_prefix');
    if (prefix === null) throw new NoStoreError(path);
    this.prefix = prefix;
    this.blockedIndex = new BlockedIndex(db);
    this.topLevelCount = this.countTopLevel();
  }

  /** Creates a new store file with this id prefix. Refuses an existing store. */
  static create(dbPath: string, prefix: string, options: OpenOptions = {}): SqliteBeadStore {
    checkPrefix(prefix);
    if (existsSync(dbPath)) {
      throw new BeadsError(
        'store.exists',
        `a store already exists at ${dbPath}: open it instead of creating it`,
      );
    }
    const db = new BetterSqlite3(dbPath);
    applyPragmas(db, options.busyTimeoutMs ?? 30_000, false);
    migrate(db);
    db.prepare(`INSERT INTO config (key, value) VALUES ('issue_prefix', ?)`).run(prefix);
    return new SqliteBeadStore(db, dbPath, options);
  }

  /** Opens an existing store (migrating its schema forward). */
  static open(dbPath: string, options: OpenOptions = {}): SqliteBeadStore {
    if (!existsSync(dbPath)) throw new NoStoreError(dbPath);
    const db = new BetterSqlite3(dbPath, { readonly: options.readonly === true, fileMustExist: true });
    try {
      applyPragmas(db, options.busyTimeoutMs ?? 30_000, options.readonly === true);
      if (options.readonly !== true) migrate(db);
      return new SqliteBeadStore(db, dbPath, options);
    } catch (err) {
      db.close();
      if (err instanceof BeadsError) throw err;
      throw new NoStoreError(dbPath);
    }
  }

  /** `close()` closes the database; `close(id, options, actor)` closes a bead. */
  close(): void;
  close(id: string, options: CloseOptions, actor: string): Bead;
  close(id?: string, options: CloseOptions = {}, actor = 'unknown'): Bead | void {
    if (id === undefined) {
      if (this.db.open) this.db.close();
      return;
    }
    return this.closeBead(id, options, actor);
  }

  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    this.stmt('BEGIN IMMEDIATE').run();
    try {
      const result = fn();
      this.stmt('COMMIT').run();
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.stmt('ROLLBACK').run();
      throw err;
    }
  }

  // ---------------------------------------------------------------- config

  getConfig(key: string): string | null {
    const version = this.stmt('PRAGMA data_version').pluck().get() as number;
    if (this.configCache === null || version !== this.configVersion) {
      const rows = this.stmt(`SELECT key, value FROM config`).all() as Array<{ key: string; value: string }>;
      this.configCache = new Map(rows.map((r) => [r.key, r.value]));
      this.configVersion = version;
    }
    return this.configCache.get(key) ?? null;
  }

  setConfig(key: string, value: string): void {
    this.configCache = null;
    this.stmt(
      `INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    ).run(key, value);
  }

  getMeta(key: string): string | null {
    return (this.stmt(`SELECT value FROM meta WHERE key = ?`).pluck().get(key) as string | undefined) ?? null;
  }

  setMeta(key: string, value: string): void {
    this.stmt(
      `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    ).run(key, value);
  }

  // ---------------------------------------------------------------- reads

  resolveId(partial: string): string {
    const text = partial.trim();
    if (text === '') throw new ValidationError('an id is required', { field: 'id' });
    if (this.exists(text)) return text;
    const prefixed = `${this.prefix}-${text}`;
    if (this.exists(prefixed)) return prefixed;
    const esc = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
    for (const pattern of [`${esc(text)}%`, `${esc(prefixed)}%`, `%${esc(text)}%`]) {
      const ids = this.stmt(`SELECT id FROM issues WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 21`)
        .pluck()
        .all(pattern) as string[];
      if (ids.length === 1) return ids[0] as string;
      if (ids.length > 1) throw new AmbiguousIdError(text, ids);
    }
    throw new NotFoundError(text);
  }

  get(id: string): Bead | null {
    const values = this.rawStmt(`SELECT ${BEAD_SELECT} FROM issues i WHERE i.id = ?`).get(id) as
      unknown[] | undefined;
    if (!values) return null;
    return this.attachComments([valuesToBead(values)])[0] ?? null;
  }

  getMany(ids: readonly string[]): Bead[] {
    return this.selectBeads(`i.id IN (SELECT value FROM json_each(?))`, [JSON.stringify(ids)], 'i.id');
  }

  list(filter: ListFilter = {}): Bead[] {
    const where = listWhere(filter);
    return this.selectBeads(where.sql, where.params, listOrder(filter), filter.limit);
  }

  search(text: string, filter: ListFilter = {}): Bead[] {
    return this.list({ status: 'all', ...filter, text });
  }

  count(filter: ListFilter = {}): number {
    const where = listWhere(filter);
    return this.db
      .prepare(`SELECT count(*) FROM issues i WHERE ${where.sql}`)
      .pluck()
      .get(...where.params) as number;
  }

  countBy(
    field: 'status' | 'issue_type' | 'priority' | 'assignee' | 'label',
    filter: ListFilter = {},
  ): Array<{ key: string; count: number }> {
    const where = listWhere(filter);
    const sql =
      field === 'label'
        ? `SELECT l.label AS key, count(*) AS count FROM issues i JOIN labels l ON l.issue_id = i.id WHERE ${where.sql} GROUP BY l.label ORDER BY count DESC, key`
        : `SELECT coalesce(CAST(i.${field} AS TEXT), '') AS key, count(*) AS count FROM issues i WHERE ${where.sql} GROUP BY key ORDER BY count DESC, key`;
    return this.db.prepare(sql).all(...where.params) as Array<{ key: string; count: number }>;
  }

  ready(options: ReadyOptions = {}): Bead[] {
    const nowIso = formatTimestamp(this.now());
    const anyDeferred =
      this.stmt(`SELECT 1 FROM issues WHERE defer_until > ? LIMIT 1`).get(nowIso) !== undefined;
    const where = readyWhere(options, nowIso, anyDeferred);
    const cutoff = formatTimestamp(new Date(this.now().getTime() - 48 * 3600_000));
    const order = readyOrder(options.sort, cutoff);
    return this.readBeads(
      `SELECT ${BEAD_SELECT} FROM issues i ${options.include_ephemeral ? '' : 'INDEXED BY idx_issues_ready'} WHERE ${where.sql} ORDER BY ${order.sql} LIMIT ?`,
      [...where.params, ...order.params, options.limit ?? 100],
    );
  }

  blocked(options: { parent?: string } = {}): BlockedBead[] {
    const where = listWhere({
      status: 'all',
      ...(options.parent !== undefined ? { parent: options.parent } : {}),
    });
    const beads = this.selectBeads(
      `${where.sql} AND i.status NOT IN ('closed', 'pinned') AND i.pinned = 0 AND (i.status IN ('blocked', 'deferred') OR i.is_blocked = 1)`,
      where.params,
      'i.priority ASC, i.created_at ASC, i.id ASC',
    );
    return beads.map((b) => {
      const by = this.blockersOf(b.id);
      return { ...b, blocked_by_count: by.length, blocked_by: by };
    });
  }

  stale(options: { days?: number; status?: Status[]; limit?: number } = {}): Bead[] {
    const cutoff = formatTimestamp(new Date(this.now().getTime() - (options.days ?? 30) * 86_400_000));
    const statuses = options.status ?? ['open', 'in_progress'];
    return this.selectBeads(
      `i.ephemeral = 0 AND i.updated_at < ? AND i.status IN (SELECT value FROM json_each(?))`,
      [cutoff, JSON.stringify(statuses)],
      'i.updated_at ASC, i.id ASC',
      options.limit ?? 50,
    );
  }

  statistics(): StoreStatistics {
    const by = new Map(
      (
        this.stmt(
          `SELECT status, count(*) AS n FROM issues WHERE ephemeral = 0 GROUP BY status`,
        ).all() as Array<{
          status: string;
          n: number;
        }>
      ).map((r) => [r.status, r.n]),
    );
    const one = (sql: string, ...params: unknown[]) =>
      (this.db
        .prepare(sql)
        .pluck()
        .get(...params) as number) ?? 0;
    const lead = this.db
      .prepare(
        `SELECT avg((julianday(closed_at) - julianday(created_at)) * 24) FROM issues WHERE status = 'closed' AND ephemeral = 0`,
      )
      .pluck()
      .get() as number | null;
    return {
      total_issues: one(`SELECT count(*) FROM issues WHERE ephemeral = 0`),
      open_issues: by.get('open') ?? 0,
      in_progress_issues: by.get('in_progress') ?? 0,
      closed_issues: by.get('closed') ?? 0,
      blocked_issues: one(
        `SELECT count(*) FROM issues WHERE ephemeral = 0 AND status NOT IN ('closed', 'pinned') AND (is_blocked = 1 OR status = 'blocked')`,
      ),
      deferred_issues: by.get('deferred') ?? 0,
      pinned_issues: by.get('pinned') ?? 0,
      hooked_issues: by.get('hooked') ?? 0,
      ready_issues: this.ready({ limit: Number.MAX_SAFE_INTEGER }).length,
      ephemeral_issues: one(`SELECT count(*) FROM issues WHERE ephemeral = 1`),
      epics_eligible_for_closure: one(
        `SELECT count(*) FROM issues e WHERE e.issue_type = 'epic' AND e.status <> 'closed'
         AND EXISTS (SELECT 1 FROM dependencies d WHERE d.depends_on_id = e.id AND d.type = 'parent-child')
         AND NOT EXISTS (SELECT 1 FROM dependencies d JOIN issues c ON c.id = d.issue_id
                         WHERE d.depends_on_id = e.id AND d.type = 'parent-child' AND c.status <> 'closed')`,
      ),
      average_lead_time_hours: lead === null ? 0 : Math.round(lead * 100) / 100,
    };
  }

  dependencies(id: string, direction: 'down' | 'up', type?: DepType): Dependency[] {
    const col = direction === 'down' ? 'issue_id' : 'depends_on_id';
    const other = direction === 'down' ? 'depends_on_id' : 'issue_id';
    const rows = (
      type === undefined
        ? this.stmt(`SELECT * FROM dependencies WHERE ${col} = ? ORDER BY ${other}`).all(id)
        : this.stmt(`SELECT * FROM dependencies WHERE ${col} = ? AND type = ? ORDER BY ${other}`).all(
            id,
            type,
          )
    ) as Row[];
    return rows.map(rowToDependency);
  }

  depTree(
    id: string,
    options: { direction?: 'down' | 'up'; maxDepth?: number; type?: DepType } = {},
  ): TreeNode[] {
    const root = this.requireBead(id);
    const direction = options.direction ?? 'down';
    const maxDepth = options.maxDepth ?? 50;
    const out: TreeNode[] = [];
    const seen = new Set<string>();
    const visit = (nodeId: string, depth: number, parentId: string, depType: string) => {
      const bead = nodeId === root.id ? root : this.get(nodeId);
      const truncated = seen.has(nodeId);
      out.push({
        id: nodeId,
        title: bead?.title ?? '(missing)',
        status: bead?.status ?? 'missing',
        priority: bead?.priority ?? 2,
        issue_type: bead?.issue_type ?? 'task',
        depth,
        parent_id: parentId,
        dep_type: depType,
        truncated,
      });
      if (truncated || depth >= maxDepth || !bead) return;
      seen.add(nodeId);
      for (const edge of this.dependencies(nodeId, direction, options.type)) {
        visit(direction === 'down' ? edge.depends_on_id : edge.issue_id, depth + 1, nodeId, edge.type);
      }
    };
    visit(root.id, 0, '', '');
    return out;
  }

  cycles(): string[][] {
    const edges = this.stmt(
      `SELECT issue_id, depends_on_id FROM dependencies WHERE type IN ('blocks', 'conditional-blocks')`,
    ).all() as Array<{ issue_id: string; depends_on_id: string }>;
    return findCycles(edges);
  }

  labels(id: string): string[] {
    return this.stmt(`SELECT label FROM labels WHERE issue_id = ? ORDER BY label`)
      .pluck()
      .all(id) as string[];
  }

  allLabels(): Array<{ label: string; count: number }> {
    return this.stmt(
      `SELECT l.label, count(*) AS count FROM labels l JOIN issues i ON i.id = l.issue_id WHERE i.ephemeral = 0 GROUP BY l.label ORDER BY l.label`,
    ).all() as Array<{ label: string; count: number }>;
  }

  comments(id: string): Comment[] {
    return (
      this.stmt(`SELECT * FROM comments WHERE issue_id = ? ORDER BY created_at, id`).all(id) as Row[]
    ).map(rowToComment);
  }

  events(id: string, limit = 1000): BeadEvent[] {
    const rows = this.stmt(`SELECT * FROM events WHERE issue_id = ? ORDER BY id LIMIT ?`).all(
      id,
      limit,
    ) as Row[];
    return rows.map((r) => {
      const e: BeadEvent = {
        id: r.id as number,
        issue_id: r.issue_id as string,
        event_type: r.event_type as string,
        actor: r.actor as string,
        created_at: r.created_at as string,
      };
      if (r.old_value != null) e.old_value = r.old_value as string;
      if (r.new_value != null) e.new_value = r.new_value as string;
      if (r.comment != null) e.comment = r.comment as string;
      return e;
    });
  }

  // ---------------------------------------------------------------- writes

  create(input: CreateInput, actor: string): Bead {
    return this.transaction(() => {
      const now = this.now();
      const ts = formatTimestamp(now);
      const title = checkTitle(input.title);
      const issueType = checkIssueType(input.issue_type ?? 'task', this.customList('types.custom'));
      const status = checkStatus(input.status ?? 'open', this.customList('status.custom'));
      const priority = checkPriority(input.priority ?? 2);
      if (input.estimated_minutes !== undefined) checkEstimate(input.estimated_minutes);
      if (input.metadata !== undefined) checkMetadata(input.metadata);
      const labels = [...new Set((input.labels ?? []).map(checkLabel))];
      const deps = (input.deps ?? []).map((d) => ({ type: checkDepType(d.type), id: d.id }));
      const parent = input.parent === undefined ? null : this.resolveId(input.parent);
      const targets = deps.map((d) => ({
        type: d.type,
        id: d.id.startsWith('external:') ? d.id : this.resolveId(d.id),
      }));

      const id = this.newId(input, parent, actor, now);
      const bead: Bead = {
        id,
        title,
        status,
        priority,
        issue_type: issueType,
        created_at: ts,
        created_by: actor,
        updated_at: ts,
      };
      const optional = [
        'description',
        'design',
        'acceptance_criteria',
        'notes',
        'spec_id',
        'assignee',
        'owner',
        'estimated_minutes',
        'due_at',
        'defer_until',
        'external_ref',
        'source_system',
        'metadata',
        'sender',
        'ephemeral',
        'wisp_type',
        'pinned',
      ] as const;
      const target = bead as unknown as Record<string, unknown>;
      for (const key of optional) if (input[key] !== undefined) target[key] = input[key];
      if (status === 'in_progress') bead.started_at = ts;
      if (status === 'closed') bead.closed_at = ts;
      const values = this.insertRow(bead);
      for (const label of labels)
        this.stmt(`INSERT INTO labels (issue_id, label) VALUES (?, ?)`).run(id, label);
      if (parent !== null) this.insertEdge(id, parent, 'parent-child', actor, ts, '{}', '');
      for (const d of targets) {
        if (d.id === id)
          throw new ValidationError(`a bead cannot depend on itself (${id})`, { field: 'deps' });
        this.checkNoCycle(id, d.id, d.type);
        this.insertEdge(id, d.id, d.type, actor, ts, '{}', '');
      }
      if (parent !== null || targets.length > 0) this.blockedIndex.refresh([id]);
      this.event(id, 'created', actor, null, null, null);
      this.markDirty(id);
      if (childDepth(id) === 0) this.topLevelCount++;
      if (parent !== null || targets.length > 0) return this.requireBead(id);
      // What a read of the row returns, from the values just bound (no second conversion).
      const created = valuesToBead(values);
      if (labels.length > 0) created.labels = [...labels].sort();
      return created;
    });
  }

  update(id: string, input: UpdateInput, actor: string): Bead {
    return this.transaction(() => {
      const old = this.requireBead(this.resolveId(id));
      const ts = formatTimestamp(this.now());
      const changes: Record<string, unknown> = {};
      const set = (field: string, value: unknown) => {
        const before = (old as unknown as Record<string, unknown>)[field];
        const normalized = value === null || value === '' ? undefined : value;
        if (stableJson(before) !== stableJson(normalized)) changes[field] = normalized ?? null;
      };
      if (input.title !== undefined) set('title', checkTitle(input.title, old.id));
      for (const f of ['description', 'design', 'acceptance_criteria', 'notes'] as const) {
        if (input[f] !== undefined) set(f, input[f]);
      }
      if (input.append_notes !== undefined && input.append_notes !== '') {
        const base = (changes.notes as string | undefined) ?? old.notes ?? '';
        set('notes', base === '' ? input.append_notes : `${base}\n${input.append_notes}`);
      }
      if (input.priority !== undefined) set('priority', checkPriority(input.priority, old.id));
      if (input.issue_type !== undefined)
        set('issue_type', checkIssueType(input.issue_type, this.customList('types.custom')));
      if (input.estimated_minutes !== undefined) {
        set(
          'estimated_minutes',
          input.estimated_minutes === null ? null : checkEstimate(input.estimated_minutes),
        );
      }
      if (input.metadata !== undefined)
        set('metadata', input.metadata === null ? null : checkMetadata(input.metadata));
      for (const f of ['spec_id', 'assignee', 'owner', 'due_at', 'defer_until', 'external_ref'] as const) {
        if (input[f] !== undefined) set(f, input[f]);
      }
      if (input.ephemeral !== undefined) set('ephemeral', input.ephemeral || undefined);
      if (input.pinned !== undefined) set('pinned', input.pinned || undefined);

      let statusChanged = false;
      if (input.status !== undefined && input.status !== old.status) {
        const status = checkStatus(input.status, this.customList('status.custom'), old.id);
        if (status === 'closed') {
          this.closeGuards(old, false);
          changes.closed_at = ts;
        } else if (old.status === 'closed') {
          changes.closed_at = null;
          changes.close_reason = null;
        }
        if (status === 'in_progress' && old.started_at === undefined) changes.started_at = ts;
        changes.status = status;
        statusChanged = true;
      }

      const labelsChanged = this.applyLabelChanges(old, input, actor);
      let parentChanged = false;
      if (input.parent !== undefined) parentChanged = this.reparent(old.id, input.parent, actor, ts);

      if (Object.keys(changes).length === 0 && !labelsChanged && !parentChanged) return old;
      this.writeColumns(old.id, { ...changes, updated_at: ts });
      if (Object.keys(changes).length > 0) {
        const eventType = !statusChanged
          ? 'updated'
          : changes.status === 'closed'
            ? 'closed'
            : old.status === 'closed'
              ? 'reopened'
              : 'status_changed';
        this.event(old.id, eventType, actor, null, JSON.stringify(changes), null);
      }
      if (statusChanged) this.blockedIndex.refresh(this.blockedIndex.affectedByStatus(old.id));
      this.markDirty(old.id);
      return this.requireBead(old.id);
    });
  }

  private closeBead(id: string, options: CloseOptions, actor: string): Bead {
    return this.transaction(() => {
      const old = this.requireBead(this.resolveId(id));
      this.closeGuards(old, options.force === true);
      const ts = formatTimestamp(this.now());
      this.writeColumns(old.id, {
        status: 'closed',
        closed_at: ts,
        close_reason: options.reason ?? null,
        closed_by_session: options.session ?? null,
        updated_at: ts,
      });
      this.event(old.id, 'closed', actor, old.status, 'closed', options.reason ?? null);
      this.blockedIndex.refresh(this.blockedIndex.affectedByStatus(old.id));
      this.markDirty(old.id);
      return this.requireBead(old.id);
    });
  }

  reopen(id: string, reason: string | undefined, actor: string): Bead {
    return this.transaction(() => {
      const old = this.requireBead(this.resolveId(id));
      if (old.status !== 'closed') {
        throw new GuardError(
          'bead.not_closed',
          `${old.id} is ${old.status}, not closed: only closed beads can be reopened`,
          {
            id: old.id,
            status: old.status,
          },
        );
      }
      const ts = formatTimestamp(this.now());
      this.writeColumns(old.id, {
        status: 'open',
        closed_at: null,
        close_reason: null,
        closed_by_session: null,
        updated_at: ts,
      });
      this.event(old.id, 'reopened', actor, 'closed', 'open', reason ?? null);
      this.blockedIndex.refresh(this.blockedIndex.affectedByStatus(old.id));
      this.markDirty(old.id);
      return this.requireBead(old.id);
    });
  }

  claim(id: string, actor: string): Bead {
    return this.transaction(() => {
      const resolved = this.resolveId(id);
      const ts = formatTimestamp(this.now());
      const info = this.stmt(
        `UPDATE issues SET assignee = ?, status = 'in_progress', updated_at = ?, started_at = coalesce(started_at, ?)
         WHERE id = ? AND status = 'open' AND (assignee IS NULL OR assignee = '' OR assignee = ?)`,
      ).run(actor, ts, ts, resolved, actor);
      if (info.changes === 0) {
        const now = this.requireBead(resolved);
        if (now.status === 'in_progress' && now.assignee === actor) return now;
        if (now.assignee !== undefined && now.assignee !== actor)
          throw new AlreadyClaimedError(resolved, now.assignee);
        throw new NotClaimableError(resolved, now.status);
      }
      this.event(resolved, 'claimed', actor, 'open', 'in_progress', null);
      this.blockedIndex.refresh(this.blockedIndex.affectedByStatus(resolved));
      this.markDirty(resolved);
      return this.requireBead(resolved);
    });
  }

  claimReady(actor: string, options: ReadyOptions = {}): Bead | null {
    return this.transaction(() => {
      for (const bead of this.ready({ ...options, unassigned: true, limit: options.limit ?? 100 })) {
        if (bead.status === 'open') return this.claim(bead.id, actor);
      }
      return null;
    });
  }

  delete(id: string, reason: string | undefined, actor: string): Tombstone {
    return this.transaction(() => {
      const old = this.requireBead(this.resolveId(id));
      const ts = formatTimestamp(this.now());
      const dependents = this.stmt(`SELECT DISTINCT issue_id FROM dependencies WHERE depends_on_id = ?`)
        .pluck()
        .all(old.id) as string[];
      const affected = this.blockedIndex.affectedByStatus(old.id).filter((x) => x !== old.id);
      this.stmt(`DELETE FROM dependencies WHERE depends_on_id = ?`).run(old.id);
      this.stmt(`DELETE FROM issues WHERE id = ?`).run(old.id);
      const tomb: Tombstone = {
        id: old.id,
        deleted_at: ts,
        deleted_by: actor,
        original_type: old.issue_type,
      };
      if (reason !== undefined) tomb.delete_reason = reason;
      this.stmt(
        `INSERT OR REPLACE INTO tombstones (id, deleted_at, deleted_by, delete_reason, original_type) VALUES (?, ?, ?, ?, ?)`,
      ).run(old.id, ts, actor, reason ?? null, old.issue_type);
      this.event(old.id, 'deleted', actor, JSON.stringify(old), null, reason ?? null);
      this.blockedIndex.refresh([...affected, ...dependents]);
      for (const d of [old.id, ...dependents]) this.markDirty(d);
      if (childDepth(old.id) === 0) this.topLevelCount--;
      return tomb;
    });
  }

  addDependency(
    issueId: string,
    dependsOnId: string,
    type: DepType,
    actor: string,
    extra: { metadata?: string; thread_id?: string } = {},
  ): Dependency {
    return this.transaction(() => {
      checkDepType(type);
      const from = this.resolveId(issueId);
      const to = dependsOnId.startsWith('external:') ? dependsOnId : this.resolveId(dependsOnId);
      if (from === to)
        throw new ValidationError(`a bead cannot depend on itself (${from})`, { field: 'depends_on_id' });
      const metadata = extra.metadata ?? '{}';
      try {
        checkMetadata(JSON.parse(metadata));
      } catch {
        throw new ValidationError(`dependency metadata must be a JSON object, got ${metadata}`, {
          field: 'metadata',
        });
      }
      if (type === 'waits-for') waitsForGate(metadata);
      const existing = this.stmt(`SELECT * FROM dependencies WHERE issue_id = ? AND depends_on_id = ?`).get(
        from,
        to,
      ) as Row | undefined;
      if (existing) {
        if (existing.type === type) return rowToDependency(existing);
        throw new ValidationError(
          `${from} already has a ${String(existing.type)} edge to ${to}: remove it first (bd dep remove ${from} ${to})`,
          { field: 'type', value: type },
        );
      }
      this.checkNoCycle(from, to, type);
      const ts = formatTimestamp(this.now());
      this.insertEdge(from, to, type, actor, ts, metadata, extra.thread_id ?? '');
      this.writeColumns(from, { updated_at: ts });
      this.event(from, 'dependency_added', actor, null, JSON.stringify({ depends_on_id: to, type }), null);
      this.blockedIndex.refresh(this.blockedIndex.affectedByEdge(from, to, type));
      this.markDirty(from);
      return rowToDependency(
        this.stmt(`SELECT * FROM dependencies WHERE issue_id = ? AND depends_on_id = ?`).get(from, to) as Row,
      );
    });
  }

  removeDependency(issueId: string, dependsOnId: string, actor: string): boolean {
    return this.transaction(() => {
      const from = this.resolveId(issueId);
      const literal = this.stmt(`SELECT 1 FROM dependencies WHERE issue_id = ? AND depends_on_id = ?`).get(
        from,
        dependsOnId,
      );
      const to =
        literal !== undefined || dependsOnId.startsWith('external:')
          ? dependsOnId
          : this.resolveId(dependsOnId);
      const existing = this.stmt(`SELECT type FROM dependencies WHERE issue_id = ? AND depends_on_id = ?`)
        .pluck()
        .get(from, to) as string | undefined;
      if (existing === undefined) return false;
      this.stmt(`DELETE FROM dependencies WHERE issue_id = ? AND depends_on_id = ?`).run(from, to);
      this.writeColumns(from, { updated_at: formatTimestamp(this.now()) });
      this.event(
        from,
        'dependency_removed',
        actor,
        JSON.stringify({ depends_on_id: to, type: existing }),
        null,
        null,
      );
      this.blockedIndex.refresh(this.blockedIndex.affectedByEdge(from, to, existing));
      this.markDirty(from);
      return true;
    });
  }

  addLabel(id: string, label: string, actor: string): boolean {
    return this.transaction(() => {
      const resolved = this.resolveId(id);
      checkLabel(label);
      const info = this.stmt(`INSERT OR IGNORE INTO labels (issue_id, label) VALUES (?, ?)`).run(
        resolved,
        label,
      );
      if (info.changes === 0) return false;
      this.touch(resolved, 'label_added', actor, label);
      return true;
    });
  }

  removeLabel(id: string, label: string, actor: string): boolean {
    return this.transaction(() => {
      const resolved = this.resolveId(id);
      const info = this.stmt(`DELETE FROM labels WHERE issue_id = ? AND label = ?`).run(resolved, label);
      if (info.changes === 0) return false;
      this.touch(resolved, 'label_removed', actor, label);
      return true;
    });
  }

  addComment(id: string, text: string, actor: string): Comment {
    return this.transaction(() => {
      const resolved = this.resolveId(id);
      if (text.trim() === '') throw new ValidationError('a comment needs text', { field: 'text' });
      const comment: Comment = {
        id: this.commentId(),
        issue_id: resolved,
        author: actor,
        text,
        created_at: formatTimestamp(this.now()),
      };
      this.stmt(`INSERT INTO comments (id, issue_id, author, text, created_at) VALUES (?, ?, ?, ?, ?)`).run(
        comment.id,
        resolved,
        actor,
        text,
        comment.created_at,
      );
      this.touch(resolved, 'commented', actor, text);
      return comment;
    });
  }

  // ---------------------------------------------------------------- bulk

  snapshot(options: { includeEphemeral?: boolean; ids?: readonly string[] } = {}): StoreSnapshot {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (!options.includeEphemeral) clauses.push('i.ephemeral = 0');
    if (options.ids) {
      clauses.push(`i.id IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(options.ids));
    }
    const where = clauses.length > 0 ? clauses.join(' AND ') : '1';
    const beads = this.selectBeads(where, params, 'i.id', undefined, true);
    const tombRows = (
      options.ids
        ? this.stmt(`SELECT * FROM tombstones WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`).all(
            JSON.stringify(options.ids),
          )
        : this.stmt(`SELECT * FROM tombstones ORDER BY id`).all()
    ) as Row[];
    return { beads, tombstones: tombRows.map(rowToTombstone) };
  }

  exportLines(options: { includeEphemeral?: boolean } = {}): string[] {
    const where = options.includeEphemeral === true ? '' : 'WHERE i.ephemeral = 0';
    const rows = this.rawStmt(
      `SELECT i.id, CASE WHEN i.extra IS NULL THEN ${beadLineSql()} END FROM issues i ${where} ORDER BY i.id`,
    ).all() as Array<[string, string | null]>;
    const lines: Array<[string, string]> = rows.map(([id, line]) => {
      if (line !== null) return [id, line];
      const bead = this.get(id);
      return [id, bead === null ? '' : serializeBead(bead)];
    });
    const tombs = (this.stmt(`SELECT * FROM tombstones ORDER BY id`).all() as Row[]).map(rowToTombstone);
    for (const t of tombs) lines.push([t.id, serializeTombstone(t)]);
    let sorted = true;
    for (let k = 1; k < lines.length && sorted; k++)
      sorted = (lines[k - 1] as [string, string])[0] < (lines[k] as [string, string])[0];
    if (!sorted) lines.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return lines.map((l) => goEscape(l[1]));
  }

  importRecords(records: Iterable<JsonlRecord>, options: ImportOptions): ImportSummary {
    const count = Array.isArray(records) ? records.length : (options.expectedCount ?? 0);
    // A large load of distinct ids into an empty store skips foreign-key checks: every label, edge and
    // comment it writes belongs to a bead it inserts, and with distinct ids nothing is deleted. The
    // pragma only changes outside a transaction; emptiness is checked again inside it.
    const unchecked =
      !this.db.inTransaction &&
      options.distinctIds === true &&
      count >= BULK_LOAD_MIN &&
      this.stmt(`SELECT NOT EXISTS (SELECT 1 FROM issues)`).pluck().get() === 1;
    if (!unchecked) return this.importInTransaction(records, options, count, false);
    this.db.pragma('foreign_keys = OFF');
    try {
      return this.importInTransaction(records, options, count, true);
    } catch (err) {
      if (!(err instanceof StoreNoLongerEmpty)) throw err;
    } finally {
      this.db.pragma('foreign_keys = ON');
    }
    return this.importInTransaction(records, options, count, false);
  }

  private importInTransaction(
    records: Iterable<JsonlRecord>,
    options: ImportOptions,
    count: number,
    unchecked: boolean,
  ): ImportSummary {
    return this.transaction(() => {
      const summary: ImportSummary = {
        created: 0,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        deleted: 0,
        ids: [],
      };
      const customStatuses = this.customList('status.custom');
      const ts = formatTimestamp(this.now());
      const touched: string[] = [];
      const wasEmpty = this.stmt(`SELECT NOT EXISTS (SELECT 1 FROM issues)`).pluck().get() === 1;
      if (unchecked && !wasEmpty) throw new StoreNoLongerEmpty();
      const anyTombstones = this.stmt(`SELECT EXISTS (SELECT 1 FROM tombstones)`).pluck().get() === 1;
      const rebuild = wasEmpty && count >= BULK_LOAD_MIN ? this.dropSecondaryIndexes() : [];
      const children = new ImportChildBatch(this.db);
      for (const record of records) {
        if (record.kind === 'tombstone') {
          children.flush();
          if (this.importTombstone(record.tombstone, options)) summary.deleted++;
          touched.push(record.tombstone.id);
          continue;
        }
        const bead = record.bead;
        if (options.protect?.has(bead.id)) {
          summary.skipped++;
          continue;
        }
        checkTitle(bead.title, bead.id);
        checkPriority(bead.priority, bead.id);
        checkStatus(bead.status, customStatuses, bead.id);
        if (bead.estimated_minutes !== undefined) checkEstimate(bead.estimated_minutes);
        if ((bead.status === 'closed') !== (bead.closed_at !== undefined)) {
          throw new ValidationError(
            `closed_at must be set if and only if the status is closed (${bead.id})`,
            {
              id: bead.id,
              field: 'closed_at',
            },
          );
        }
        const tomb = anyTombstones
          ? (this.stmt(`SELECT deleted_at FROM tombstones WHERE id = ?`).pluck().get(bead.id) as
              string | undefined)
          : undefined;
        if (tomb !== undefined) {
          if (Date.parse(bead.updated_at) <= Date.parse(tomb) && !options.force) {
            summary.skipped++;
            continue;
          }
          this.stmt(`DELETE FROM tombstones WHERE id = ?`).run(bead.id);
        }
        let existing: Bead | null = null;
        if (!(wasEmpty && options.distinctIds === true) && this.exists(bead.id)) {
          children.flush();
          existing = this.get(bead.id);
        }
        if (existing === null) {
          this.writeImported(bead, false, children);
          summary.created++;
        } else if (
          stableJson(comparable(existing)) === stableJson(comparable(mergeComments(bead, existing)))
        ) {
          summary.unchanged++;
          continue;
        } else if (!options.force && Date.parse(bead.updated_at) < Date.parse(existing.updated_at)) {
          summary.skipped++;
          continue;
        } else {
          this.writeImported(bead, true, children);
          summary.updated++;
          this.event(bead.id, 'updated', options.actor, JSON.stringify(existing), null, 'import');
        }
        touched.push(bead.id);
        summary.ids.push(bead.id);
      }
      children.flush();
      for (const e of options.events ?? []) {
        this.stmt(
          `INSERT INTO events (issue_id, id, event_type, actor, old_value, new_value, comment, created_at) VALUES (?, ${NEXT_EVENT_ID}, ?, ?, ?, ?, ?, ?)`,
        ).run(
          e.issue_id,
          e.issue_id,
          e.event_type,
          e.actor,
          e.old_value ?? null,
          e.new_value ?? null,
          e.comment ?? null,
          e.created_at ?? ts,
        );
      }
      if (touched.length > 0) {
        const cycle = this.cycles()[0];
        if (cycle)
          throw new CycleError(cycle[0] as string, cycle[1] as string, [...cycle, cycle[0] as string]);
        recomputeAllBlocked(this.db);
        this.topLevelCount = this.countTopLevel();
        this.markDirtyMany(touched);
      }
      for (const sql of rebuild) this.db.exec(sql);
      return summary;
    });
  }

  actorState(address: string): { role: string; snapshot: string; updated_at: string } | null {
    const row = this.stmt(`SELECT role, snapshot, updated_at FROM actor_state WHERE address = ?`).get(
      address,
    ) as { role: string; snapshot: string; updated_at: string } | undefined;
    return row ?? null;
  }

  actorStates(): Array<{ address: string; role: string; updated_at: string }> {
    return this.stmt(`SELECT address, role, updated_at FROM actor_state ORDER BY address`).all() as Array<{
      address: string;
      role: string;
      updated_at: string;
    }>;
  }

  saveActorState(address: string, role: string, snapshot: string): void {
    this.stmt(
      `INSERT INTO actor_state (address, role, snapshot, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (address) DO UPDATE SET role = excluded.role, snapshot = excluded.snapshot, updated_at = excluded.updated_at`,
    ).run(address, role, snapshot, formatTimestamp(this.now()));
  }

  handledReply(messageId: string): string | null {
    return (
      (this.stmt(`SELECT reply FROM handled_messages WHERE id = ?`).pluck().get(messageId) as
        string | undefined) ?? null
    );
  }

  recordHandled(messageId: string, reply: string): void {
    this.stmt(`INSERT OR REPLACE INTO handled_messages (id, reply, handled_at) VALUES (?, ?, ?)`).run(
      messageId,
      reply,
      formatTimestamp(this.now()),
    );
  }

  pruneHandled(beforeIso: string): number {
    return this.stmt(`DELETE FROM handled_messages WHERE handled_at < ?`).run(beforeIso).changes;
  }

  checkpoint(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  dirty(): { ids: string[]; seq: number } {
    const ids = this.stmt(`SELECT DISTINCT issue_id FROM dirty_log WHERE issue_id <> '' ORDER BY issue_id`)
      .pluck()
      .all() as string[];
    const seq = this.stmt(`SELECT max(seq) FROM dirty_log`).pluck().get() as number | null;
    return { ids, seq: seq ?? 0 };
  }

  clearDirty(ids: readonly string[], upToSeq: number): void {
    this.transaction(() => {
      const top = this.stmt(`SELECT max(seq) FROM dirty_log`).pluck().get() as number | null;
      this.stmt(`DELETE FROM dirty_log WHERE seq <= ? AND issue_id IN (SELECT value FROM json_each(?))`).run(
        upToSeq,
        JSON.stringify(ids),
      );
      this.stmt(`DELETE FROM dirty_log WHERE issue_id = '' AND seq < ?`).run(top ?? 0);
      if (top !== null) this.stmt(`INSERT OR IGNORE INTO dirty_log (seq, issue_id) VALUES (?, '')`).run(top);
    });
  }

  // ---------------------------------------------------------------- internals

  private stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Comment ids sort in creation order (time, then a per-process counter) and are unique across clones. */
  private commentId(): string {
    this.commentSeq = (this.commentSeq + 1) % 1296;
    const time = this.now().getTime().toString(36).padStart(9, '0');
    return `c-${time}${this.commentSeq.toString(36).padStart(2, '0')}${randomBytes(3).toString('hex')}`;
  }

  private exists(id: string): boolean {
    return this.stmt(`SELECT 1 FROM issues WHERE id = ?`).get(id) !== undefined;
  }

  private requireBead(id: string): Bead {
    const bead = this.get(id);
    if (!bead) throw new NotFoundError(id);
    return bead;
  }

  private customList(key: string): readonly string[] {
    const value = this.getConfig(key);
    const cached = this.customLists.get(key);
    if (cached !== undefined && cached.value === value) return cached.names;
    const names = parseCustomList(value);
    this.customLists.set(key, { value, names });
    return names;
  }

  private countTopLevel(): number {
    return this.stmt(`SELECT count(*) FROM issues WHERE id LIKE ? AND instr(substr(id, ?), '.') = 0`)
      .pluck()
      .get(`${this.prefix}-%`, this.prefix.length + 2) as number;
  }

  private newId(input: CreateInput, parent: string | null, actor: string, now: Date): string {
    const taken = (id: string) =>
      this.stmt(
        `SELECT 1 FROM issues WHERE id = ? UNION ALL SELECT 1 FROM tombstones WHERE id = ? LIMIT 1`,
      ).get(id, id) !== undefined;
    const prefix = input.prefix ?? this.prefix;
    if (input.prefix !== undefined) checkPrefix(input.prefix);
    if (input.id !== undefined) {
      const id = input.id.trim();
      if (!/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(id))
        throw new ValidationError(`invalid id "${id}"`, { field: 'id' });
      if (!id.startsWith(`${prefix}-`) && input.force !== true) {
        throw new ValidationError(
          `id "${id}" does not start with the prefix "${prefix}-": pass --force to use it anyway`,
          {
            field: 'id',
          },
        );
      }
      if (taken(id)) throw new ValidationError(`id "${id}" is already taken`, { field: 'id', value: id });
      return id;
    }
    if (parent !== null) {
      if (childDepth(parent) >= MAX_CHILD_DEPTH) {
        throw new ValidationError(
          `${parent} is already ${MAX_CHILD_DEPTH} levels deep: children cannot go deeper`,
          {
            field: 'parent',
          },
        );
      }
      const counter =
        (this.stmt(`SELECT last_child FROM child_counters WHERE parent_id = ?`).pluck().get(parent) as
          number | undefined) ?? 0;
      const existing = this.stmt(`SELECT id FROM issues WHERE id LIKE ? ESCAPE '\\'`)
        .pluck()
        .all(`${parent.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`) as string[];
      let n = counter;
      for (const id of existing) n = Math.max(n, childNumber(parent, id) ?? 0);
      n++;
      while (taken(`${parent}.${n}`)) n++;
      this.stmt(
        `INSERT INTO child_counters (parent_id, last_child) VALUES (?, ?) ON CONFLICT (parent_id) DO UPDATE SET last_child = excluded.last_child`,
      ).run(parent, n);
      return `${parent}.${n}`;
    }
    const nanos = BigInt(now.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const id = generateHashId(
      prefix,
      { title: input.title, description: input.description ?? '', creator: actor, createdAtNanos: nanos },
      this.topLevelCount,
      taken,
    );
    if (id === null)
      throw new BeadsError(
        'id.exhausted',
        'could not find a free id after every length and nonce: try again',
      );
    return id;
  }

  /**
   * Inserts a bead's row, binding only the columns that differ from their defaults (most are unset).
   * Returns the row's values in `ROW_VALUE_COLUMNS` order.
   */
  private insertRow(bead: Bead): unknown[] {
    const values = beadToValues(bead);
    const bound: unknown[] = [];
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === '' || (v === 0 && BOOL_COLUMN_INDEXES.has(i))) continue;
      bound.push(v);
      if (i < 30) lo |= 1 << i;
      else hi |= 1 << (i - 30);
    }
    const key = lo * 2 ** 21 + hi;
    let stmt = this.insertStmts.get(key);
    if (!stmt) {
      const cols = ROW_COLUMNS.filter((_, i) => (i < 30 ? (lo >>> i) & 1 : (hi >>> (i - 30)) & 1));
      stmt = this.db.prepare(
        `INSERT INTO issues (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
      );
      if (this.insertStmts.size > 500) this.insertStmts.clear();
      this.insertStmts.set(key, stmt);
    }
    stmt.run(bound);
    return values;
  }

  private writeColumns(id: string, changes: Record<string, unknown>): void {
    const row = beadToRow({
      id,
      title: 'x',
      status: 'open',
      priority: 0,
      issue_type: 'task',
      created_at: '',
      updated_at: '',
      ...(changes as object),
    });
    const keys = Object.keys(changes);
    const values = keys.map((k) =>
      changes[k] === null
        ? ['description', 'design', 'acceptance_criteria', 'notes'].includes(k)
          ? ''
          : null
        : row[k],
    );
    this.stmt(`UPDATE issues SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...values, id);
  }

  private insertEdge(
    from: string,
    to: string,
    type: string,
    actor: string,
    ts: string,
    metadata: string,
    threadId: string,
  ): void {
    this.stmt(
      `INSERT INTO dependencies (issue_id, depends_on_id, type, created_at, created_by, metadata, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(from, to, type, ts, actor, metadata, threadId);
  }

  private event(
    id: string,
    type: string,
    actor: string,
    oldValue: string | null,
    newValue: string | null,
    comment: string | null,
  ): void {
    this.stmt(
      `INSERT INTO events (issue_id, id, event_type, actor, old_value, new_value, comment, created_at) VALUES (?, ${NEXT_EVENT_ID}, ?, ?, ?, ?, ?, ?)`,
    ).run(id, id, type, actor, oldValue, newValue, comment, formatTimestamp(this.now()));
  }

  private markDirty(id: string): void {
    this.stmt(`INSERT INTO dirty_log (issue_id) VALUES (?)`).run(id);
  }

  private markDirtyMany(ids: readonly string[]): void {
    this.stmt(`INSERT INTO dirty_log (issue_id) SELECT value FROM json_each(?)`).run(JSON.stringify(ids));
  }

  private touch(id: string, eventType: string, actor: string, value: string): void {
    this.writeColumns(id, { updated_at: formatTimestamp(this.now()) });
    this.event(id, eventType, actor, null, value, null);
    this.markDirty(id);
  }

  private closeGuards(bead: Bead, force: boolean): void {
    if (bead.status === 'closed') {
      throw new GuardError(
        'bead.already_closed',
        `${bead.id} is already closed: reopen it first if it needs more work`,
        {
          id: bead.id,
        },
      );
    }
    if (force) return;
    if (bead.status === 'pinned' || bead.pinned === true) {
      throw new GuardError(
        'bead.pinned',
        `${bead.id} is pinned: pinned beads are context, not work (use --force to close it)`,
        {
          id: bead.id,
        },
      );
    }
    const blockers = this.stmt(
      `SELECT d.depends_on_id FROM dependencies d LEFT JOIN issues b ON b.id = d.depends_on_id
       WHERE d.issue_id = ? AND d.type = 'blocks' AND ((b.id IS NOT NULL AND b.status NOT IN ('closed', 'pinned')) OR (b.id IS NULL AND d.depends_on_id LIKE 'external:%'))`,
    )
      .pluck()
      .all(bead.id) as string[];
    if (blockers.length > 0) {
      throw new GuardError(
        'bead.has_open_blockers',
        `${bead.id} is blocked by open ${blockers.join(', ')}: close those first, or use --force`,
        { id: bead.id, blockers },
      );
    }
    if (bead.issue_type === 'epic') {
      const open = this.stmt(
        `SELECT d.issue_id FROM dependencies d JOIN issues c ON c.id = d.issue_id WHERE d.depends_on_id = ? AND d.type = 'parent-child' AND c.status <> 'closed'`,
      )
        .pluck()
        .all(bead.id) as string[];
      if (open.length > 0) {
        throw new GuardError(
          'bead.open_children',
          `epic ${bead.id} has open children (${open.slice(0, 5).join(', ')}${open.length > 5 ? ', ...' : ''}): close them first, or use --force`,
          { id: bead.id, children: open },
        );
      }
    }
  }

  private applyLabelChanges(old: Bead, input: UpdateInput, actor: string): boolean {
    const current = new Set(old.labels ?? []);
    let next = new Set(current);
    if (input.set_labels !== undefined) next = new Set(input.set_labels.map(checkLabel));
    for (const l of input.add_labels ?? []) next.add(checkLabel(l));
    for (const l of input.remove_labels ?? []) next.delete(l);
    let changed = false;
    for (const l of current) {
      if (!next.has(l)) {
        this.stmt(`DELETE FROM labels WHERE issue_id = ? AND label = ?`).run(old.id, l);
        this.event(old.id, 'label_removed', actor, null, l, null);
        changed = true;
      }
    }
    for (const l of next) {
      if (!current.has(l)) {
        this.stmt(`INSERT INTO labels (issue_id, label) VALUES (?, ?)`).run(old.id, l);
        this.event(old.id, 'label_added', actor, null, l, null);
        changed = true;
      }
    }
    return changed;
  }

  private reparent(id: string, parent: string | null, actor: string, ts: string): boolean {
    const current = this.stmt(
      `SELECT depends_on_id FROM dependencies WHERE issue_id = ? AND type = 'parent-child'`,
    )
      .pluck()
      .all(id) as string[];
    const target = parent === null ? null : this.resolveId(parent);
    if (target !== null && current.length === 1 && current[0] === target) return false;
    if (target === null && current.length === 0) return false;
    if (target !== null) {
      if (target === id)
        throw new ValidationError(`a bead cannot be its own parent (${id})`, { field: 'parent' });
      this.checkNoCycle(id, target, 'parent-child');
    }
    this.stmt(`DELETE FROM dependencies WHERE issue_id = ? AND type = 'parent-child'`).run(id);
    if (target !== null) {
      this.stmt(`DELETE FROM dependencies WHERE issue_id = ? AND depends_on_id = ?`).run(id, target);
      this.insertEdge(id, target, 'parent-child', actor, ts, '{}', '');
    }
    this.event(
      id,
      'updated',
      actor,
      JSON.stringify({ parent: current }),
      JSON.stringify({ parent: target }),
      null,
    );
    const affected = [id];
    for (const p of [...current, ...(target === null ? [] : [target])]) {
      affected.push(...this.blockedIndex.affectedByEdge(id, p, 'parent-child'));
    }
    this.blockedIndex.refresh(affected);
    return true;
  }

  private checkNoCycle(from: string, to: string, type: string): void {
    const types = BLOCKING.has(type)
      ? ['blocks', 'conditional-blocks']
      : type === 'parent-child'
        ? ['parent-child']
        : null;
    if (types === null) return;
    const next = this.stmt(
      `SELECT depends_on_id FROM dependencies WHERE issue_id = ? AND type IN (SELECT value FROM json_each(?))`,
    ).pluck();
    const prev = new Map<string, string>([[to, '']]);
    const queue = [to];
    const json = JSON.stringify(types);
    while (queue.length > 0) {
      const cur = queue.shift() as string;
      if (cur === from) {
        const back = [from];
        for (let p = prev.get(from); p !== undefined && p !== ''; p = prev.get(p)) back.push(p);
        throw new CycleError(from, to, [from, ...back.reverse()]);
      }
      for (const n of next.all(cur, json) as string[]) {
        if (!prev.has(n)) {
          prev.set(n, cur);
          queue.push(n);
        }
      }
    }
  }

  private blockersOf(id: string): string[] {
    const out: string[] = [];
    for (const d of this.dependencies(id, 'down')) {
      const b = d.depends_on_id.startsWith('external:')
        ? null
        : (this.stmt(`SELECT status, close_reason, is_blocked FROM issues WHERE id = ?`).get(
            d.depends_on_id,
          ) as { status: string; close_reason: string | null; is_blocked: number } | undefined);
      if (d.type === 'blocks') {
        if (b === null || (b !== undefined && b.status !== 'closed' && b.status !== 'pinned'))
          out.push(d.depends_on_id);
      } else if (d.type === 'conditional-blocks') {
        if (b && (b.status !== 'closed' || !isFailureReason(b.close_reason))) out.push(d.depends_on_id);
      } else if (d.type === 'waits-for') {
        if (this.blockedIndex.gateOpen(id, d.depends_on_id, d.metadata)) out.push(d.depends_on_id);
      } else if (d.type === 'parent-child' && b?.is_blocked === 1) {
        out.push(d.depends_on_id);
      }
    }
    return [...new Set(out)];
  }

  private selectBeads(
    where: string,
    params: unknown[],
    order: string,
    limit?: number,
    withComments = true,
  ): Bead[] {
    const sql = `SELECT ${BEAD_SELECT} FROM issues i WHERE ${where} ORDER BY ${order}${limit !== undefined ? ' LIMIT ?' : ''}`;
    const beads = this.readBeads(sql, [...params, ...(limit !== undefined ? [limit] : [])]);
    return withComments ? this.attachComments(beads) : beads;
  }

  /** Whole beads (labels and dependencies included) from a raw query over `BEAD_SELECT`. */
  private readBeads(sql: string, params: unknown[]): Bead[] {
    return (this.rawStmt(sql).all(...params) as unknown[][]).map(valuesToBead);
  }

  /** A cached statement in raw mode (rows as arrays). */
  private rawStmt(sql: string): Statement {
    let s = this.rawStmts.get(sql);
    if (!s) {
      if (this.rawStmts.size > 200) this.rawStmts.clear();
      s = this.db.prepare(sql).raw(true);
      this.rawStmts.set(sql, s);
    }
    return s;
  }

  /** Adds comments, in one query per chunk (or one scan for large sets). */
  private attachComments(beads: Bead[]): Bead[] {
    if (beads.length === 0) return beads;
    const byId = new Map(beads.map((b) => [b.id, b]));
    const rows: Row[] = [];
    if (beads.length > 2000) {
      rows.push(...(this.stmt(`SELECT * FROM comments ORDER BY issue_id, created_at, id`).all() as Row[]));
    } else {
      const sql = `SELECT * FROM comments WHERE issue_id IN (SELECT value FROM json_each(?)) ORDER BY issue_id, created_at, id`;
      for (let i = 0; i < beads.length; i += CHUNK)
        rows.push(
          ...(this.stmt(sql).all(JSON.stringify(beads.slice(i, i + CHUNK).map((b) => b.id))) as Row[]),
        );
    }
    for (const r of rows) {
      const b = byId.get(r.issue_id as string);
      if (b) (b.comments ??= []).push(rowToComment(r));
    }
    return beads;
  }

  /**
   * Drops the secondary indexes of the bead tables and returns their DDL: a bulk load into an empty
   * store inserts faster and rebuilds each index by one sort (inside the same transaction).
   */
  private dropSecondaryIndexes(): string[] {
    const rows = this.db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('issues', 'labels', 'dependencies', 'comments')`,
      )
      .all() as Array<{ name: string; sql: string }>;
    for (const r of rows) this.db.exec(`DROP INDEX "${r.name}"`);
    return rows.map((r) => r.sql);
  }

  private writeImported(bead: Bead, replace: boolean, children: ImportChildBatch): void {
    for (const d of bead.dependencies ?? []) checkDepType(d.type);
    if (replace) {
      children.flush();
      const values = beadToValues(bead);
      const cols = ROW_COLUMNS.filter((c) => c !== 'id');
      this.stmt(`UPDATE issues SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run([
        ...values.slice(1),
        bead.id,
      ]);
      this.stmt(`DELETE FROM labels WHERE issue_id = ?`).run(bead.id);
      this.stmt(`DELETE FROM dependencies WHERE issue_id = ?`).run(bead.id);
    } else {
      this.insertRow(bead);
    }
    children.add(bead);
  }

  private importTombstone(t: Tombstone, options: ImportOptions): boolean {
    const existing = this.stmt(`SELECT updated_at FROM issues WHERE id = ?`).pluck().get(t.id) as
      string | undefined;
    const keep = existing !== undefined && !options.force && Date.parse(existing) > Date.parse(t.deleted_at);
    if (keep || options.protect?.has(t.id)) return false;
    this.stmt(
      `INSERT OR REPLACE INTO tombstones (id, deleted_at, deleted_by, delete_reason, original_type) VALUES (?, ?, ?, ?, ?)`,
    ).run(t.id, t.deleted_at, t.deleted_by, t.delete_reason ?? null, t.original_type ?? null);
    if (existing === undefined) return false;
    this.stmt(`DELETE FROM issues WHERE id = ?`).run(t.id);
    this.event(t.id, 'deleted', options.actor, null, null, 'import');
    return true;
  }
}

/** The fields compared to decide whether an import changes a bead. */
function comparable(b: Bead): Bead {
  const { labels, dependencies, comments, ...rest } = b;
  return {
    ...rest,
    labels: [...(labels ?? [])].sort(),
    dependencies: [...(dependencies ?? [])]
      .map((d) => ({ ...d, metadata: d.metadata ?? '{}', thread_id: d.thread_id ?? '' }))
      .sort((a, c) => (a.depends_on_id < c.depends_on_id ? -1 : 1)),
    comments: [...(comments ?? [])]
      .map((c) => ({ ...c, id: String(c.id) }))
      .sort((a, c) => (a.id < c.id ? -1 : 1)),
  };
}

/** The incoming bead with the local comments it would keep (comments merge by id). */
function mergeComments(incoming: Bead, local: Bead): Bead {
  const ids = new Set((incoming.comments ?? []).map((c) => String(c.id)));
  const kept = (local.comments ?? []).filter((c) => !ids.has(String(c.id)));
  return { ...incoming, comments: [...(incoming.comments ?? []), ...kept] };
}

/** Every elementary cycle's members (one representative per strongly connected component). */
export function findCycles(edges: ReadonlyArray<{ issue_id: string; depends_on_id: string }>): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    const list = next.get(e.issue_id) ?? [];
    list.push(e.depends_on_id);
    next.set(e.issue_id, list);
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!idx.has(v)) strong(v);
  return out.sort((a, b) => ((a[0] ?? '') < (b[0] ?? '') ? -1 : 1));
}
