import { BEAD_COLUMNS } from './store-rows.js';
import type { Bead, Comment, Dependency, JsonlRecord, Tombstone } from './types.js';

/** The fixed key order of a bead line (docs/jsonl.md): the columns, then the collections. Unknown keys follow, sorted. */
export const BEAD_KEY_ORDER = [...BEAD_COLUMNS, 'labels', 'dependencies', 'comments'] as const;

const KNOWN = new Set<string>([...BEAD_KEY_ORDER, 'extra']);

/** JSON.stringify with Go's escaping of <, >, & and U+2028/2029, so our lines diff cleanly with Beads'. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
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
