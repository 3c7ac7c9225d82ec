import fs from 'node:fs';
import path from 'node:path';
import type { TownPaths } from '../town/town-config.js';
import { sessionLogDir } from './session-paths.js';

/** One past (or running) session of an agent, from its log file. */
export interface SessionLogInfo {
  /** 1 = oldest; `gt seance --session <n>` takes it. */
  index: number;
  /** The file's name (`2026-12-01T19-00-00-000Z.log`). */
  file: string;
  path: string;
  /** When the session started (from the file name; the file's mtime when the name is not a time). */
  started_at: string;
  size: number;
  /** The last non-empty line of the log ('' for an empty log). */
  last_line: string;
}

/** The tail of one session's log. */
export interface SessionLogTail {
  session: SessionLogInfo;
  lines: string[];
  /** Lines in the whole log. */
  total_lines: number;
  truncated: boolean;
}

/** `gt seance` refusals: `seance.no_sessions`, `seance.no_such_session`, `seance.bad_tail`. */
export class SeanceError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'SeanceError';
    this.code = code;
    this.details = details;
  }
}

/** Default number of lines `gt seance` shows. */
export const DEFAULT_TAIL_LINES = 200;

const NAME_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.log$/;

function startedAt(file: string, mtime: Date): string {
  const m = NAME_TIME.exec(file);
  return m === null ? mtime.toISOString() : `${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`;
}

/** Reads at most `max` bytes ending at the end of the file. */
function readEnd(file: string, size: number, max: number): string {
  const length = Math.min(size, max);
  const buf = Buffer.alloc(length);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, buf, 0, length, size - length);
  } finally {
    fs.closeSync(fd);
  }
  return buf.toString('utf8');
}

function lastLine(file: string, size: number): string {
  const lines = readEnd(file, size, 16 * 1024).split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() !== '') return line;
  }
  return '';
}

/** The sessions of `address` (fully qualified) whose logs are in the town, oldest first (newest last). */
export function listSessions(paths: TownPaths, address: string): SessionLogInfo[] {
  const dir = sessionLogDir(paths, address);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.log'));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw cause;
  }
  const files = names.flatMap((file) => {
    const full = path.join(dir, file);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    return stat?.isFile() === true ? [{ file, full, stat }] : [];
  });
  return files
    .map(({ file, full, stat }) => ({
      file,
      path: full,
      started_at: startedAt(file, stat.mtime),
      size: stat.size,
    }))
    .sort((a, b) =>
      a.started_at === b.started_at ? a.file.localeCompare(b.file) : a.started_at < b.started_at ? -1 : 1,
    )
    .map((s, i) => ({ index: i + 1, ...s, last_line: lastLine(s.path, s.size) }));
}

/**
 * The session `which` picks: a number (1 = oldest, as `listSessions` numbers them; 0 or negative counts
 * back from the newest, -1 = the one before it), or a file name (or path) in the agent's log directory;
 * the newest when undefined. SeanceError when the agent has no session or no such one.
 */
export function pickSession(paths: TownPaths, address: string, which?: string): SessionLogInfo {
  const sessions = listSessions(paths, address);
  if (sessions.length === 0)
    throw new SeanceError(
      'seance.no_sessions',
      `${address} has no session logs (none in ${sessionLogDir(paths, address)}): it has not run a session in this town yet`,
      { agent: address },
    );
  const newest = sessions[sessions.length - 1] as SessionLogInfo;
  if (which === undefined) return newest;
  let found: SessionLogInfo | undefined;
  if (/^-?\d+$/.test(which)) {
    const n = Number(which);
    found = n > 0 ? sessions[n - 1] : sessions[sessions.length - 1 + n];
  } else {
    const base = path.basename(which);
    found = sessions.find((s) => s.file === base || s.file === `${base}.log`);
  }
  if (found === undefined)
    throw new SeanceError(
      'seance.no_such_session',
      `${address} has no session ${JSON.stringify(which)}: it has ${sessions.length} (see \`gt seance ${address} --list\`)`,
      { agent: address, session: which, sessions: sessions.length },
    );
  return found;
}

/** The last `lines` lines (default 200) of a session's log. */
export function readSessionTail(session: SessionLogInfo, lines = DEFAULT_TAIL_LINES): SessionLogTail {
  if (!Number.isInteger(lines) || lines < 1)
    throw new SeanceError('seance.bad_tail', `--tail must be a positive whole number of lines, not ${lines}`);
  const all = fs.readFileSync(session.path, 'utf8').replace(/\r\n/g, '\n').split('\n');
  if (all.length > 0 && all[all.length - 1] === '') all.pop();
  const shown = all.slice(-lines);
  return { session, lines: shown, total_lines: all.length, truncated: shown.length < all.length };
}
