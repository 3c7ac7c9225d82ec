import { BEAD_COLUMNS, columnKind } from './store-rows.js';
import type { Bead, Comment, Dependency, JsonlRecord, Tombstone } from './types.js';

/** The fixed key order of a bead line (docs/jsonl.md): the columns, then the collections. Unknown keys follow, sorted. */
export const BEAD_KEY_ORDER = [...BEAD_COLUMNS, 'labels', 'dependencies', 'comments'] as const;

const KNOWN = new Set<string>([...BEAD_KEY_ORDER, 'extra']);

/**
 * Go's escaping of <, >, & and U+2028/2029 applied to JSON text, so our lines diff cleanly with Beads'.
 * Idempotent: escaped text contains none of those characters.
 */
export function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON.stringify with Go's escaping. */
function goJson(value: unknown): string {
  return goEscape(JSON.stringify(value));
}

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === '' ||
    v === false ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)
  );
}

function dependencyObject(d: Dependency): Record<string, unknown> {
  const o: Record<string, unknown> = {
    issue_id: d.issue_id,
    depends_on_id: d.depends_on_id,
    type: d.type,
    created_at: d.created_at,
    created_by: d.created_by,
  };
  if (d.metadata !== undefined && d.metadata !== '' && d.metadata !== '{}') o.metadata = d.metadata;
  if (d.thread_id !== undefined && d.thread_id !== '') o.thread_id = d.thread_id;
  return o;
}

function commentObject(c: Comment): Record<string, unknown> {
  return { id: c.id, issue_id: c.issue_id, author: c.author, text: c.text, created_at: c.created_at };
}

const byteCompare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The bead as the ordered plain object that becomes its line. */
export function beadObject(b: Bead): Record<string, unknown> {
  const src = b as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of BEAD_KEY_ORDER) {
    let v = src[key];
    if (key === 'labels' && Array.isArray(v)) v = [...(v as string[])].sort(byteCompare);
    if (key === 'dependencies' && Array.isArray(v)) {
      v = [...(v as Dependency[])]
        .sort((x, y) => byteCompare(x.depends_on_id, y.depends_on_id))
        .map(dependencyObject);
    }
    if (key === 'comments' && Array.isArray(v)) {
      v = [...(v as Comment[])]
        .sort((x, y) => byteCompare(x.created_at, y.created_at) || byteCompare(String(x.id), String(y.id)))
        .map(commentObject);
    }
    if (key === 'priority' || key === 'title' || key === 'id' || key === 'status' || key === 'issue_type')
      out[key] = v;
    else if (!isEmpty(v)) out[key] = v;
  }
  const extra: Record<string, unknown> = { ...(b.extra ?? {}) };
  for (const [k, v] of Object.entries(src)) if (!KNOWN.has(k)) extra[k] = v;
  for (const k of Object.keys(extra).sort()) if (!(k in out) && extra[k] !== undefined) out[k] = extra[k];
  return out;
}

/** One canonical line for a bead, without the newline. */
export function serializeBead(b: Bead): string {
  return goJson(beadObject(b));
}

/** One canonical line for a tombstone, without the newline. */
export function serializeTombstone(t: Tombstone): string {
  const o: Record<string, unknown> = {
    id: t.id,
    status: 'tombstone',
    deleted_at: t.deleted_at,
    deleted_by: t.deleted_by,
  };
  if (t.delete_reason) o.delete_reason = t.delete_reason;
  if (t.original_type) o.original_type = t.original_type;
  return goJson(o);
}

/** One record's line. */
export function serializeRecord(r: JsonlRecord): string {
  return r.kind === 'bead' ? serializeBead(r.bead) : serializeTombstone(r.tombstone);
}

/** The whole file: records sorted by id in byte order, one per line, trailing newline ('' when empty). */
export function serializeRecords(records: readonly JsonlRecord[]): string {
  const id = (r: JsonlRecord) => (r.kind === 'bead' ? r.bead.id : r.tombstone.id);
  const lines = [...records].sort((a, b) => byteCompare(id(a), id(b))).map(serializeRecord);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

const ALWAYS = new Set(['id', 'title', 'status', 'priority', 'issue_type']);
const EMPTY_JSON = `('{}', '[]', 'null', '""', 'false')`;

/**
 * The same canonical line as `serializeBead`, as one SQLite expression over an issues row aliased `i`
 * (before Go escaping, which `goEscape` applies to the joined text). The bulk export path: SQLite builds
 * each line in C instead of materialising 50 columns per bead in JS. It is derived from the same key
 * order and column kinds, covers beads whose `extra` is NULL (the caller serializes the others with
 * `serializeBead`), and a test holds it byte-identical to `serializeBead` on the fixtures and on fuzzed
 * beads.
 */
export function beadLineSql(): string {
  const q = (key: string) => `',"${key}":'`;
  const parts = BEAD_COLUMNS.map((c) => {
    const col = `i.${c}`;
    if (c === 'id') return `'{"id":', json_quote(${col})`;
    if (ALWAYS.has(c)) return `${q(c)}, json_quote(${col})`;
    switch (columnKind(c)) {
      case 'bool':
        return `CASE WHEN ${col} = 1 THEN ${q(c)} || 'true' END`;
      case 'json':
        return `CASE WHEN ${col} IS NOT NULL AND ${col} NOT IN ${EMPTY_JSON} THEN ${q(c)} || ${col} END`;
      case 'zero_unset':
        return `CASE WHEN ${col} IS NOT NULL AND ${col} <> 0 AND ${col} <> '' THEN ${q(c)} || json_quote(${col}) END`;
      case 'plain':
        return `CASE WHEN ${col} IS NOT NULL AND ${col} <> '' THEN ${q(c)} || json_quote(${col}) END`;
    }
  });
  const labels = `(SELECT ${q('labels')} || '[' || group_concat(json_quote(label), ',' ORDER BY label) || ']' FROM labels WHERE issue_id = i.id)`;
  const dep = [
    `'{"issue_id":' || json_quote(issue_id)`,
    `',"depends_on_id":' || json_quote(depends_on_id)`,
    `',"type":' || json_quote(type)`,
    `',"created_at":' || json_quote(created_at)`,
    `',"created_by":' || json_quote(created_by)`,
    `CASE WHEN metadata IN ('', '{}') THEN '' ELSE ',"metadata":' || json_quote(metadata) END`,
    `CASE WHEN thread_id = '' THEN '' ELSE ',"thread_id":' || json_quote(thread_id) END`,
    `'}'`,
  ].join(' || ');
  const deps = `(SELECT ${q('dependencies')} || '[' || group_concat(${dep}, ',' ORDER BY depends_on_id) || ']' FROM dependencies WHERE issue_id = i.id)`;
  const comment = [
    // Comment ids have no column affinity: an integer bound from JS is stored as an integral REAL.
    `'{"id":' || json_quote(CASE WHEN typeof(id) = 'real' AND id = CAST(id AS INTEGER) THEN CAST(id AS INTEGER) ELSE id END)`,
    `',"issue_id":' || json_quote(issue_id)`,
    `',"author":' || json_quote(author)`,
    `',"text":' || json_quote(text)`,
    `',"created_at":' || json_quote(created_at)`,
    `'}'`,
  ].join(' || ');
  const comments = `(SELECT ${q('comments')} || '[' || group_concat(${comment}, ',' ORDER BY created_at, CAST(id AS TEXT)) || ']' FROM comments WHERE issue_id = i.id)`;
  return `concat(${[...parts, labels, deps, comments, `'}'`].join(', ')})`;
}
