import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ScriptError } from './errors.js';

/** One step of a script; exactly one of the kind keys below names what it does. */
export type Step =
  | { write: string; content: string }
  | { append: string; content: string }
  | { edit: string; find: string; replace: string }
  | { delete: string }
  | { run: string; expect?: number }
  | { commit: string; allow_empty?: boolean }
  | { gt: string[]; expect?: number }
  | { bd: string[]; expect?: number }
  | { done: true }
  | { say: string }
  | { sleep_ms: number }
  | { crash: number }
  | { hang: true }
  | { silent_ms: number }
  | { wait_input: string }
  | { ask_help: string }
  | { once: string; steps: Step[] };

/** The phases of a script: `work` for a fresh hook, `fix` after failed gates, `conflict` after a bad rebase. */
export type Phase = 'work' | 'fix' | 'conflict';

/** The phases a script may name; `fix` and `conflict` fall back to defaults when absent. */
export const PHASES: readonly Phase[] = ['work', 'fix', 'conflict'];

/** A parsed, valid script. `on_nudge` runs for each nudge received with `--stay`. */
export interface Script {
  work: Step[];
  fix?: Step[];
  conflict?: Step[];
  on_nudge?: Step[];
}

/** A path inside the sandbox: relative, no `..`, not into `.git`. */
const sandboxPath = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => !path.isAbsolute(p) && !p.startsWith('~'), 'must be relative to the sandbox, not absolute')
  .refine((p) => !p.split(/[\\/]+/).includes('..'), 'must not contain ".." (it would escape the sandbox)')
  .refine((p) => {
    const n = path.posix.normalize(p.replaceAll('\\', '/'));
    return n !== '.' && n !== './';
  }, 'must name a file inside the sandbox, not the sandbox itself')
  .refine(
    (p) => path.posix.normalize(p.replaceAll('\\', '/')).split('/')[0] !== '.git',
    'must not touch .git',
  );

const exitCode = z.number().int().min(0).max(255);
const duration = z.number().int().min(0);

const KINDS = {
  write: z.strictObject({ write: sandboxPath, content: z.string() }),
  append: z.strictObject({ append: sandboxPath, content: z.string() }),
  edit: z.strictObject({ edit: sandboxPath, find: z.string().min(1), replace: z.string() }),
  delete: z.strictObject({ delete: sandboxPath }),
  run: z.strictObject({ run: z.string().min(1), expect: exitCode.optional() }),
  commit: z.strictObject({ commit: z.string().min(1), allow_empty: z.boolean().optional() }),
  gt: z.strictObject({ gt: z.array(z.string()).min(1), expect: exitCode.optional() }),
  bd: z.strictObject({ bd: z.array(z.string()).min(1), expect: exitCode.optional() }),
  done: z.strictObject({ done: z.literal(true) }),
  say: z.strictObject({ say: z.string() }),
  sleep_ms: z.strictObject({ sleep_ms: duration }),
  crash: z.strictObject({ crash: exitCode }),
  hang: z.strictObject({ hang: z.literal(true) }),
  silent_ms: z.strictObject({ silent_ms: duration }),
  wait_input: z.strictObject({ wait_input: z.string() }),
  ask_help: z.strictObject({ ask_help: z.string().min(1) }),
  once: z.strictObject({
    once: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"'),
    steps: z.array(z.unknown()),
  }),
} as const;

/** The kind keys a step may have, in the order the docs list them. */
export const STEP_KINDS = Object.keys(KINDS) as ReadonlyArray<keyof typeof KINDS>;

/** The kind key of a valid step. */
export function stepKind(step: Step): keyof typeof KINDS {
  const kind = STEP_KINDS.find((k) => k in step);
  if (kind === undefined) throw new Error(`not a step: ${JSON.stringify(step)}`);
  return kind;
}

function invalid(where: string, step: string, message: string, field?: string): ScriptError {
  return new ScriptError('script.invalid', `${where} step ${step}: ${message}`, {
    step,
    ...(field === undefined ? {} : { field }),
  });
}

function parseSteps(raw: unknown, where: string, prefix: string): Step[] {
  if (!Array.isArray(raw)) throw new ScriptError('script.invalid', `${where}: expected an array of steps`);
  return raw.map((item, i) => parseStep(item, where, `${prefix}${i + 1}`));
}

function parseStep(raw: unknown, where: string, index: string): Step {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw invalid(where, index, `expected an object like {"run": "..."}, got ${JSON.stringify(raw)}`);
  const keys = Object.keys(raw);
  const kinds = STEP_KINDS.filter((k) => keys.includes(k));
  if (kinds.length === 0)
    throw invalid(
      where,
      index,
      `unknown step (keys: ${keys.join(', ') || 'none'}); a step has one of: ${STEP_KINDS.join(', ')}`,
      keys[0],
    );
  if (kinds.length > 1)
    throw invalid(where, index, `ambiguous step: it has both "${kinds[0]}" and "${kinds[1]}"`);
  const kind = kinds[0] as keyof typeof KINDS;
  const result = KINDS[kind].safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue?.code === 'unrecognized_keys')
      throw invalid(where, index, `(${kind}) unknown field "${issue.keys[0]}"`, issue.keys[0]);
    const field = issue?.path[0] === undefined ? kind : String(issue.path[0]);
    throw invalid(where, index, `(${kind}) field "${field}": ${issue?.message ?? 'invalid'}`, field);
  }
  if (kind === 'once') {
    const once = result.data as { once: string; steps: unknown[] };
    return { once: once.once, steps: parseSteps(once.steps, where, `${index}.`) };
  }
  return result.data as Step;
}

/**
 * Validates a script: an array of steps (the `work` phase) or `{ work, fix?, conflict?, on_nudge? }`.
 * `origin` names where it came from in error messages. Throws ScriptError (`script.invalid`).
 */
export function parseScript(raw: unknown, origin: string): Script {
  if (Array.isArray(raw)) return { work: parseSteps(raw, `script ${origin}`, '') };
  if (raw === null || typeof raw !== 'object')
    throw new ScriptError(
      'script.invalid',
      `script ${origin}: expected an array of steps or {"work": [...], "fix"?: [...], "conflict"?: [...], "on_nudge"?: [...]}`,
    );
  const obj = raw as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !['work', 'fix', 'conflict', 'on_nudge'].includes(k));
  if (unknown.length > 0)
    throw new ScriptError(
      'script.invalid',
      `script ${origin}: unknown phase "${unknown[0]}"; phases are work, fix, conflict, on_nudge`,
      { field: unknown[0] as string },
    );
  if (obj['work'] === undefined)
    throw new ScriptError(
      'script.invalid',
      `script ${origin}: missing "work" (the steps of the work phase)`,
      {
        field: 'work',
      },
    );
  const script: Script = { work: parseSteps(obj['work'], `script ${origin} phase work`, '') };
  for (const phase of ['fix', 'conflict', 'on_nudge'] as const) {
    const steps = obj[phase];
    if (steps !== undefined) script[phase] = parseSteps(steps, `script ${origin} phase ${phase}`, '');
  }
  return script;
}

/** Parses a script given as JSON text. */
export function parseScriptText(text: string, origin: string): Script {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ScriptError(
      'script.bad_json',
      `script ${origin} is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  return parseScript(raw, origin);
}

/** Reads and parses a script file. Throws ScriptError (`script.not_found`, `script.bad_json`, `script.invalid`). */
export function loadScriptFile(file: string): Script {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ScriptError('script.not_found', `cannot read script file ${file}: check the path`, { cause });
  }
  return parseScriptText(text, file);
}

/** A script carried in a bead's metadata or a rig's config: a JSON value, or JSON text. */
export function parseCarriedScript(raw: unknown, origin: string): Script {
  return typeof raw === 'string' ? parseScriptText(raw, origin) : parseScript(raw, origin);
}
