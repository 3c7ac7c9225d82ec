import type { Database, Statement } from 'better-sqlite3';
import type { Bead } from './types.js';

const BATCH_BEADS = 1_000;

/**
 * The labels, dependencies and comments of imported beads, written in batches: one statement per
 * table per thousand beads (rows passed as one JSON array) instead of one per row. Call `flush()`
 * before anything reads those tables and before a bead's rows are replaced.
 */
export class ImportChildBatch {
  private labels: unknown[][] = [];
  private deps: unknown[][] = [];
  private comments: unknown[][] = [];
  private beads = 0;
  private readonly insertLabels: Statement;
  private readonly insertDeps: Statement;
  private readonly insertComments: Statement;

  constructor(db: Database) {
    this.insertLabels = db.prepare(
      `INSERT OR IGNORE INTO labels (issue_id, label) SELECT value ->> 0, value ->> 1 FROM json_each(?)`,
    );
    this.insertDeps = db.prepare(
      `INSERT OR REPLACE INTO dependencies (issue_id, depends_on_id, type, created_at, created_by, metadata, thread_id)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 FROM json_each(?)`,
    );
    this.insertComments = db.prepare(
      `INSERT OR IGNORE INTO comments (id, issue_id, author, text, created_at)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?)`,
    );
  }

  /** Queues a bead's labels, dependencies (types already checked) and comments. */
  add(bead: Bead): void {
    for (const label of new Set(bead.labels ?? [])) this.labels.push([bead.id, label]);
    for (const d of bead.dependencies ?? [])
      this.deps.push([
        bead.id,
        d.depends_on_id,
        d.type,
        d.created_at,
        d.created_by ?? '',
        d.metadata ?? '{}',
        d.thread_id ?? '',
      ]);
    for (const c of bead.comments ?? [])
      this.comments.push([c.id, bead.id, c.author ?? '', c.text ?? '', c.created_at]);
    if (++this.beads >= BATCH_BEADS) this.flush();
  }

  /** Writes everything queued. */
  flush(): void {
    if (this.labels.length > 0) this.insertLabels.run(JSON.stringify(this.labels));
    if (this.deps.length > 0) this.insertDeps.run(JSON.stringify(this.deps));
    if (this.comments.length > 0) this.insertComments.run(JSON.stringify(this.comments));
    this.labels = [];
    this.deps = [];
    this.comments = [];
    this.beads = 0;
  }
}
