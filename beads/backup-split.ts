import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ImportError } from './errors.js';
import type { ParsedLine, ParseOptions } from './jsonl-parse.js';
import { parseJsonl } from './jsonl-parse.js';
import { normalizeTimestamp } from './timestamps.js';
import type { BeadEvent, Comment, Dependency } from './types.js';

/** The files of the split backup format (docs/jsonl.md). Only `issues.jsonl` is required. */
export const SPLIT_FILES = [
  'issues.jsonl',
  'dependencies.jsonl',
  'labels.jsonl',
  'comments.jsonl',
  'events.jsonl',
] as const;

/** A split backup read back: records (with where each bead came from) and audit events. */
export interface SplitBackup {
  lines: Array<ParsedLine & { file: string }>;
  events: Array<Omit<BeadEvent, 'id'>>;
}

function objects(file: string): Array<{ line: number; o: Record<string, unknown> }> {
  if (!existsSync(file)) return [];
  const out: Array<{ line: number; o: Record<string, unknown> }> = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      if (raw.trim() === '') return;
      let o: unknown;
      try {
        o = JSON.parse(raw);
      } catch (err) {
        throw new ImportError(file, i + 1, `invalid JSON (${(err as Error).message})`, err);
      }
      if (o === null || typeof o !== 'object' || Array.isArray(o))
        throw new ImportError(file, i + 1, 'a line must be a JSON object');
      out.push({ line: i + 1, o: o as Record<string, unknown> });
    });
  return out;
}

function str(file: string, line: number, o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new ImportError(file, line, `missing "${key}"`);
  return v;
}

function time(file: string, line: number, v: unknown): string {
  const t = typeof v === 'string' ? normalizeTimestamp(v) : null;
  if (t === null) throw new ImportError(file, line, `not a timestamp: ${JSON.stringify(v)}`);
  return t;
}

/** Reads a directory in the split backup format and joins it into bead records. */
export function readSplitBackup(dir: string, options: ParseOptions = {}): SplitBackup {
  const issuesFile = path.join(dir, 'issues.jsonl');
  if (!existsSync(issuesFile)) {
    throw new ImportError(dir, 0, 'not a split backup: issues.jsonl is missing from the directory');
  }
  const lines = parseJsonl(readFileSync(issuesFile, 'utf8'), issuesFile, options).map((l) => ({
    ...l,
    file: issuesFile,
  }));
  const beads = new Map(
    lines.flatMap((l) => (l.record.kind === 'bead' ? [[l.record.bead.id, l.record.bead] as const] : [])),
  );
  const owner = (file: string, line: number, id: string) => {
    const b = beads.get(id);
    if (!b) throw new ImportError(file, line, `refers to ${id}, which is not in issues.jsonl`);
    return b;
  };

  const depFile = path.join(dir, 'dependencies.jsonl');
  for (const { line, o } of objects(depFile)) {
    const b = owner(depFile, line, str(depFile, line, o, 'issue_id'));
    const d: Dependency = {
      issue_id: b.id,
      depends_on_id: str(depFile, line, o, 'depends_on_id'),
      type: typeof o.type === 'string' && o.type !== '' ? o.type : 'blocks',
      created_at: o.created_at === undefined ? b.created_at : time(depFile, line, o.created_at),
      created_by: typeof o.created_by === 'string' ? o.created_by : '',
    };
    const meta =
      typeof o.metadata === 'string'
        ? o.metadata
        : o.metadata === undefined
          ? '{}'
          : JSON.stringify(o.metadata);
    if (meta !== '{}' && meta !== '') d.metadata = meta;
    if (typeof o.thread_id === 'string' && o.thread_id !== '') d.thread_id = o.thread_id;
    const deps = (b.dependencies ??= []);
    const at = deps.findIndex((x) => x.depends_on_id === d.depends_on_id);
    if (at >= 0) deps[at] = d;
    else deps.push(d);
  }

  const labelFile = path.join(dir, 'labels.jsonl');
  for (const { line, o } of objects(labelFile)) {
    const b = owner(labelFile, line, str(labelFile, line, o, 'issue_id'));
    const label = str(labelFile, line, o, 'label');
    if (!(b.labels ??= []).includes(label)) b.labels.push(label);
  }

  const commentFile = path.join(dir, 'comments.jsonl');
  for (const { line, o } of objects(commentFile)) {
    const b = owner(commentFile, line, str(commentFile, line, o, 'issue_id'));
    if (typeof o.text !== 'string') throw new ImportError(commentFile, line, 'missing "text"');
    const c: Comment = {
      id: typeof o.id === 'number' || typeof o.id === 'string' ? o.id : `${b.id}-c${line}`,
      issue_id: b.id,
      author: typeof o.author === 'string' ? o.author : '',
      text: o.text,
      created_at: time(commentFile, line, o.created_at),
    };
    const list = (b.comments ??= []);
    if (!list.some((x) => String(x.id) === String(c.id))) list.push(c);
  }

  const eventFile = path.join(dir, 'events.jsonl');
  const events = objects(eventFile).map(({ line, o }) => {
    const e: Omit<BeadEvent, 'id'> = {
      issue_id: str(eventFile, line, o, 'issue_id'),
      event_type: str(eventFile, line, o, 'event_type'),
      actor: typeof o.actor === 'string' ? o.actor : '',
      created_at: time(eventFile, line, o.created_at),
    };
    for (const k of ['old_value', 'new_value', 'comment'] as const) if (typeof o[k] === 'string') e[k] = o[k];
    return e;
  });
  return { lines, events };
}
