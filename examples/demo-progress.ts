/** The fields of a bead (as `bd list --json` prints it) the demo reads. */
export interface BeadRow {
  id: string;
  title: string;
  status: string;
  issue_type?: string;
  assignee?: string;
  close_reason?: string;
  labels?: string[];
  metadata?: Record<string, unknown>;
}

/** A tracked bead: its id and a short name for progress lines. */
export interface Tracked {
  id: string;
  key: string;
}

/** What the demo counts while it watches. */
export interface ProgressCounts {
  beads: number;
  merged: number;
  /** Times a merge request was seen entering `rejected` (the rig's gates failed). */
  rejections: number;
  /** Conflict beads (label `gt:conflict`) filed for the tracked beads. */
  conflicts: number;
  landed: boolean;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `metadata.mr` or `metadata.conflict` of a bead, when it is an object. */
function meta(bead: BeadRow, field: string): Record<string, unknown> | undefined {
  return record(bead.metadata?.[field]);
}

/** True when the bead was closed by the refinery's merge (reason `Merged in <mr>`). */
export function mergedClose(bead: BeadRow): boolean {
  return bead.status === 'closed' && (bead.close_reason ?? '').startsWith('Merged in');
}

/** The work bead of a merge request: `metadata.mr.source`, else the bead its title `Merge: <title>` names. */
function workBeadOf(mr: BeadRow, byTitle: Map<string | undefined, string>): string | undefined {
  const source = meta(mr, 'mr')?.['source'];
  if (typeof source === 'string' && source !== '') return source;
  return mr.title.startsWith('Merge: ') ? byTitle.get(mr.title.slice('Merge: '.length)) : undefined;
}

/** The phase of one tracked bead, from the bead and its newest merge request. */
function phaseOf(bead: BeadRow | undefined, mr: BeadRow | undefined): string {
  if (bead === undefined) return 'missing';
  if (bead.status === 'closed')
    return mergedClose(bead) ? `merged (${bead.close_reason})` : `closed: ${bead.close_reason ?? '?'}`;
  const state = mr === undefined ? undefined : meta(mr, 'mr')?.['state'];
  if (typeof state === 'string') {
    if (state === 'rejected') return 'rejected by the gates: back to its polecat to fix';
    if (state === 'conflict') return 'conflicts with main: back to its polecat to resolve';
    return `merge request ${mr!.id} ${state}`;
  }
  const who = bead.assignee === undefined || bead.assignee === '' ? '' : ` by ${bead.assignee}`;
  return `${bead.status}${who}`;
}

/**
 * Follows a convoy from snapshots of the store (`bd list --all --json`): `update` returns one line per
 * change (a tracked bead's phase, the convoy landing) and keeps the counts.
 */
export class ProgressTracker {
  private readonly phases = new Map<string, string>();
  private readonly mrStates = new Map<string, string>();
  private readonly conflictBeads = new Set<string>();
  private rejections = 0;
  private landed = false;

  constructor(
    private readonly tracked: readonly Tracked[],
    private readonly convoy: string,
  ) {}

  /** Takes a new snapshot; returns the lines that describe what changed since the last one. */
  update(rows: readonly BeadRow[]): string[] {
    const byId = new Map(rows.map((r) => [r.id, r]));
    const byTitle = new Map(this.tracked.map((t) => [byId.get(t.id)?.title, t.id]));
    const mrs = new Map<string, BeadRow>();
    for (const r of rows) {
      if (r.issue_type === 'merge-request') {
        const source = workBeadOf(r, byTitle);
        if (source !== undefined && (mrs.get(source) === undefined || r.status !== 'closed'))
          mrs.set(source, r);
        const state = meta(r, 'mr')?.['state'];
        if (typeof state === 'string') {
          if (state === 'rejected' && this.mrStates.get(r.id) !== 'rejected') this.rejections += 1;
          this.mrStates.set(r.id, state);
        }
      }
      if ((r.labels ?? []).includes('gt:conflict')) this.conflictBeads.add(r.id);
    }
    const lines: string[] = [];
    for (const t of this.tracked) {
      const phase = phaseOf(byId.get(t.id), mrs.get(t.id));
      if (this.phases.get(t.id) === phase) continue;
      this.phases.set(t.id, phase);
      lines.push(`${this.mergedCount(byId)}/${this.tracked.length} merged  ${t.id} ${t.key}: ${phase}`);
    }
    const convoy = byId.get(this.convoy);
    if (!this.landed && convoy?.status === 'closed') {
      this.landed = true;
      lines.push(`convoy ${this.convoy} landed: ${convoy.close_reason ?? 'closed'}`);
    }
    return lines;
  }

  /** The counts so far. */
  counts(): ProgressCounts {
    return {
      beads: this.tracked.length,
      merged: [...this.phases.values()].filter((p) => p.startsWith('merged')).length,
      rejections: this.rejections,
      conflicts: this.conflictBeads.size,
      landed: this.landed,
    };
  }

  /** True once every tracked bead is closed and the convoy landed. */
  finished(): boolean {
    return (
      this.landed && [...this.tracked].every((t) => /^(merged|closed)/.test(this.phases.get(t.id) ?? ''))
    );
  }

  private mergedCount(byId: Map<string, BeadRow>): number {
    return this.tracked.filter((t) => {
      const b = byId.get(t.id);
      return b !== undefined && mergedClose(b);
    }).length;
  }
}
