import type { Database } from 'better-sqlite3';
import { FAILURE_CLOSE_WORDS } from './types.js';

/**
 * The materialised blocked flag (`issues.is_blocked`), kept exact inside every write transaction.
 * A bead is blocked when it has (a) a `blocks` edge to an existing bead that is neither closed nor pinned, or
 * to an unresolved `external:` target; (b) a `conditional-blocks` edge to an existing bead that has not
 * failed (not closed, or closed with a reason containing no failure word); (c) a `waits-for` edge whose
 * gate is not satisfied; or (d) a parent (parent-child) that is itself blocked. See docs/beads.md.
 */

const FAILED_SQL = FAILURE_CLOSE_WORDS.map(
  (w) => `instr(lower(coalesce(b.close_reason, '')), '${w.replace(/'/g, "''")}') > 0`,
).join(' OR ');

/** True when a close reason says the bead failed (for conditional-blocks). */
export function isFailureReason(reason: string | null | undefined): boolean {
  const r = (reason ?? '').toLowerCase();
  return FAILURE_CLOSE_WORDS.some((w) => r.includes(w));
}

/** The gate of a waits-for edge's metadata: all-children (default) or any-children. */
export function waitsForGate(metadata: string | null | undefined): 'all-children' | 'any-children' {
  try {
    const m = JSON.parse(metadata ?? '{}') as { gate?: unknown };
    return m.gate === 'any-children' ? 'any-children' : 'all-children';
  } catch {
    return 'all-children';
  }
}

/** Incremental maintenance of the flag over one database connection (statements prepared once). */
export class BlockedIndex {
  private readonly ownBlocked;
  private readonly waitsFor;
  private readonly openChild;
  private readonly closedChild;
  private readonly parentBlocked;
  private readonly children;
  private readonly getFlag;
  private readonly setFlag;
  private readonly blockDependents;
  private readonly waitsForDependentsOfParents;
  private readonly waitsForDependents;

  constructor(db: Database) {
    this.ownBlocked = db.prepare(
      `SELECT 1 FROM dependencies d LEFT JOIN issues b ON b.id = d.depends_on_id
       WHERE d.issue_id = ? AND (
         (d.type = 'blocks' AND ((b.id IS NOT NULL AND b.status NOT IN ('closed', 'pinned'))
                                 OR (b.id IS NULL AND d.depends_on_id LIKE 'external:%')))
         OR (d.type = 'conditional-blocks' AND b.id IS NOT NULL AND (b.status <> 'closed' OR NOT (${FAILED_SQL})))
       ) LIMIT 1`,
    );
    this.waitsFor = db.prepare(
      `SELECT depends_on_id AS spawner, metadata FROM dependencies WHERE issue_id = ? AND type = 'waits-for'`,
    );
    this.openChild = db.prepare(
      `SELECT 1 FROM dependencies c JOIN issues ci ON ci.id = c.issue_id
       WHERE c.depends_on_id = ? AND c.type = 'parent-child' AND c.issue_id <> ? AND ci.status <> 'closed' LIMIT 1`,
    );
    this.closedChild = db.prepare(
      `SELECT 1 FROM dependencies c JOIN issues ci ON ci.id = c.issue_id
       WHERE c.depends_on_id = ? AND c.type = 'parent-child' AND c.issue_id <> ? AND ci.status = 'closed' LIMIT 1`,
    );
    this.parentBlocked = db.prepare(
      `SELECT 1 FROM dependencies d JOIN issues p ON p.id = d.depends_on_id
       WHERE d.issue_id = ? AND d.type = 'parent-child' AND p.is_blocked = 1 LIMIT 1`,
    );
    this.children = db
      .prepare(`SELECT issue_id FROM dependencies WHERE depends_on_id = ? AND type = 'parent-child'`)
      .pluck();
    this.getFlag = db.prepare(`SELECT is_blocked FROM issues WHERE id = ?`).pluck();
    this.setFlag = db.prepare(`UPDATE issues SET is_blocked = ? WHERE id = ?`);
    this.blockDependents = db
      .prepare(
        `SELECT issue_id FROM dependencies WHERE depends_on_id = ? AND type IN ('blocks', 'conditional-blocks')`,
      )
      .pluck();
    this.waitsForDependentsOfParents = db
      .prepare(
        `SELECT w.issue_id FROM dependencies p JOIN dependencies w ON w.depends_on_id = p.depends_on_id AND w.type = 'waits-for'
         WHERE p.issue_id = ? AND p.type = 'parent-child'`,
      )
      .pluck();
    this.waitsForDependents = db
      .prepare(`SELECT issue_id FROM dependencies WHERE depends_on_id = ? AND type = 'waits-for'`)
      .pluck();
  }

  /** The flag a bead should have given its edges and its parents' current flags. */
  compute(id: string): boolean {
    if (this.ownBlocked.get(id) !== undefined) return true;
    for (const w of this.waitsFor.all(id) as Array<{ spawner: string; metadata: string }>) {
      if (this.gateOpen(id, w.spawner, w.metadata)) return true;
    }
    return this.parentBlocked.get(id) !== undefined;
  }

  /** True while the waits-for gate of `id` on `spawner` is not satisfied. */
  gateOpen(id: string, spawner: string, metadata: string | undefined): boolean {
    return waitsForGate(metadata) === 'all-children'
      ? this.openChild.get(spawner, id) !== undefined
      : this.closedChild.get(spawner, id) === undefined;
  }

  /** Recomputes these beads, then the children of every bead whose flag changed, to a fixpoint. */
  refresh(ids: Iterable<string>): void {
    const queue = [...ids];
    let budget = 1_000_000;
    while (queue.length > 0 && budget-- > 0) {
      const id = queue.shift() as string;
      const current = this.getFlag.get(id) as number | undefined;
      if (current === undefined) continue;
      const next = this.compute(id) ? 1 : 0;
      if (next !== current) {
        this.setFlag.run(next, id);
        for (const child of this.children.all(id) as string[]) queue.push(child);
      }
    }
  }

  /** Beads whose flag may change when this bead's status or close reason changes (itself included). */
  affectedByStatus(id: string): string[] {
    return [
      id,
      ...(this.blockDependents.all(id) as string[]),
      ...(this.waitsForDependentsOfParents.all(id) as string[]),
    ];
  }

  /** Beads whose flag may change when an edge `issueId -> dependsOnId` of this type is added or removed. */
  affectedByEdge(issueId: string, dependsOnId: string, type: string): string[] {
    return type === 'parent-child'
      ? [issueId, ...(this.waitsForDependents.all(dependsOnId) as string[])]
      : [issueId];
  }
}

/** Recomputes every flag from scratch (after imports). Returns the number of blocked beads. */
export function recomputeAllBlocked(db: Database): number {
  type Issue = { status: string; close_reason: string | null };
  const byId = new Map<string, Issue>();
  // Only the statuses a rule reads: targets of blocking edges, and children of waits-for spawners.
  const rows = db
    .prepare(
      `SELECT id, status, close_reason FROM issues WHERE id IN (
         SELECT depends_on_id FROM dependencies WHERE type IN ('blocks', 'conditional-blocks')
         UNION SELECT c.issue_id FROM dependencies c JOIN dependencies w
           ON w.type = 'waits-for' AND c.type = 'parent-child' AND c.depends_on_id = w.depends_on_id)`,
    )
    .raw(true)
    .all() as Array<[string, string, string | null]>;
  for (const [id, status, reason] of rows) byId.set(id, { status, close_reason: reason });
  const edges = (
    db.prepare(`SELECT issue_id, depends_on_id, type, metadata FROM dependencies`).raw(true).all() as Array<
      [string, string, string, string]
    >
  ).map(([issue_id, depends_on_id, type, metadata]) => ({ issue_id, depends_on_id, type, metadata }));
  const childrenOf = new Map<string, string[]>();
  for (const e of edges) {
    if (e.type !== 'parent-child') continue;
    const list = childrenOf.get(e.depends_on_id) ?? [];
    list.push(e.issue_id);
    childrenOf.set(e.depends_on_id, list);
  }
  const blocked = new Set<string>();
  for (const e of edges) {
    if (blocked.has(e.issue_id)) continue;
    const b = byId.get(e.depends_on_id);
    let own = false;
    if (e.type === 'blocks') {
      own = b ? b.status !== 'closed' && b.status !== 'pinned' : e.depends_on_id.startsWith('external:');
    } else if (e.type === 'conditional-blocks') {
      own = b !== undefined && (b.status !== 'closed' || !isFailureReason(b.close_reason));
    } else if (e.type === 'waits-for') {
      const kids = (childrenOf.get(e.depends_on_id) ?? []).filter((k) => k !== e.issue_id);
      const closed = kids.filter((k) => byId.get(k)?.status === 'closed').length;
      own = waitsForGate(e.metadata) === 'all-children' ? closed < kids.length : closed === 0;
    }
    if (own) blocked.add(e.issue_id);
  }
  const queue = [...blocked];
  while (queue.length > 0) {
    const id = queue.pop() as string;
    for (const child of childrenOf.get(id) ?? []) {
      if (!blocked.has(child)) {
        blocked.add(child);
        queue.push(child);
      }
    }
  }
  const ids = JSON.stringify([...blocked]);
  db.prepare(
    `UPDATE issues SET is_blocked = 0 WHERE is_blocked = 1 AND id NOT IN (SELECT value FROM json_each(?))`,
  ).run(ids);
  db.prepare(
    `UPDATE issues SET is_blocked = 1 WHERE is_blocked = 0 AND id IN (SELECT value FROM json_each(?))`,
  ).run(ids);
  return blocked.size;
}
