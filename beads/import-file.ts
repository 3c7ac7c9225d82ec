import { readFileSync, statSync } from 'node:fs';
import { readSplitBackup } from './backup-split.js';
import { BeadsError, ImportError } from './errors.js';
import { parseJsonlLazily } from './jsonl-parse.js';
import type { BeadStore, ImportOptions, ImportSummary } from './store.types.js';
import type { BeadEvent, JsonlRecord } from './types.js';
import { parseCustomList } from './validate.js';

/** Options of an import. */
export interface ImportFileOptions {
  actor: string;
  /** Replace existing beads even when the local copy is newer. */
  force?: boolean;
  /** Leave these ids alone (local edits not yet written to the file). */
  protect?: ReadonlySet<string>;
}

/** What an import did, and from where. */
export type ImportFileSummary = ImportSummary & { file: string; lines: number };

function customStatuses(store: BeadStore): string[] {
  return parseCustomList(store.getConfig('status.custom'));
}

/** Applies parsed records in one transaction, naming the line of a bead the store refuses. */
function apply(
  store: BeadStore,
  lines: ReadonlyArray<{ line: number; record: JsonlRecord; file?: string }>,
  label: string,
  options: ImportFileOptions,
  events: ReadonlyArray<Omit<BeadEvent, 'id'>> = [],
): ImportFileSummary {
  try {
    const summary = store.importRecords(
      lines.map((l) => l.record),
      { ...importOptions(options), events },
    );
    return { ...summary, file: label, lines: lines.length };
  } catch (err) {
    throw locate(err, label, (id) => {
      const l = lines.find(
        (x) => (x.record.kind === 'bead' ? x.record.bead.id : x.record.tombstone.id) === id,
      );
      return l === undefined ? undefined : { file: l.file ?? label, line: l.line };
    });
  }
}

/**
 * Imports JSONL text in one transaction: all or nothing. Records are parsed as they are applied, so a
 * bad line rolls back everything before it.
 */
export function importText(
  store: BeadStore,
  text: string,
  label: string,
  options: ImportFileOptions,
): ImportFileSummary {
  const parsed = parseJsonlLazily(text, label, { customStatuses: customStatuses(store) });
  try {
    const summary = store.importRecords(parsed.records(), {
      ...importOptions(options),
      expectedCount: parsed.count,
      distinctIds: true,
    });
    return { ...summary, file: label, lines: parsed.count };
  } catch (err) {
    throw locate(err, label, (id) => {
      const line = parsed.lineOf(id);
      return line === undefined ? undefined : { file: label, line };
    });
  }
}

function importOptions(options: ImportFileOptions): ImportOptions {
  return {
    actor: options.actor,
    ...(options.force ? { force: true } : {}),
    ...(options.protect ? { protect: options.protect } : {}),
  };
}

/** A store refusal (not a parse error) becomes an ImportError naming the line of the bead it names. */
function locate(
  err: unknown,
  label: string,
  where: (id: string) => { file: string; line: number } | undefined,
): unknown {
  if (!(err instanceof BeadsError) || err.code === 'import.bad_line') return err;
  const id = (err.details.id ?? err.details.from) as string | undefined;
  const at = id === undefined ? undefined : where(id);
  return at === undefined
    ? new ImportError(label, 0, err.message, err)
    : new ImportError(at.file, at.line, err.message, err);
}

/** Imports a JSONL file, or a directory in the split backup format. */
export function importPath(store: BeadStore, file: string, options: ImportFileOptions): ImportFileSummary {
  let isDir: boolean;
  try {
    isDir = statSync(file).isDirectory();
  } catch (err) {
    throw new ImportError(file, 0, 'no such file or directory', err);
  }
  if (isDir) {
    const backup = readSplitBackup(file, { customStatuses: customStatuses(store) });
    return apply(store, backup.lines, file, options, backup.events);
  }
  return importText(store, readFileSync(file, 'utf8'), file, options);
}
