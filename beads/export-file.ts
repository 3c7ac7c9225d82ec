import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { BeadStore } from './store.types.js';
import type { JsonlRecord } from './types.js';

/** Every record of the canonical export (wisps only when asked; tombstones always). */
export function exportRecords(store: BeadStore, options: { includeEphemeral?: boolean } = {}): JsonlRecord[] {
  const snap = store.snapshot({ includeEphemeral: options.includeEphemeral === true });
  return [
    ...snap.beads.map((bead): JsonlRecord => ({ kind: 'bead', bead })),
    ...snap.tombstones.map((tombstone): JsonlRecord => ({ kind: 'tombstone', tombstone })),
  ];
}

/** The canonical export as text (built by the store: `BeadStore.exportLines`). */
export function exportText(store: BeadStore, options: { includeEphemeral?: boolean } = {}): string {
  const lines = store.exportLines(options);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Writes a file atomically: a temp file in the same directory, fsync, rename. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp.${process.pid}`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Writes the canonical export to a file, atomically. Returns the number of lines. */
export function exportToFile(
  store: BeadStore,
  file: string,
  options: { includeEphemeral?: boolean } = {},
): number {
  const lines = store.exportLines(options);
  writeFileAtomic(file, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return lines.length;
}
