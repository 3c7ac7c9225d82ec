import { readFileSync, statSync } from 'node:fs';
import { readSplitBackup } from './backup-split.js';
import { BeadsError, ImportError } from './errors.js';
import { parseJsonl } from './jsonl-parse.js';
import type { BeadStore, ImportSummary } from './store.types.js';
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
      {
        actor: options.actor,
        ...(options.force ? { force: true } : {}),
        ...(options.protect ? { protect: options.protect } : {}),
        events,
      },
    );
    return { ...summary, file: label, lines: lines.length };
  } catch (err) {
    if (err instanceof BeadsError && err.code !== 'import.bad_line') {
      const id = (err.details.id ?? err.details.from) as string | undefined;
      const where = lines.find(
        (l) => (l.record.kind === 'bead' ? l.record.bead.id : l.record.tombstone.id) === id,
      );
      if (where) throw new ImportError(where.file ?? label, where.line, err.message, err);
      throw new ImportError(label, 0, err.message, err);
    }
    throw err;
  }
}

/** Imports JSONL text (all lines parsed first; then one transaction: all or nothing). */
export function importText(
  store: BeadStore,
  text: string,
  label: string,
  options: ImportFileOptions,
): ImportFileSummary {
  const lines = parseJsonl(text, label, { customStatuses: customStatuses(store) });
  return apply(store, lines, label, options);
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
