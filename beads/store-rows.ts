import type { Bead, Comment, Dependency } from './types.js';

/** Bead fields stored as issue columns, in the table's order. */
export const BEAD_COLUMNS = [
  'id',
  'title',
  'description',
  'design',
  'acceptance_criteria',
  'notes',
  'spec_id',
  'status',
  'priority',
  'issue_type',
  'assignee',
  'owner',
  'estimated_minutes',
  'created_at',
  'created_by',
  'updated_at',
  'started_at',
  'closed_at',
  'close_reason',
  'closed_by_session',
  'due_at',
  'defer_until',
  'external_ref',
  'source_system',
  'metadata',
  'compaction_level',
  'compacted_at',
  'compacted_at_commit',
  'original_size',
  'sender',
  'ephemeral',
  'no_history',
  'wisp_type',
  'pinned',
  'is_template',
  'mol_type',
  'work_type',
  'await_type',
  'await_id',
  'timeout',
  'waiters',
  'bonded_from',
  'source_formula',
  'source_location',
  'event_kind',
  'actor',
  'target',
  'payload',
] as const;
export type BeadColumn = (typeof BEAD_COLUMNS)[number];

const BOOL_COLUMNS = new Set<string>(['ephemeral', 'no_history', 'pinned', 'is_template']);
const JSON_COLUMNS = new Set<string>(['metadata', 'waiters', 'bonded_from']);
const TEXT_NOT_NULL = new Set<string>(['description', 'design', 'acceptance_criteria', 'notes']);
const ZERO_IS_UNSET = new Set<string>(['compaction_level', 'original_size']);
const KNOWN_FIELDS = new Set<string>([...BEAD_COLUMNS, 'labels', 'dependencies', 'comments', 'extra']);

export type Row = Record<string, unknown>;

/** How a bead column is stored: text/number, 0/1 boolean, JSON text, or a number where 0 means unset. */
export function columnKind(col: string): 'plain' | 'bool' | 'json' | 'zero_unset' {
  return BOOL_COLUMNS.has(col)
    ? 'bool'
    : JSON_COLUMNS.has(col)
      ? 'json'
      : ZERO_IS_UNSET.has(col)
        ? 'zero_unset'
        : 'plain';
}

/** A bead's column values (defaults for the NOT NULL text columns), plus `extra` as JSON text or null. */
export function beadToRow(b: Bead): Row {
  const row: Row = {};
  const source = b as unknown as Record<string, unknown>;
  for (const col of BEAD_COLUMNS) {
    const v = source[col];
    if (BOOL_COLUMNS.has(col)) row[col] = v === true ? 1 : 0;
    else if (JSON_COLUMNS.has(col)) row[col] = v === undefined || v === null ? null : JSON.stringify(v);
    else if (TEXT_NOT_NULL.has(col)) row[col] = typeof v === 'string' ? v : '';
    else row[col] = v === undefined || v === '' ? null : v;
  }
  let extra: Record<string, unknown> | null =
    b.extra && Object.keys(b.extra).length > 0 ? { ...b.extra } : null;
  for (const k in source) if (!KNOWN_FIELDS.has(k)) (extra ??= {})[k] = source[k];
  row.extra = extra === null ? null : JSON.stringify(extra);
  return row;
}

/** Column kinds in `ROW_VALUE_COLUMNS` order: 0 plain, 1 boolean, 2 JSON, 3 text not null. */
const KINDS = BEAD_COLUMNS.map((c) =>
  BOOL_COLUMNS.has(c) ? 1 : JSON_COLUMNS.has(c) ? 2 : TEXT_NOT_NULL.has(c) ? 3 : 0,
);

/** The columns `beadToValues` fills, in order: every bead column, then `extra`. */
export const ROW_VALUE_COLUMNS: readonly string[] = [...BEAD_COLUMNS, 'extra'];

/** The same values as `beadToRow`, as an array in `ROW_VALUE_COLUMNS` order (the insert hot path). */
export function beadToValues(b: Bead): unknown[] {
  const source = b as unknown as Record<string, unknown>;
  const out = new Array<unknown>(BEAD_COLUMNS.length + 1);
  for (let i = 0; i < BEAD_COLUMNS.length; i++) {
    const v = source[BEAD_COLUMNS[i] as string];
    const kind = KINDS[i];
    if (kind === 1) out[i] = v === true ? 1 : 0;
    else if (kind === 2) out[i] = v === undefined || v === null ? null : JSON.stringify(v);
    else if (kind === 3) out[i] = typeof v === 'string' ? v : '';
    else out[i] = v === undefined || v === '' ? null : v;
  }
  let extra: Record<string, unknown> | null =
    b.extra && Object.keys(b.extra).length > 0 ? { ...b.extra } : null;
  for (const k in source) if (!KNOWN_FIELDS.has(k)) (extra ??= {})[k] = source[k];
  out[BEAD_COLUMNS.length] = extra === null ? null : JSON.stringify(extra);
  return out;
}

/** Column kinds for reading: 0 plain, 1 boolean, 2 JSON, 4 zero means unset; title keeps ''. */
const READ_KINDS = BEAD_COLUMNS.map((c) =>
  BOOL_COLUMNS.has(c) ? 1 : JSON_COLUMNS.has(c) ? 2 : ZERO_IS_UNSET.has(c) ? 4 : c === 'title' ? 5 : 0,
);

/**
 * The SELECT list `valuesToBead` reads (table alias `i`): every bead column, `extra`, then the labels
 * and outgoing dependencies (JSON arrays) through correlated subqueries
 * on the primary keys, so one raw query returns whole beads.
 */
export const BEAD_SELECT = [
  ...ROW_VALUE_COLUMNS.map((c) => `i.${c}`),
  `(SELECT json_group_array(label ORDER BY label) FROM labels WHERE issue_id = i.id)`,
  `(SELECT json_group_array(json_array(depends_on_id, type, created_at, created_by, metadata, thread_id)) FROM dependencies WHERE issue_id = i.id)`,
].join(', ');

/** A bead from a raw row selected with `BEAD_SELECT` (the read hot path: no intermediate objects). */
export function valuesToBead(values: readonly unknown[]): Bead {
  const out: Record<string, unknown> = {};
  const n = BEAD_COLUMNS.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    switch (READ_KINDS[i]) {
      case 1:
        if (v === 1) out[BEAD_COLUMNS[i] as string] = true;
        break;
      case 2:
        out[BEAD_COLUMNS[i] as string] = JSON.parse(v as string) as unknown;
        break;
      case 4:
        if (v !== 0 && v !== '') out[BEAD_COLUMNS[i] as string] = v;
        break;
      case 5:
        out[BEAD_COLUMNS[i] as string] = v;
        break;
      case 0:
      case undefined:
        if (v !== '') out[BEAD_COLUMNS[i] as string] = v;
    }
  }
  const extra = values[n];
  if (typeof extra === 'string') out.extra = JSON.parse(extra) as unknown;
  const labels = values[n + 1];
  if (typeof labels === 'string' && labels !== '[]') out.labels = JSON.parse(labels) as string[];
  const deps = values[n + 2];
  if (typeof deps === 'string' && deps !== '[]') {
    const list = (JSON.parse(deps) as string[][]).map((d) => {
      const dep: Dependency = {
        issue_id: values[0] as string,
        depends_on_id: d[0] as string,
        type: d[1] as string,
        created_at: d[2] as string,
        created_by: d[3] as string,
      };
      const metadata = d[4];
      if (metadata !== undefined && metadata !== '' && metadata !== '{}') dep.metadata = metadata;
      const thread = d[5];
      if (thread !== undefined && thread !== '') dep.thread_id = thread;
      return dep;
    });
    if (list.length > 1) list.sort((a, b) => (a.depends_on_id < b.depends_on_id ? -1 : 1));
    out.dependencies = list;
  }
  return out as unknown as Bead;
}

/** A bead from a row: unset fields are absent, as in Beads' omitempty JSON. */
export function rowToBead(row: Row): Bead {
  const out: Record<string, unknown> = {};
  for (const col of BEAD_COLUMNS) {
    const v = row[col];
    if (v === null || v === undefined) continue;
    if (BOOL_COLUMNS.has(col)) {
      if (v === 1) out[col] = true;
    } else if (JSON_COLUMNS.has(col)) {
      out[col] = JSON.parse(v as string) as unknown;
    } else if (v === '' && col !== 'title') {
      continue;
    } else if (ZERO_IS_UNSET.has(col) && v === 0) {
      continue;
    } else {
      out[col] = v;
    }
  }
  if (typeof row.extra === 'string') out.extra = JSON.parse(row.extra) as unknown;
  return out as unknown as Bead;
}

/** A dependency from a row. */
export function rowToDependency(r: Row): Dependency {
  const d: Dependency = {
    issue_id: r.issue_id as string,
    depends_on_id: r.depends_on_id as string,
    type: r.type as string,
    created_at: r.created_at as string,
    created_by: r.created_by as string,
  };
  if (typeof r.metadata === 'string' && r.metadata !== '' && r.metadata !== '{}') d.metadata = r.metadata;
  if (typeof r.thread_id === 'string' && r.thread_id !== '') d.thread_id = r.thread_id;
  return d;
}

/** A comment from a row (integer ids from old exports stay integers). */
export function rowToComment(r: Row): Comment {
  return {
    id: r.id as string | number,
    issue_id: r.issue_id as string,
    author: r.author as string,
    text: r.text as string,
    created_at: r.created_at as string,
  };
}

/** A stable JSON form of a bead for change detection (keys sorted, arrays as given). */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
