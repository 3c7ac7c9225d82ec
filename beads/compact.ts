import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { GuardError, NotFoundError, ValidationError } from './errors.js';
import { serializeBead } from './jsonl-serialize.js';
import type { BeadStore } from './store.types.js';
import type { Bead } from './types.js';

/**
 * Tier 1 compaction ("memory decay", reference/beads.md 3.4), deterministic and without an LLM.
 * Rules and restore procedure: docs/compaction.md.
 */

/** Default age, in days since closing, before a closed bead is compacted (config `compact_tier1_days`). */
export const DEFAULT_TIER1_DAYS = 30;
/** Beads compacted per transaction (config `compact_batch_size`). */
export const DEFAULT_BATCH_SIZE = 50;
/** Longest summary kept, in characters (code points), ellipsis included. */
export const SUMMARY_MAX_CHARS = 280;
/** Metadata key holding the SHA-256 of the bead's canonical line before compaction. */
export const COMPACTED_HASH_KEY = 'compacted_hash';

/** Options of `compact`. */
export interface CompactOptions {
  /** Minimum days since closed_at. Default: config `compact_tier1_days`, else 30. */
  days?: number;
  /** Only these beads (each must still be a candidate; others are reported as skipped). */
  ids?: readonly string[];
  /** Report what would be done, change nothing. */
  dryRun?: boolean;
  actor: string;
  /** The `.beads` directory; its git repository's HEAD is recorded as compacted_at_commit. */
  beadsDir: string;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

/** One compacted (or, in a dry run, compactable) bead. */
export interface CompactedBead {
  id: string;
  original_size: number;
  compacted_size: number;
  hash: string;
}

/** Result of `compact`. */
export interface CompactResult {
  dryRun: boolean;
  days: number;
  compacted: CompactedBead[];
  skipped: Array<{ id: string; reason: string }>;
  /** HEAD of the beads repository when compacting, or null. */
  commit: string | null;
}

/** The bytes a bead takes in `.beads/issues.jsonl` (its canonical line, without the newline). */
export function canonicalLine(bead: Bead): string {
  const line = serializeBead(bead);
  return line.endsWith('\n') ? line.slice(0, -1) : line;
}

/** SHA-256 hex of a canonical line. */
export function lineHash(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

/** First paragraph of the description, whitespace-trimmed, cut to 280 characters with an ellipsis. */
export function summarize(description: string | undefined): string {
  if (description === undefined) return '';
  const paragraph = description
    .split(/\r?\n[ \t]*\r?\n/)
    .map((p) => p.trim())
    .find((p) => p !== '');
  if (paragraph === undefined) return '';
  const chars = Array.from(paragraph);
  if (chars.length <= SUMMARY_MAX_CHARS) return paragraph;
  return `${chars
    .slice(0, SUMMARY_MAX_CHARS - 1)
    .join('')
    .trimEnd()}…`;
}

function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

async function git(cwd: string, args: string[]): Promise<string | null> {
  const result = await execa('git', args, { cwd, reject: false, stripFinalNewline: true });
  return result.exitCode === 0 ? result.stdout : null;
}

/** HEAD sha of the git repository holding `beadsDir`, or null (no repository, or no commit yet). */
export async function headCommit(beadsDir: string): Promise<string | null> {
  const sha = await git(beadsDir, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  return sha === null || sha === '' ? null : sha;
}

function configNumber(store: BeadStore, key: string, fallback: number): number {
  const raw = store.getConfig(key);
  if (raw === null || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new ValidationError(
      `config ${key}=${raw} is not a non-negative number: fix it with \`bd config set\``,
      {
        key,
        value: raw,
      },
    );
  }
  return value;
}

/** Why a bead is not a tier 1 candidate, or null if it is. */
function notCandidate(bead: Bead, cutoffMs: number): string | null {
  if (bead.status !== 'closed') return `status is ${bead.status}, not closed`;
  if (bead.ephemeral === true) return 'ephemeral (wisps are not compacted)';
  if ((bead.compaction_level ?? 0) !== 0) return `already compacted (level ${bead.compaction_level ?? 0})`;
  if (bead.closed_at === undefined) return 'no closed_at';
  if (Date.parse(bead.closed_at) > cutoffMs) return `closed at ${bead.closed_at}, less than the minimum age`;
  return null;
}

/** The bead after tier 1 compaction (pure; same input and clock give the same output). */
export function compactBead(
  bead: Bead,
  fields: { hash: string; originalSize: number; compactedAt: string; commit: string | null },
): Bead {
  const {
    description: _description,
    design: _design,
    acceptance_criteria: _ac,
    notes: _notes,
    compacted_at_commit: _commit,
    ...rest
  } = bead;
  const summary = summarize(bead.description);
  return {
    ...rest,
    ...(summary === '' ? {} : { description: summary }),
    updated_at: fields.compactedAt,
    metadata: { ...(bead.metadata ?? {}), [COMPACTED_HASH_KEY]: fields.hash },
    compaction_level: 1,
    compacted_at: fields.compactedAt,
    ...(fields.commit === null ? {} : { compacted_at_commit: fields.commit }),
    original_size: fields.originalSize,
  };
}

/**
 * Tier 1 compaction of closed beads at least `days` old: keeps id, title, status, priority, type,
 * timestamps, close_reason, labels, edges and comments; replaces the description by its first paragraph
 * (at most 280 characters) and clears design, acceptance criteria and notes; records the original size,
 * the SHA-256 of the original canonical line (metadata.compacted_hash), compaction level 1, time and the
 * beads repository's HEAD; adds the comment "Tier 1 compaction: X -> Y bytes". A bead whose compacted line
 * would not be smaller is skipped.
 */
export async function compact(store: BeadStore, options: CompactOptions): Promise<CompactResult> {
  const now = (options.now ?? (() => new Date()))();
  const days = options.days ?? configNumber(store, 'compact_tier1_days', DEFAULT_TIER1_DAYS);
  if (!Number.isFinite(days) || days < 0) {
    throw new ValidationError(`days must be a non-negative number, got ${days}`, { days });
  }
  const batchSize = Math.max(1, Math.floor(configNumber(store, 'compact_batch_size', DEFAULT_BATCH_SIZE)));
  const cutoffMs = now.getTime() - days * 86_400_000;
  const compactedAt = isoSeconds(now);
  const commit = await headCommit(options.beadsDir);
  const dryRun = options.dryRun === true;

  const skipped: CompactResult['skipped'] = [];
  let beads: Bead[];
  if (options.ids === undefined) {
    beads = store.list({ status: ['closed'] });
  } else {
    const ids = options.ids.map((id) => store.resolveId(id));
    beads = store.getMany(ids);
  }
  beads.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const planned: Array<{ compacted: Bead; info: CompactedBead }> = [];
  for (const bead of beads) {
    const reason = notCandidate(bead, cutoffMs);
    if (reason !== null) {
      if (options.ids !== undefined) skipped.push({ id: bead.id, reason });
      continue;
    }
    const original = canonicalLine(bead);
    const originalSize = Buffer.byteLength(original, 'utf8');
    const hash = lineHash(original);
    const compacted = compactBead(bead, { hash, originalSize, compactedAt, commit });
    const compactedSize = Buffer.byteLength(canonicalLine(compacted), 'utf8');
    if (compactedSize >= originalSize) {
      skipped.push({ id: bead.id, reason: `not smaller (${originalSize} -> ${compactedSize} bytes)` });
      continue;
    }
    planned.push({
      compacted,
      info: { id: bead.id, original_size: originalSize, compacted_size: compactedSize, hash },
    });
  }

  if (!dryRun) {
    for (let start = 0; start < planned.length; start += batchSize) {
      const batch = planned.slice(start, start + batchSize);
      store.transaction(() => {
        store.importRecords(
          batch.map(({ compacted }) => ({ kind: 'bead' as const, bead: compacted })),
          { actor: options.actor, force: true },
        );
        for (const { info } of batch) {
          store.addComment(
            info.id,
            `Tier 1 compaction: ${info.original_size} -> ${info.compacted_size} bytes`,
            options.actor,
          );
        }
      });
    }
  }
  return { dryRun, days, compacted: planned.map((p) => p.info), skipped, commit };
}

/** Where `restoreCompacted` found the original. */
export interface RestoreResult {
  bead: Bead;
  /** The commit whose `.beads/issues.jsonl` held the original line. */
  commit: string;
}

async function jsonlLocation(beadsDir: string): Promise<{ top: string; rel: string }> {
  const top = await git(beadsDir, ['rev-parse', '--show-toplevel']);
  if (top === null) {
    throw new GuardError(
      'compact.no_git',
      `${beadsDir} is not inside a git repository: compaction can only be undone from the history of .beads/issues.jsonl`,
      { beadsDir },
    );
  }
  const file = path.join(realpathSync(beadsDir), 'issues.jsonl');
  return { top, rel: path.relative(realpathSync(top), file).split(path.sep).join('/') };
}

function findOriginal(text: string, id: string, hash: string): Bead | null {
  const prefix = `{"id":${JSON.stringify(id)},`;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.startsWith(prefix)) continue;
    let bead: Bead;
    try {
      bead = JSON.parse(line) as Bead;
    } catch {
      continue;
    }
    if ((bead.compaction_level ?? 0) !== 0) continue;
    if (lineHash(line) === hash || lineHash(canonicalLine(bead)) === hash) return bead;
  }
  return null;
}

/**
 * Undoes tier 1 compaction of `id` from git history: walks the commits of `.beads/issues.jsonl` newest
 * first (from compacted_at_commit when recorded, else HEAD), finds the bead's last uncompacted line whose
 * canonical form hashes to metadata.compacted_hash, and restores description, design, acceptance
 * criteria and notes, compaction level 0, clearing the compaction fields and the hash.
 */
export async function restoreCompacted(
  store: BeadStore,
  beadsDir: string,
  id: string,
  actor: string,
  options: { now?: () => Date } = {},
): Promise<RestoreResult> {
  const resolved = store.resolveId(id);
  const bead = store.get(resolved);
  if (bead === null) throw new NotFoundError(id);
  const hash = bead.metadata?.[COMPACTED_HASH_KEY];
  if ((bead.compaction_level ?? 0) === 0 || typeof hash !== 'string') {
    throw new GuardError(
      'compact.not_compacted',
      `${resolved} is not compacted: there is nothing to restore`,
      {
        id: resolved,
      },
    );
  }
  const { top, rel } = await jsonlLocation(beadsDir);
  let start = 'HEAD';
  if (bead.compacted_at_commit !== undefined) {
    const known = await git(top, [
      'rev-parse',
      '--verify',
      '--quiet',
      `${bead.compacted_at_commit}^{commit}`,
    ]);
    if (known !== null) start = bead.compacted_at_commit;
  }
  const log = await git(top, ['log', '--format=%H', start, '--', rel]);
  const commits = log === null ? [] : log.split('\n').filter((c) => c !== '');
  for (const sha of commits) {
    const text = await git(top, ['show', `${sha}:${rel}`]);
    if (text === null) continue;
    const original = findOriginal(text, resolved, hash);
    if (original === null) continue;
    const now = (options.now ?? (() => new Date()))();
    const { [COMPACTED_HASH_KEY]: _hash, ...metadata } = bead.metadata ?? {};
    const {
      description: _d,
      design: _g,
      acceptance_criteria: _a,
      notes: _n,
      compaction_level: _l,
      compacted_at: _t,
      compacted_at_commit: _c,
      original_size: _s,
      metadata: _m,
      ...kept
    } = bead;
    const restored: Bead = {
      ...kept,
      ...(original.description === undefined ? {} : { description: original.description }),
      ...(original.design === undefined ? {} : { design: original.design }),
      ...(original.acceptance_criteria === undefined
        ? {}
        : { acceptance_criteria: original.acceptance_criteria }),
      ...(original.notes === undefined ? {} : { notes: original.notes }),
      ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
      updated_at: isoSeconds(now),
    };
    store.importRecords([{ kind: 'bead', bead: restored }], { actor, force: true });
    const after = store.get(resolved);
    if (after === null) throw new NotFoundError(resolved);
    return { bead: after, commit: sha };
  }
  throw new GuardError(
    'compact.original_not_found',
    `no uncompacted version of ${resolved} matching hash ${hash.slice(0, 12)} in the git history of ${rel} (from ${start}): the original was never committed, so it cannot be restored`,
    { id: resolved, hash, start, commits: commits.length },
  );
}
