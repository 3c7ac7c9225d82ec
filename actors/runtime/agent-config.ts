import path from 'node:path';
import { AGENT_NAME_RE, readTownConfig, writeTownConfig } from '../town/town-config.js';
import type { AgentEntry, TownConfig } from '../town/town-config.js';
import { AgentError } from './agent-errors.js';
import { BUILTIN_AGENT_NAMES, builtinPreset, DEFAULT_READY_DELAY_MS } from './presets.js';
import type { AgentPreset, PresetReady, ResumeSpec } from './presets.js';

/** The agent used when neither `--agent`, the rig nor the town names one. */
export const FALLBACK_AGENT = 'claude';

/** The part of town.json that configures agents. */
export type AgentSettings = Pick<TownConfig, 'default_agent' | 'agents'>;

/** One agent as `gt config agent list` shows it. */
export interface AgentListing {
  name: string;
  /** `builtin`: a preset as shipped; `override`: a built-in changed in town.json; `custom`: town.json only. */
  source: 'builtin' | 'override' | 'custom';
  isDefault: boolean;
  preset: AgentPreset;
}

/**
 * The preset a town entry describes. Over a built-in of the same name, only the given fields change;
 * otherwise the entry is a custom agent: prompt as argument, no hooks, ready after `ready_prompt` or
 * `ready_delay_ms` (default 3 s), liveness by the command's base name. `resume_flag` starting with `-`
 * is a flag (`--resume`), anything else subcommand words (`threads continue`).
 */
export function presetFromEntry(name: string, entry: AgentEntry, base: AgentPreset | null): AgentPreset {
  return {
    name,
    command: entry.command,
    args: entry.args ?? base?.args ?? [],
    env: { ...(base?.env ?? {}), ...(entry.env ?? {}) },
    promptMode: entry.prompt_mode ?? base?.promptMode ?? 'arg',
    hooks: base?.hooks ?? null,
    ready: entryReady(entry, base?.ready ?? null),
    resume: entry.resume_flag === undefined ? (base?.resume ?? null) : resumeSpec(entry.resume_flag),
    processNames: entry.process_names ?? base?.processNames ?? [path.basename(entry.command)],
  };
}

function entryReady(entry: AgentEntry, base: PresetReady | null): PresetReady {
  if (entry.ready_prompt !== undefined)
    return {
      kind: 'prompt',
      prefix: entry.ready_prompt,
      timeoutMs: entry.ready_delay_ms ?? (base?.kind === 'prompt' ? base.timeoutMs : DEFAULT_READY_DELAY_MS),
    };
  if (entry.ready_delay_ms !== undefined)
    return base?.kind === 'prompt'
      ? { ...base, timeoutMs: entry.ready_delay_ms }
      : { kind: 'delay', ms: entry.ready_delay_ms };
  return base ?? { kind: 'delay', ms: DEFAULT_READY_DELAY_MS };
}

function resumeSpec(text: string): ResumeSpec {
  return text.startsWith('-')
    ? { style: 'flag', flag: text }
    : { style: 'subcommand', words: text.split(/\s+/).filter((w) => w !== '') };
}

/** Every agent name known to the town: built-ins, then custom ones (sorted). */
export function knownAgentNames(settings: AgentSettings): string[] {
  const custom = Object.keys(settings.agents ?? {})
    .filter((n) => builtinPreset(n) === null)
    .sort();
  return [...BUILTIN_AGENT_NAMES, ...custom];
}

/** The preset called `name` in this town (its town.json entry over the built-in), or null. */
export function findAgent(settings: AgentSettings, name: string): AgentPreset | null {
  const entry = settings.agents?.[name];
  const base = builtinPreset(name);
  if (entry === undefined || !Object.hasOwn(settings.agents ?? {}, name)) return base;
  return presetFromEntry(name, entry, base);
}

/** Like findAgent, but an unknown name is `agent.unknown` listing the known names. */
export function requireAgent(settings: AgentSettings, name: string): AgentPreset {
  const preset = findAgent(settings, name);
  if (preset !== null) return preset;
  throw new AgentError(
    'agent.unknown',
    `unknown agent "${name}": known agents are ${knownAgentNames(settings).join(', ')}; add one with \`gt config agent set ${name} <command>\``,
    { details: { name, known: knownAgentNames(settings) } },
  );
}

/** The town's default agent name (`default_agent`, else claude). */
export function defaultAgentName(settings: AgentSettings): string {
  return settings.default_agent ?? FALLBACK_AGENT;
}

/**
 * The effective preset of a session: `override` (a `--agent` flag) > the rig's `agent` > the town's
 * `default_agent` > claude. An unknown name is `agent.unknown`.
 */
export function resolveAgent(
  settings: AgentSettings,
  options: { override?: string | undefined; rig?: { agent?: string | undefined } | undefined } = {},
): AgentPreset {
  const name = options.override ?? options.rig?.agent ?? defaultAgentName(settings);
  return requireAgent(settings, name);
}

/** Every agent of the town, built-ins first, marking overrides and the default. */
export function listAgents(settings: AgentSettings): AgentListing[] {
  const def = defaultAgentName(settings);
  return knownAgentNames(settings).map((name) => {
    const custom = Object.hasOwn(settings.agents ?? {}, name);
    return {
      name,
      source: builtinPreset(name) === null ? 'custom' : custom ? 'override' : 'builtin',
      isDefault: name === def,
      preset: requireAgent(settings, name),
    };
  });
}

function assertAgentName(name: string): void {
  if (!AGENT_NAME_RE.test(name))
    throw new AgentError(
      'agent.bad_name',
      `invalid agent name "${name}": use 1 to 64 lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit`,
      { details: { name } },
    );
}

/**
 * Adds or replaces the town.json entry `name` (a custom agent, or an override of the built-in of that
 * name) and writes town.json atomically (mode 0600). Returns the resulting preset.
 */
export function setAgent(root: string, name: string, entry: AgentEntry): AgentPreset {
  assertAgentName(name);
  if (entry.command.trim() === '')
    throw new AgentError('agent.bad_command', `agent "${name}" needs a command: pass the executable to run`);
  const config = readTownConfig(root);
  const next: TownConfig = { ...config, agents: { ...(config.agents ?? {}), [name]: entry } };
  const preset = requireAgent(next, name);
  writeTownConfig(root, next);
  return preset;
}

/**
 * Removes the town.json entry `name`. A built-in without an override is `agent.builtin`; the town's
 * default is `agent.is_default` (a built-in's override can always be removed: the built-in remains).
 * Returns `reverted` when a built-in override was removed.
 */
export function removeAgent(root: string, name: string): { name: string; reverted: boolean } {
  const config = readTownConfig(root);
  const builtin = builtinPreset(name) !== null;
  const has = Object.hasOwn(config.agents ?? {}, name);
  if (builtin && !has)
    throw new AgentError(
      'agent.builtin',
      `"${name}" is a built-in agent and cannot be removed; change it with \`gt config agent set ${name} <command>\` instead`,
      { details: { name } },
    );
  if (!has) requireAgent(config, name);
  if (!builtin && defaultAgentName(config) === name)
    throw new AgentError(
      'agent.is_default',
      `"${name}" is the town's default agent: choose another first with \`gt config default-agent <name>\``,
      { details: { name } },
    );
  const agents = { ...(config.agents ?? {}) };
  delete agents[name];
  const next: TownConfig = { ...config };
  if (Object.keys(agents).length > 0) next.agents = agents;
  else delete next.agents;
  writeTownConfig(root, next);
  return { name, reverted: builtin };
}

/** Makes `name` the town's default agent (it must be known) and writes town.json atomically. */
export function setDefaultAgent(root: string, name: string): AgentPreset {
  const config = readTownConfig(root);
  const preset = requireAgent(config, name);
  writeTownConfig(root, { ...config, default_agent: name });
  return preset;
}
