import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { printJson, printLines } from '../output.js';

/** Options of the command merged with the global ones. */
export function optionsOf<T>(cmd: Command): T & GlobalOptions {
  return cmd.optsWithGlobals<T & GlobalOptions>();
}

/** Drops keys whose value is undefined (for `exactOptionalPropertyTypes` inputs). */
export function defined<T extends object>(obj: { [K in keyof T]: T[K] | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Prints `value` as JSON under `--json`, else the human lines. */
export function emit(opts: GlobalOptions, value: unknown, human: () => string[]): void {
  if (opts.json === true) printJson(value);
  else printLines(human());
}

/** Shortens a title for commit messages. */
export function short(title: string): string {
  const t = title.replace(/\s+/g, ' ').trim();
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

/** `bd: <verb> <ids>` with the ids shortened to a few. */
export function commitMessage(verb: string, ids: readonly string[], title?: string): string {
  const shown = ids.length > 5 ? `${ids.slice(0, 5).join(' ')} (+${ids.length - 5})` : ids.join(' ');
  return `bd: ${verb} ${shown}${title === undefined ? '' : ` "${short(title)}"`}`;
}
