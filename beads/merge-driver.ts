import { existsSync, readFileSync } from 'node:fs';
import { BeadsError } from './errors.js';
import { writeFileAtomic } from './export-file.js';
import { parseJsonl } from './jsonl-parse.js';
import { serializeRecords } from './jsonl-serialize.js';
import { mergeRecords } from './merge.js';
import type { MergeNote } from './merge.js';
import type { JsonlRecord } from './types.js';

function read(file: string): JsonlRecord[] {
  if (!existsSync(file)) return [];
  return parseJsonl(readFileSync(file, 'utf8'), file).map((l) => l.record);
}

/**
 * git's merge driver for `.beads/issues.jsonl` (`bd merge %A %O %A %B`): merges base, ours and theirs with
 * the one three-way merge and writes the canonical result over `ours`. Returns the exit code: 0 when
 * merged (notes go to `report`), 1 when an input cannot be read (nothing is written).
 */
export function runMergeDriver(
  oursPath: string,
  basePath: string,
  theirsPath: string,
  report: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): number {
  let notes: MergeNote[];
  try {
    const result = mergeRecords(read(basePath), read(oursPath), read(theirsPath));
    writeFileAtomic(oursPath, serializeRecords(result.records));
    notes = result.notes;
  } catch (err) {
    report(`bd merge: ${err instanceof BeadsError ? err.message : String(err)}`);
    return 1;
  }
  for (const n of notes) report(`bd merge: ${n.id}${n.field ? ` ${n.field}` : ''}: ${n.message}`);
  return 0;
}
