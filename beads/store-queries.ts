import type { ListFilter, ReadyOptions } from './store.types.js';
import { READY_EXCLUDED_TYPES } from './types.js';

/** A WHERE clause and its parameters. */
export interface Clause {
  sql: string;
  params: unknown[];
}

const DESCENDANTS_SQL = `(WITH RECURSIVE descendants(id) AS (
    SELECT issue_id FROM dependencies WHERE depends_on_id = ? AND type = 'parent-child'
    UNION SELECT d.issue_id FROM dependencies d JOIN descendants ON d.depends_on_id = descendants.id AND d.type = 'parent-child'
  ) SELECT id FROM descendants)`;

function inList(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function labelClauses(where: string[], params: unknown[], labels?: string[], labelsAny?: string[]): void {
  for (const label of labels ?? []) {
    where.push(`EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = i.id AND l.label = ?)`);
    params.push(label);
  }
  if (labelsAny && labelsAny.length > 0) {
    where.push(
      `EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = i.id AND l.label IN (${inList(labelsAny)}))`,
    );
    params.push(...labelsAny);
  }
}

function parentClause(where: string[], params: unknown[], parent?: string): void {
  if (parent === undefined) return;
  where.push(`(i.id IN ${DESCENDANTS_SQL} OR i.id LIKE ? ESCAPE '\\')`);
  params.push(parent, `${parent.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`);
}

/** The WHERE clause of `list`, `search` and `count`. */
export function listWhere(filter: ListFilter): Clause {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status === undefined) where.push(`i.status <> 'closed'`);
  else if (filter.status !== 'all') {
    where.push(`i.status IN (${inList(filter.status)})`);
    params.push(...filter.status);
  }
  if (filter.type && filter.type.length > 0) {
    where.push(`i.issue_type IN (${inList(filter.type)})`);
    params.push(...filter.type);
  }
  if (filter.assignee !== undefined) {
    where.push(`i.assignee = ?`);
    params.push(filter.assignee);
  }
  if (filter.no_assignee) where.push(`(i.assignee IS NULL OR i.assignee = '')`);
  labelClauses(where, params, filter.labels, filter.labels_any);
  if (filter.priority && filter.priority.length > 0) {
    where.push(`i.priority IN (${inList(filter.priority)})`);
    params.push(...filter.priority);
  }
  if (filter.priority_min !== undefined) {
    where.push(`i.priority >= ?`);
    params.push(filter.priority_min);
  }
  if (filter.priority_max !== undefined) {
    where.push(`i.priority <= ?`);
    params.push(filter.priority_max);
  }
  parentClause(where, params, filter.parent);
  if (filter.ids && filter.ids.length > 0) {
    where.push(`i.id IN (${inList(filter.ids)})`);
    params.push(...filter.ids);
  }
  if (filter.text !== undefined && filter.text !== '') {
    const like = `%${filter.text.toLowerCase()}%`;
    where.push(
      `(lower(i.title) LIKE ? OR lower(i.description) LIKE ? OR lower(i.notes) LIKE ? OR lower(coalesce(i.external_ref, '')) LIKE ? OR i.id LIKE ?)`,
    );
    params.push(like, like, like, like, `${filter.text}%`);
  }
  if (filter.title_contains !== undefined) {
    where.push(`lower(i.title) LIKE ?`);
    params.push(`%${filter.title_contains.toLowerCase()}%`);
  }
  if (!filter.include_ephemeral) where.push(`i.ephemeral = 0`);
  return { sql: where.length > 0 ? where.join(' AND ') : '1', params };
}

/** The ORDER BY of `list`. */
export function listOrder(filter: ListFilter): string {
  const dir = filter.reverse ? 'DESC' : 'ASC';
  const rdir = filter.reverse ? 'ASC' : 'DESC';
  switch (filter.sort ?? 'priority') {
    case 'created':
      return `i.created_at ${dir}, i.id ${dir}`;
    case 'updated':
      return `i.updated_at ${rdir}, i.id ${dir}`;
    case 'id':
      return `i.id ${dir}`;
    case 'priority':
      return `i.priority ${dir}, i.created_at ${rdir}, i.id ${dir}`;
  }
}

/**
 * The one definition of `ready` (reference/beads.md 3.1): open or in progress, not blocked (materialised
 * flag), not pinned, not a wisp, not an excluded type, not deferred and without a deferred parent.
 */
export function readyWhere(options: ReadyOptions, nowIso: string, anyDeferred: boolean): Clause {
  // These first terms repeat the partial index idx_issues_ready's WHERE, so SQLite can walk it in order.
  const where = [`i.is_blocked = 0`, `i.status IN ('open', 'in_progress')`, `i.pinned = 0`];
  const params: unknown[] = [];
  if (!options.include_ephemeral) where.push(`i.ephemeral = 0`);
  if (options.type && options.type.length > 0) {
    where.push(`i.issue_type IN (${inList(options.type)})`);
    params.push(...options.type);
  } else {
    const excluded = [...READY_EXCLUDED_TYPES, ...(options.exclude_type ?? [])];
    where.push(`i.issue_type NOT IN (${inList(excluded)})`);
    params.push(...excluded);
  }
  if (!options.include_deferred && anyDeferred) {
    where.push(`(i.defer_until IS NULL OR i.defer_until <= ?)`);
    where.push(
      `NOT EXISTS (SELECT 1 FROM dependencies pd JOIN issues p ON p.id = pd.depends_on_id
        WHERE pd.issue_id = i.id AND pd.type = 'parent-child' AND p.defer_until > ?)`,
    );
    params.push(nowIso, nowIso);
  }
  if (options.assignee !== undefined) {
    where.push(`i.assignee = ?`);
    params.push(options.assignee);
  }
  if (options.unassigned) where.push(`(i.assignee IS NULL OR i.assignee = '')`);
  if (options.priority !== undefined) {
    where.push(`i.priority = ?`);
    params.push(options.priority);
  }
  labelClauses(where, params, options.labels, options.labels_any);
  parentClause(where, params, options.parent);
  return { sql: where.join(' AND '), params };
}

/** The ORDER BY of `ready` for a sort policy; `hybrid` needs the 48-hour cutoff. */
export function readyOrder(sort: ReadyOptions['sort'], cutoffIso: string): Clause {
  switch (sort ?? 'priority') {
    case 'priority':
      return { sql: `i.priority ASC, i.created_at DESC, i.id ASC`, params: [] };
    case 'oldest':
      return { sql: `i.created_at ASC, i.id ASC`, params: [] };
    case 'hybrid':
      return {
        sql: `CASE WHEN i.created_at >= ? THEN 0 ELSE 1 END,
              CASE WHEN i.created_at >= ? THEN i.priority ELSE 0 END,
              CASE WHEN i.created_at >= ? THEN i.created_at END DESC,
              i.created_at ASC, i.id ASC`,
        params: [cutoffIso, cutoffIso, cutoffIso],
      };
  }
}
