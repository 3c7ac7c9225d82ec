import { createHash } from 'node:crypto';
import { stableJson } from './store-rows.js';
import type { Bead, Comment, Dependency, JsonlRecord, Tombstone } from './types.js';

/** Something a merge decided that a person may want to know (it never loses data silently). */
export interface MergeNote {
  id: string;
  field?: string;
  message: string;
}

/** The result of a three-way merge. */
export interface MergeResult {
  records: JsonlRecord[];
  notes: MergeNote[];
}

const COLLECTIONS = new Set(['labels', 'dependencies', 'comments', 'extra']);
const same = (a: unknown, b: unknown) => stableJson(a) === stableJson(b);
const ms = (s: string | undefined) => (s === undefined ? 0 : Date.parse(s) || 0);

function recordId(r: JsonlRecord): string {
  return r.kind === 'bead' ? r.bead.id : r.tombstone.id;
}

function flat(b: Bead | undefined): Record<string, unknown> {
  if (!b) return {};
  const { extra, labels: _l, dependencies: _d, comments: _c, ...rest } = b;
  return { ...(extra ?? {}), ...rest };
}

/** Element-wise three-way merge of keyed sets: one side's change (add, remove or modify) wins over no change. */
function mergeSet<T>(
  base: Map<string, T>,
  ours: Map<string, T>,
  theirs: Map<string, T>,
  pick: (o: T, t: T) => T,
): T[] {
  const out: T[] = [];
  for (const key of new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])) {
    const b = base.get(key);
    const o = ours.get(key);
    const t = theirs.get(key);
    if (same(o, t)) {
      if (o !== undefined) out.push(o);
    } else if (same(o, b)) {
      if (t !== undefined) out.push(t);
    } else if (same(t, b)) {
      if (o !== undefined) out.push(o);
    } else if (o === undefined || t === undefined) {
      // changed on one side, removed on the other: the removal wins (removed edges do not come back)
    } else {
      out.push(pick(o, t));
    }
  }
  return out;
}

function comment(id: string, field: string, side: string, value: unknown, at: string): Comment {
  const text = `merge: kept ${field} from ${side}; the other side had: ${typeof value === 'string' ? value : JSON.stringify(value)}`;
  const hash = createHash('sha256')
    .update(`${id}\0${field}\0${stableJson(value)}`)
    .digest('hex')
    .slice(0, 12);
  return { id: `merge-${hash}`, issue_id: id, author: 'bd-merge', text, created_at: at };
}

/** Merges one bead changed on both sides (base may be undefined: added on both). */
export function mergeBeads(base: Bead | undefined, ours: Bead, theirs: Bead, notes: MergeNote[]): Bead {
  const b = flat(base);
  const o = flat(ours);
  const t = flat(theirs);
  const oursLater =
    ms(ours.updated_at) > ms(theirs.updated_at)
      ? true
      : ms(ours.updated_at) < ms(theirs.updated_at)
        ? false
        : stableJson(o) >= stableJson(t);
  const merged: Record<string, unknown> = {};
  const lost: Comment[] = [];
  const updatedAt = ms(ours.updated_at) >= ms(theirs.updated_at) ? ours.updated_at : theirs.updated_at;
  for (const key of new Set([...Object.keys(b), ...Object.keys(o), ...Object.keys(t)])) {
    if (COLLECTIONS.has(key)) continue;
    const bv = b[key];
    const ov = o[key];
    const tv = t[key];
    let v: unknown;
    if (same(ov, tv)) v = ov;
    else if (same(ov, bv)) v = tv;
    else if (same(tv, bv)) v = ov;
    else if (key === 'updated_at') v = updatedAt;
    else if (key === 'status') v = ov === 'closed' || tv === 'closed' ? 'closed' : oursLater ? ov : tv;
    else if (key === 'priority') v = Math.min(Number(ov), Number(tv));
    else if (key === 'notes')
      v = [ov, tv].filter((x) => typeof x === 'string' && x !== '').join('\n\n---\n\n');
    else if (key === 'closed_at') v = ms(ov as string) >= ms(tv as string) ? ov : tv;
    else if (key === 'close_reason') v = ms(o.closed_at as string) >= ms(t.closed_at as string) ? ov : tv;
    else {
      v = oursLater ? ov : tv;
      const loser = oursLater ? tv : ov;
      if (loser !== undefined) {
        lost.push(comment(ours.id, key, oursLater ? 'ours' : 'theirs', loser, updatedAt));
        notes.push({
          id: ours.id,
          field: key,
          message: `both sides changed ${key}; kept the later edit, the other is in a comment`,
        });
      }
    }
    if (v !== undefined) merged[key] = v;
  }
  if (merged.status !== 'closed') {
    delete merged.closed_at;
    delete merged.close_reason;
  } else if (merged.closed_at === undefined) {
    merged.closed_at = ours.closed_at ?? theirs.closed_at ?? updatedAt;
  }
  const labels = mergeSet(
    new Map((base?.labels ?? []).map((l) => [l, l])),
    new Map((ours.labels ?? []).map((l) => [l, l])),
    new Map((theirs.labels ?? []).map((l) => [l, l])),
    (x) => x,
  ).sort();
  const depMap = (list: Dependency[] | undefined) => new Map((list ?? []).map((d) => [d.depends_on_id, d]));
  const deps = mergeSet(
    depMap(base?.dependencies),
    depMap(ours.dependencies),
    depMap(theirs.dependencies),
    (x, y) => (oursLater ? x : y),
  );
  const comments = new Map<string, Comment>();
  for (const c of [...(ours.comments ?? []), ...(theirs.comments ?? []), ...lost])
    comments.set(String(c.id), c);
  const extraKeys = new Set([base?.extra, ours.extra, theirs.extra].flatMap((e) => Object.keys(e ?? {})));
  const bead: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(merged)) (extraKeys.has(k) ? extra : bead)[k] = v;
  if (labels.length > 0) bead.labels = labels;
  if (deps.length > 0) bead.dependencies = deps;
  if (comments.size > 0) bead.comments = [...comments.values()];
  if (Object.keys(extra).length > 0) bead.extra = extra;
  return bead as unknown as Bead;
}

function laterTombstone(a: Tombstone, b: Tombstone): Tombstone {
  return ms(a.deleted_at) >= ms(b.deleted_at) ? a : b;
}

/**
 * The one three-way merge of Beads records, used by git's merge driver and by sync (docs/merge.md).
 * Pure and deterministic: the same three inputs always give the same output, sorted by id.
 */
export function mergeRecords(
  base: readonly JsonlRecord[],
  ours: readonly JsonlRecord[],
  theirs: readonly JsonlRecord[],
): MergeResult {
  const index = (list: readonly JsonlRecord[]) => new Map(list.map((r) => [recordId(r), r]));
  const B = index(base);
  const O = index(ours);
  const T = index(theirs);
  const notes: MergeNote[] = [];
  const out: JsonlRecord[] = [];
  const ids = [...new Set([...B.keys(), ...O.keys(), ...T.keys()])].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  for (const id of ids) {
    const b = B.get(id);
    const o = O.get(id);
    const t = T.get(id);
    const liveO = o?.kind === 'bead' ? o.bead : undefined;
    const liveT = t?.kind === 'bead' ? t.bead : undefined;
    const baseBead = b?.kind === 'bead' ? b.bead : undefined;
    if (liveO && liveT) {
      if (same(liveO, liveT)) out.push(o as JsonlRecord);
      else if (baseBead && same(liveO, baseBead)) out.push(t as JsonlRecord);
      else if (baseBead && same(liveT, baseBead)) out.push(o as JsonlRecord);
      else out.push({ kind: 'bead', bead: mergeBeads(baseBead, liveO, liveT, notes) });
      continue;
    }
    if (!liveO && !liveT) {
      const tombs = [o, t].flatMap((r) => (r?.kind === 'tombstone' ? [r.tombstone] : []));
      const [first, second] = tombs;
      if (first) out.push({ kind: 'tombstone', tombstone: second ? laterTombstone(first, second) : first });
      continue;
    }
    const live = (liveO ?? liveT) as Bead;
    const gone = liveO ? t : o;
    const unchanged = baseBead !== undefined && same(live, baseBead);
    if (b === undefined && gone === undefined) {
      out.push({ kind: 'bead', bead: live });
    } else if (unchanged || (b?.kind === 'tombstone' && gone?.kind === 'tombstone')) {
      if (gone?.kind === 'tombstone') out.push(gone);
    } else if (
      gone?.kind === 'tombstone' &&
      ms(gone.tombstone.deleted_at) >= ms(live.updated_at) &&
      b === undefined
    ) {
      out.push(gone);
    } else {
      out.push({ kind: 'bead', bead: live });
      notes.push({ id, message: 'deleted on one side and changed on the other: kept the changed bead' });
    }
  }
  return { records: out, notes };
}
