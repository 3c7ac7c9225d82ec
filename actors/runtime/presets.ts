import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/**
 * How the first prompt (the beacon) reaches the agent: as the last CLI argument, typed in as nudges
 * once the agent is ready, or (our scripted agent only) in the `GT_AGENT_PROMPT` environment variable.
 */
export type PromptMode = 'arg' | 'none' | 'env';

/**
 * When a started agent is ready for input. `prompt`: its screen shows a line starting with `prefix`;
 * after `timeoutMs` without it, assume ready. `delay`: ready `ms` after start. `file` (scripted agent):
 * ready once it has created the file named by the environment variable `env`.
 */
export type PresetReady =
  | { kind: 'prompt'; prefix: string; timeoutMs: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'file'; env: string };

/** A launch's readiness check; for `file`, the path the agent will create. */
export type LaunchReady =
  | { kind: 'prompt'; prefix: string; timeoutMs: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'file'; path: string };

/** Which settings format an agent reads its session hooks from (see role-context.ts). */
export type HookKind = 'claude' | 'gemini' | 'cursor' | 'opencode' | 'copilot';

/**
 * Where an agent's role-context hook lives: `file` relative to the workspace (its cwd). With
 * `settingsFlag`, the launch also passes `<flag> <cwd>/<file>` (claude's `--settings`).
 */
export interface HookSpec {
  kind: HookKind;
  file: string;
  settingsFlag?: string;
}

/**
 * How a session is resumed. `flag`: `<command> <args...> <flag> <id>`. `subcommand`:
 * `<command> <words...> <id> <args...>` (`codex resume <id>`, `amp threads continue <id>`).
 */
export type ResumeSpec = { style: 'flag'; flag: string } | { style: 'subcommand'; words: readonly string[] };

/** An agent runtime: the exact command line and how to talk to it (reference/gastown.md §3.12). */
export interface AgentPreset {
  name: string;
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  promptMode: PromptMode;
  /** null: the agent has no session hooks; role context comes through nudges (`gt prime`). */
  hooks: HookSpec | null;
  ready: PresetReady;
  /** null: sessions cannot be resumed. */
  resume: ResumeSpec | null;
  /** Process names that mean "the agent is alive" (liveness checks). */
  processNames: readonly string[];
}

/** Ready delay of presets whose table entry says "default" (amp, auggie) and of custom agents. */
export const DEFAULT_READY_DELAY_MS = 3_000;

/** How long after ready the work nudge of a hookless agent is sent (reference §3.2: at least 2 s). */
export const WORK_NUDGE_DELAY_MS = 2_000;

/** The environment variables the scripted agent reads its prompt and ready-file path from. */
export const SCRIPTED_PROMPT_ENV = 'GT_AGENT_PROMPT';
export const SCRIPTED_READY_ENV = 'GT_READY_FILE';

/** Removed from every agent's environment (a parent Node's options, Claude Code's nesting marker). */
export const SCRUBBED_ENV: readonly string[] = ['NODE_OPTIONS', 'CLAUDECODE'];

/** Roles that work without a person: their session start also injects mail. */
export const AUTONOMOUS_ROLES: ReadonlySet<string> = new Set([
  'polecat',
  'witness',
  'refinery',
  'deacon',
  'boot',
]);

/** The work nudge hookless agents get after their beacon. */
export const WORK_NUDGE = 'Check your hook with `gt hook`. If work is present, begin immediately.';

const flag = (f: string): ResumeSpec => ({ style: 'flag', flag: f });

/** The built-in presets, by name. */
export const BUILTIN_PRESETS: Readonly<Record<string, AgentPreset>> = Object.freeze({
  claude: {
    name: 'claude',
    command: 'claude',
    args: ['--dangerously-skip-permissions'],
    env: {},
    promptMode: 'arg',
    hooks: { kind: 'claude', file: '.claude/settings.json', settingsFlag: '--settings' },
    ready: { kind: 'prompt', prefix: '❯ ', timeoutMs: 10_000 },
    resume: flag('--resume'),
    processNames: ['node', 'claude'],
  },
  codex: {
    name: 'codex',
    command: 'codex',
    args: ['--dangerously-bypass-approvals-and-sandbox'],
    env: {},
    promptMode: 'none',
    hooks: null,
    ready: { kind: 'prompt', prefix: '› ', timeoutMs: 3_000 },
    resume: { style: 'subcommand', words: ['resume'] },
    processNames: ['codex'],
  },
  gemini: {
    name: 'gemini',
    command: 'gemini',
    args: ['--approval-mode', 'yolo'],
    env: {},
    promptMode: 'arg',
    hooks: { kind: 'gemini', file: '.gemini/settings.json' },
    ready: { kind: 'delay', ms: 5_000 },
    resume: flag('--resume'),
    processNames: ['gemini'],
  },
  cursor: {
    name: 'cursor',
    command: 'cursor-agent',
    args: ['-f'],
    env: {},
    promptMode: 'arg',
    hooks: { kind: 'cursor', file: '.cursor/hooks.json' },
    ready: { kind: 'delay', ms: 5_000 },
    resume: flag('--resume'),
    processNames: ['cursor-agent'],
  },
  amp: {
    name: 'amp',
    command: 'amp',
    args: ['--dangerously-allow-all', '--no-ide'],
    env: {},
    promptMode: 'arg',
    hooks: null,
    ready: { kind: 'delay', ms: DEFAULT_READY_DELAY_MS },
    resume: { style: 'subcommand', words: ['threads', 'continue'] },
    processNames: ['amp'],
  },
  opencode: {
    name: 'opencode',
    command: 'opencode',
    args: [],
    env: { OPENCODE_PERMISSION: '{"*":"allow"}' },
    promptMode: 'arg',
    hooks: { kind: 'opencode', file: '.opencode/plugins/gastown.js' },
    ready: { kind: 'delay', ms: 8_000 },
    resume: null,
    processNames: ['opencode', 'node', 'bun'],
  },
  copilot: {
    name: 'copilot',
    command: 'copilot',
    args: ['--yolo'],
    env: {},
    promptMode: 'arg',
    hooks: { kind: 'copilot', file: '.github/hooks/gastown.json' },
    ready: { kind: 'delay', ms: 5_000 },
    resume: flag('--resume'),
    processNames: ['copilot'],
  },
  auggie: {
    name: 'auggie',
    command: 'auggie',
    args: ['--allow-indexing'],
    env: {},
    promptMode: 'arg',
    hooks: null,
    ready: { kind: 'delay', ms: DEFAULT_READY_DELAY_MS },
    resume: flag('--resume'),
    processNames: ['auggie'],
  },
  scripted: {
    name: 'scripted',
    command: 'gt-scripted-agent',
    args: [],
    env: {},
    promptMode: 'env',
    hooks: null,
    ready: { kind: 'file', env: SCRIPTED_READY_ENV },
    resume: null,
    processNames: ['gt-scripted-agent', 'node'],
  },
} satisfies Record<string, AgentPreset>);

/** The names of the built-in presets, in table order. */
export const BUILTIN_AGENT_NAMES: readonly string[] = Object.keys(BUILTIN_PRESETS);

/** The built-in preset called `name`, or null. */
export function builtinPreset(name: string): AgentPreset | null {
  return Object.hasOwn(BUILTIN_PRESETS, name) ? (BUILTIN_PRESETS[name] ?? null) : null;
}

/** The parts of a startup beacon. `topic` is e.g. `assigned`, `patrol`, `handoff`, `assigned:mol-x`. */
export interface BeaconFields {
  recipient: string;
  sender: string;
  topic: string;
  at: Date;
  /** The instruction line; default: run `gt prime --hook` and begin work on the hook. */
  instruction?: string;
}

/** The instruction line of an agent whose session hooks already ran `gt prime --hook`. */
export const HOOKED_INSTRUCTION = 'Run `gt prime --hook` and begin work on your hook.';

/** The instruction line of a hookless agent: it must load its role context itself. */
export function primeInstruction(role: string): string {
  return AUTONOMOUS_ROLES.has(role)
    ? 'Run `gt prime && gt mail check --inject` to load your role context and mail, then begin work on your hook.'
    : 'Run `gt prime` to load your role context, then begin work on your hook.';
}

/**
 * The startup beacon: `[GAS TOWN] <recipient> <- <sender> • <YYYY-MM-DDTHH:MM> • <topic>` (UTC), a
 * blank line, then the instruction line.
 */
export function beacon(fields: BeaconFields): string {
  const at = fields.at.toISOString().slice(0, 16);
  const header = `[GAS TOWN] ${fields.recipient} <- ${fields.sender} • ${at} • ${fields.topic}`;
  return `${header}\n\n${fields.instruction ?? HOOKED_INSTRUCTION}`;
}

/** Options of `buildLaunch`. */
export interface LaunchOptions {
  role: string;
  cwd: string;
  /**
   * The first prompt: beacon fields (rendered with the instruction this preset needs) or a finished
   * text (a hookless preset gets the `gt prime` instruction appended unless it mentions `gt prime`).
   */
  prompt: string | BeaconFields;
  /** The caller's variables (GT_ROLE, BD_ACTOR, BEADS_DIR, ...); they win over the preset's. */
  env?: Readonly<Record<string, string>>;
  /** Resume this session instead of starting a new one (ignored by presets that cannot resume). */
  resumeId?: string;
  /** Scripted agent only: the ready file (default: a new path in the OS temp directory). */
  readyFile?: string;
}

/** Text typed into the agent once it is ready (`afterReadyMs` later), in order. Single-line. */
export interface LaunchDelivery {
  kind: 'nudge';
  text: string;
  afterReadyMs: number;
}

/**
 * Everything a runtime adapter needs to start one agent session. `env` holds what is added to the
 * inherited environment (the preset's variables, GT_ROLE, the caller's, GT_AGENT, GT_PROCESS_NAMES);
 * `unset` lists inherited variables the adapter must remove (NODE_OPTIONS, CLAUDECODE): spawn with
 * `agentEnvironment(spec)` and `extendEnv: false`, or `env -u` them under tmux. `ready` has the shape of
 * provider.ts `ReadySpec`.
 */
export interface LaunchSpec {
  preset: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  unset: readonly string[];
  ready: LaunchReady;
  processNames: readonly string[];
  deliveries: LaunchDelivery[];
}

/**
 * The command line, environment, readiness check and startup deliveries of `preset` for one session,
 * following the startup fallback matrix (reference §3.2): hooks + prompt arg → nothing extra; hooks,
 * no prompt arg → the beacon as a nudge; no hooks, prompt arg → a beacon that says "Run `gt prime`",
 * then the work nudge; neither → the beacon and the work nudge as nudges. Presets with a settings flag
 * (claude) point it at `<cwd>/<hook file>`: write it first with `writeRoleContext`.
 */
export function buildLaunch(preset: AgentPreset, options: LaunchOptions): LaunchSpec {
  const hooked = preset.hooks !== null || preset.promptMode === 'env';
  const prompt = promptText(options.prompt, hooked, options.role);
  const extra =
    preset.hooks?.settingsFlag === undefined
      ? []
      : [preset.hooks.settingsFlag, path.resolve(options.cwd, preset.hooks.file)];
  const args = commandArgs(preset, extra, options.resumeId);
  if (preset.promptMode === 'arg') args.push(prompt);

  const env = launchEnv(preset, options);
  let ready: LaunchReady;
  if (preset.ready.kind === 'file') {
    const file = options.readyFile ?? path.join(os.tmpdir(), `gt-agent-ready-${randomUUID()}`);
    env[preset.ready.env] = file;
    ready = { kind: 'file', path: file };
  } else ready = { ...preset.ready };
  if (preset.promptMode === 'env') env[SCRIPTED_PROMPT_ENV] = prompt;

  const deliveries: LaunchDelivery[] = [];
  if (preset.promptMode === 'none')
    deliveries.push({ kind: 'nudge', text: oneLine(prompt), afterReadyMs: 0 });
  if (!hooked) deliveries.push({ kind: 'nudge', text: WORK_NUDGE, afterReadyMs: WORK_NUDGE_DELAY_MS });

  return {
    preset: preset.name,
    command: preset.command,
    args,
    cwd: options.cwd,
    env,
    unset: SCRUBBED_ENV,
    ready,
    processNames: preset.processNames,
    deliveries,
  };
}

function promptText(prompt: string | BeaconFields, hooked: boolean, role: string): string {
  if (typeof prompt !== 'string')
    return beacon(
      hooked || prompt.instruction !== undefined
        ? prompt
        : { ...prompt, instruction: primeInstruction(role) },
    );
  if (hooked || prompt.includes('gt prime')) return prompt;
  return `${prompt}\n\n${primeInstruction(role)}`;
}

function commandArgs(preset: AgentPreset, extra: string[], resumeId: string | undefined): string[] {
  const base = [...preset.args, ...extra];
  if (resumeId === undefined || resumeId === '' || preset.resume === null) return base;
  if (preset.resume.style === 'flag') return [...base, preset.resume.flag, resumeId];
  return [...preset.resume.words, resumeId, ...base];
}

function launchEnv(preset: AgentPreset, options: LaunchOptions): Record<string, string> {
  const env: Record<string, string> = {
    ...preset.env,
    GT_ROLE: options.role,
    ...(options.env ?? {}),
    GT_AGENT: preset.name,
    GT_PROCESS_NAMES: preset.processNames.join(','),
  };
  for (const k of SCRUBBED_ENV) delete env[k];
  return env;
}

/**
 * The complete environment of a launch: `base` (default `process.env`) without `spec.unset`, plus
 * `spec.env`. For spawning with `extendEnv: false`.
 */
export function agentEnvironment(
  spec: Pick<LaunchSpec, 'env' | 'unset'>,
  base: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !spec.unset.includes(k)) env[k] = v;
  return { ...env, ...spec.env };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n+\s*/g, ' ').trim();
}
