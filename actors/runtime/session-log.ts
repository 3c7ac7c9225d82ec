import fs from 'node:fs';
import path from 'node:path';

/** The nudge file of a headless session: `<logFile without extension>.nudges.jsonl`. */
export function nudgeFileFor(logFile: string): string {
  const ext = path.extname(logFile);
  const base = ext === '' ? logFile : logFile.slice(0, -ext.length);
  return `${base}.nudges.jsonl`;
}

/** The last `lines` lines of a file (trailing blank lines dropped); '' when it is missing. */
export function tailLines(file: string, lines: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fs.fstatSync(fd).size;
    let start = size;
    let text = '';
    const chunk = 64 * 1024;
    while (start > 0) {
      const from = Math.max(0, start - chunk);
      const buffer = Buffer.alloc(start - from);
      fs.readSync(fd, buffer, 0, buffer.length, from);
      text = buffer.toString('utf8') + text;
      start = from;
      if (splitLines(text).length > lines + 1) break;
    }
    return lastLines(text, lines);
  } finally {
    fs.closeSync(fd);
  }
}

/** The last `lines` lines of `text` after dropping trailing blank lines. */
export function lastLines(text: string, lines: number): string {
  const all = splitLines(text);
  while (all.length > 0 && all[all.length - 1]?.trim() === '') all.pop();
  return all.slice(Math.max(0, all.length - Math.max(0, lines))).join('\n');
}

/** The last line of `text` that is not blank, or ''. */
export function lastNonEmptyLine(text: string): string {
  const all = splitLines(stripAnsi(text));
  for (let i = all.length - 1; i >= 0; i--) {
    const line = all[i];
    if (line !== undefined && line.trim() !== '') return line;
  }
  return '';
}

/** True when the prompt `prefix` shows on the last non-blank line (trailing spaces do not count). */
export function promptShows(text: string, prefix: string): boolean {
  const wanted = prefix.trimEnd() === '' ? prefix : prefix.trimEnd();
  return lastNonEmptyLine(text).includes(wanted);
}

/** Removes terminal escape sequences (colours, cursor moves, titles). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g, '');
}

/** The file's modification time, or null when it is missing. */
export function fileMtime(file: string): Date | null {
  try {
    return fs.statSync(file).mtime;
  } catch {
    return null;
  }
}

function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}
