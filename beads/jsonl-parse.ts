import { ImportError } from './errors.js';
import { normalizeTimestamp } from './timestamps.js';
import type { Bead, Comment, Dependency, JsonlRecord, Tombstone } from './types.js';
import { STATUSES } from './types.js';

/** One parsed line of a JSONL file. */
export interface ParsedLine {
  /** 1-based line number in the file. */
  line: number;
  record: JsonlRecord;
}

/** Options of the parser. */
export interface ParseOptions {
  /** Custom statuses (config `status.custom`) accepted besides the built-in ones. */
  customStatuses?: readonly string[];
}

const CORE_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'title',
  'status',
  'priority',
  'issue_type',
  'created_at',
  'updated_at',
]);
const KNOWN_STATUSES: ReadonlySet<string> = new Set(STATUSES);
const DERIVED = new Set([
  'dependency_count',
  'dependent_count',
  'comment_count',
  'content_hash',
  'source_repo',
  'parent',
]);
const TIMESTAMP_FIELDS: ReadonlySet<string> = new Set([
  'created_at',
  'updated_at',
  'started_at',
  'closed_at',
  'due_at',
  'defer_until',
  'compacted_at',
]);
const STRING_FIELDS: ReadonlySet<string> = new Set([
  'description',
  'design',
  'acceptance_criteria',
  'notes',
  'spec_id',
  'assignee',
  'owner',
  'created_by',
  'close_reason',
  'closed_by_session',
  'external_ref',
  'source_system',
  'compacted_at_commit',
  'sender',
  'wisp_type',
  'mol_type',
  'work_type',
  'await_type',
  'await_id',
  'source_formula',
  'source_location',
  'event_kind',
  'actor',
  'target',
  'payload',
]);
const NUMBER_FIELDS: ReadonlySet<string> = new Set([
  'estimated_minutes',
  'compaction_level',
  'original_size',
  'timeout',
]);
const BOOL_FIELDS: ReadonlySet<string> = new Set(['ephemeral', 'no_history', 'pinned', 'is_template']);
/** Messaging-era scalar links (Dec 2025) that became edges. */
const LEGACY_LINKS: Record<string, string> = {
  replies_to: 'replies-to',
  relates_to: 'relates-to',
  duplicate_of: 'duplicates',
  superseded_by: 'supersedes',
};
const LEGACY_LINK_ENTRIES = Object.entries(LEGACY_LINKS);
const CONFLICT = /^(<<<<<<< |=======$|>>>>>>> )/;

/**
 * Parses a whole Beads JSONL text, accepting every historical export variant (docs/jsonl.md).
 * Refuses the first bad line with `ImportError(file, line, reason)`. When an id appears twice, the last
 * line wins.
 */
export function parseJsonl(text: string, file: string, options: ParseOptions = {}): ParsedLine[] {
  const lines = text.split('\n');
  const byId = new Map<string, ParsedLine>();
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/\r$/, '');
    if (CONFLICT.test(raw)) {
      throw new ImportError(
        file,
        i + 1,
        'merge conflict markers: resolve the conflict (bd merge) before importing',
      );
    }
    if (raw.trim() === '') continue;
    const record = parseJsonlLine(raw, file, i + 1, options);
    const id = record.kind === 'bead' ? record.bead.id : record.tombstone.id;
    byId.delete(id);
    byId.set(id, { line: i + 1, record });
  }
  return [...byId.values()];
}

const LEADING_ID = /^\s*\{\s*"id"\s*:\s*"((?:[^"\\]|\\.)*)"/;

/** A JSONL text parsed on demand: the record count and line numbers are known before any record is built. */
export interface LazyJsonl {
  /** Records that will be yielded (the last line of each id). */
  count: number;
  /** The line an id's record comes from. */
  lineOf(id: string): number | undefined;
  /** Parses and yields each record in turn (throws ImportError at the first bad line). */
  records(): Iterable<JsonlRecord>;
}

/**
 * The same records as `parseJsonl`, in the same order, but built one at a time while they are consumed
 * (so a large import does not hold every parsed bead at once). A first pass reads only each line's
 * leading `"id"`; a file whose lines do not start with it is parsed eagerly instead.
 */
export function parseJsonlLazily(text: string, file: string, options: ParseOptions = {}): LazyJsonl {
  const lines = text.split('\n');
  const last = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    if (CONFLICT.test(raw))
      throw new ImportError(
        file,
        i + 1,
        'merge conflict markers: resolve the conflict (bd merge) before importing',
      );
    if (raw.trim() === '') continue;
    const m = LEADING_ID.exec(raw);
    if (m === null) {
      const parsed = parseJsonl(text, file, options);
      const lineById = new Map(
        parsed.map((p) => [p.record.kind === 'bead' ? p.record.bead.id : p.record.tombstone.id, p.line]),
      );
      return {
        count: parsed.length,
        lineOf: (id) => lineById.get(id),
        records: () => parsed.map((p) => p.record),
      };
    }
    const quoted = m[1] as string;
    const id = quoted.includes('\\') ? (JSON.parse(`"${quoted}"`) as string) : quoted;
    last.delete(id);
    last.set(id, i);
  }
  return {
    count: last.size,
    lineOf: (id) => {
      const i = last.get(id);
      return i === undefined ? undefined : i + 1;
    },
    *records() {
      for (const i of last.values()) {
        yield parseJsonlLine((lines[i] as string).replace(/\r$/, ''), file, i + 1, options);
      }
    },
  };
}

/** Parses one non-blank line. */
export function parseJsonlLine(
  raw: string,
  file: string,
  line: number,
  options: ParseOptions = {},
): JsonlRecord {
  const fail = (reason: string, cause?: unknown): never => {
    throw new ImportError(file, line, reason, cause);
  };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    fail(`invalid JSON (${(err as Error).message})`, err);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail('a line must be a JSON object');
  const o = value as Record<string, unknown>;
  const id = o.id;
  if (typeof id !== 'string' || id.trim() === '') fail('missing "id"');
  const ts = (field: string, v: unknown): string => {
    if (typeof v !== 'string') return fail(`"${field}" must be a timestamp string, got ${JSON.stringify(v)}`);
    return normalizeTimestamp(v) ?? fail(`"${field}" is not a timestamp: ${JSON.stringify(v)}`);
  };

  if (o.status === 'tombstone') {
    const at = o.deleted_at ?? o.updated_at;
    const t: Tombstone = {
      id: id as string,
      deleted_at: ts('deleted_at', at),
      deleted_by: typeof o.deleted_by === 'string' ? o.deleted_by : '',
    };
    if (typeof o.delete_reason === 'string' && o.delete_reason !== '') t.delete_reason = o.delete_reason;
    const original = o.original_type ?? o.issue_type;
    if (typeof original === 'string' && original !== '') t.original_type = original;
    return { kind: 'tombstone', tombstone: t };
  }

  const title = o.title;
  if (typeof title !== 'string' || title.trim() === '') fail(`missing "title" for ${id as string}`);
  const status = o.status ?? 'open';
  if (
    typeof status !== 'string' ||
    !(KNOWN_STATUSES.has(status) || (options.customStatuses ?? []).includes(status))
  ) {
    const allowed = [...STATUSES, ...(options.customStatuses ?? [])];
    fail(
      `unknown status ${JSON.stringify(status)}: use one of ${allowed.join(', ')} (or declare it in status.custom)`,
    );
  }
  const priority = o.priority ?? 2;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 4) {
    fail(`priority must be an integer 0-4, got ${JSON.stringify(priority)}`);
  }
  const issueType = o.issue_type ?? 'task';
  if (typeof issueType !== 'string' || issueType === '') fail(`"issue_type" must be a non-empty string`);

  const updated = o.updated_at ?? o.created_at;
  const created = o.created_at ?? o.updated_at;
  if (created === undefined) fail('missing "created_at"');
  const bead: Bead = {
    id: id as string,
    title: title as string,
    status: status as string,
    priority: priority as number,
    issue_type: issueType as string,
    created_at: ts('created_at', created),
    updated_at: ts('updated_at', updated),
  };
  const target = bead as unknown as Record<string, unknown>;
  const extra: Record<string, unknown> = {};
  for (const key in o) {
    if (CORE_FIELDS.has(key)) continue;
    const v = o[key];
    if (DERIVED.has(key) || v === null || v === undefined) continue;
    if (TIMESTAMP_FIELDS.has(key)) {
      if (v !== '') target[key] = ts(key, v);
    } else if (STRING_FIELDS.has(key)) {
      if (typeof v !== 'string') fail(`"${key}" must be a string, got ${JSON.stringify(v)}`);
      if (v !== '') target[key] = v;
    } else if (NUMBER_FIELDS.has(key)) {
      if (typeof v !== 'number' || !Number.isFinite(v))
        fail(`"${key}" must be a number, got ${JSON.stringify(v)}`);
      target[key] = v;
    } else if (BOOL_FIELDS.has(key)) {
      if (typeof v !== 'boolean') fail(`"${key}" must be true or false, got ${JSON.stringify(v)}`);
      if (v) target[key] = true;
    } else if (key === 'metadata') {
      const m = typeof v === 'string' ? safeJson(v) : v;
      if (m === null || typeof m !== 'object' || Array.isArray(m)) fail('"metadata" must be a JSON object');
      if (Object.keys(m as object).length > 0) bead.metadata = m as Record<string, unknown>;
    } else if (key === 'waiters') {
      if (!Array.isArray(v) || v.some((w) => typeof w !== 'string'))
        fail('"waiters" must be an array of strings');
      if ((v as unknown[]).length > 0) bead.waiters = v as string[];
    } else if (key === 'bonded_from') {
      if (!Array.isArray(v)) fail('"bonded_from" must be an array');
      if ((v as unknown[]).length > 0) bead.bonded_from = v as unknown[];
    } else if (key === 'labels') {
      if (!Array.isArray(v) || v.some((l) => typeof l !== 'string' || l.trim() === '')) {
        fail('"labels" must be an array of non-empty strings');
      }
      if ((v as string[]).length > 0) bead.labels = [...new Set(v as string[])];
    } else if (key === 'dependencies') {
      if (!Array.isArray(v)) fail('"dependencies" must be an array');
      bead.dependencies = (v as unknown[]).map((d, n) => dependency(d, n, bead, ts, fail));
    } else if (key === 'comments') {
      if (!Array.isArray(v)) fail('"comments" must be an array');
      bead.comments = (v as unknown[]).map((c, n) => comment(c, n, bead, ts, fail));
    } else if (!(key in LEGACY_LINKS)) {
      extra[key] = v;
    }
  }
  addLegacyLinks(o, bead);
  if (typeof o.parent === 'string' && o.parent !== '') {
    const deps = (bead.dependencies ??= []);
    if (!deps.some((d) => d.type === 'parent-child' && d.depends_on_id === o.parent)) {
      deps.push({
        issue_id: bead.id,
        depends_on_id: o.parent,
        type: 'parent-child',
        created_at: bead.created_at,
        created_by: '',
      });
    }
  }
  if (bead.dependencies?.length === 0) delete bead.dependencies;
  if (bead.comments?.length === 0) delete bead.comments;
  if (bead.status === 'closed' && bead.closed_at === undefined) bead.closed_at = bead.updated_at;
  if (bead.status !== 'closed') delete bead.closed_at;
  if (Object.keys(extra).length > 0) bead.extra = extra;
  return { kind: 'bead', bead };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function dependency(
  d: unknown,
  n: number,
  bead: Bead,
  ts: (f: string, v: unknown) => string,
  fail: (r: string) => never,
): Dependency {
  if (d === null || typeof d !== 'object') return fail(`dependency ${n + 1} must be an object`);
  const o = d as Record<string, unknown>;
  if (typeof o.depends_on_id !== 'string' || o.depends_on_id === '') {
    return fail(`dependency ${n + 1} has no "depends_on_id"`);
  }
  const type = o.type ?? 'blocks';
  if (typeof type !== 'string' || type === '' || type.length > 50) {
    return fail(`dependency ${n + 1} has an invalid type ${JSON.stringify(type)}`);
  }
  const out: Dependency = {
    issue_id: bead.id,
    depends_on_id: o.depends_on_id,
    type,
    created_at:
      o.created_at === undefined || o.created_at === ''
        ? bead.created_at
        : ts('dependencies.created_at', o.created_at),
    created_by: typeof o.created_by === 'string' ? o.created_by : '',
  };
  const meta =
    typeof o.metadata === 'string'
      ? o.metadata
      : o.metadata === undefined
        ? '{}'
        : JSON.stringify(o.metadata);
  if (meta !== '' && meta !== '{}') out.metadata = meta;
  if (typeof o.thread_id === 'string' && o.thread_id !== '') out.thread_id = o.thread_id;
  return out;
}

function comment(
  c: unknown,
  n: number,
  bead: Bead,
  ts: (f: string, v: unknown) => string,
  fail: (r: string) => never,
): Comment {
  if (c === null || typeof c !== 'object') return fail(`comment ${n + 1} must be an object`);
  const o = c as Record<string, unknown>;
  if (typeof o.text !== 'string') return fail(`comment ${n + 1} has no "text"`);
  const id =
    typeof o.id === 'number' || (typeof o.id === 'string' && o.id !== '') ? o.id : `${bead.id}-c${n + 1}`;
  return {
    id,
    issue_id: bead.id,
    author: typeof o.author === 'string' ? o.author : '',
    text: o.text,
    created_at: o.created_at === undefined ? bead.created_at : ts('comments.created_at', o.created_at),
  };
}

function addLegacyLinks(o: Record<string, unknown>, bead: Bead): void {
  for (const [field, type] of LEGACY_LINK_ENTRIES) {
    const v = o[field];
    if (v === undefined || v === null) continue;
    const targets =
      typeof v === 'string'
        ? [v]
        : Array.isArray(v)
          ? v.filter((x): x is string => typeof x === 'string')
          : [];
    for (const t of targets) {
      if (t === '') continue;
      const deps = (bead.dependencies ??= []);
      if (!deps.some((d) => d.depends_on_id === t)) {
        deps.push({ issue_id: bead.id, depends_on_id: t, type, created_at: bead.created_at, created_by: '' });
      }
    }
  }
}
