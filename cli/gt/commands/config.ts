import type { Command } from 'commander';
import { Option } from 'commander';
import {
  defaultAgentName,
  listAgents,
  removeAgent,
  requireAgent,
  setAgent,
  setDefaultAgent,
} from '../../../actors/runtime/agent-config.js';
import type { AgentListing } from '../../../actors/runtime/agent-config.js';
import type { AgentPreset } from '../../../actors/runtime/presets.js';
import type { AgentEntry } from '../../../actors/town/town-config.js';
import { readTownConfig, requireTownRoot } from '../../../actors/town/town-config.js';
import { printJson, printLines, UsageError } from '../../bd/output.js';
import type { GtGlobalOptions } from '../program.js';

function globals<T>(cmd: Command): T & GtGlobalOptions {
  return cmd.optsWithGlobals<T & GtGlobalOptions>();
}

function emit(o: GtGlobalOptions, value: Record<string, unknown>, human: () => string[]): void {
  if (o.json === true) printJson(value);
  else printLines(human());
}

/** A preset as JSON (snake_case, like town.json). */
function presetJson(p: AgentPreset): Record<string, unknown> {
  return {
    name: p.name,
    command: p.command,
    args: p.args,
    env: p.env,
    prompt_mode: p.promptMode,
    hooks: p.hooks === null ? null : p.hooks.file,
    ready:
      p.ready.kind === 'prompt'
        ? { kind: 'prompt', prefix: p.ready.prefix, timeout_ms: p.ready.timeoutMs }
        : p.ready,
    resume: p.resume,
    process_names: p.processNames,
  };
}

function listingJson(a: AgentListing): Record<string, unknown> {
  return { ...presetJson(a.preset), source: a.source, default: a.isDefault };
}

function commandLine(p: AgentPreset): string {
  return [p.command, ...p.args].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : JSON.stringify(w))).join(' ');
}

function listLines(agents: AgentListing[]): string[] {
  const width = Math.max(...agents.map((a) => a.name.length));
  return agents.map((a) => {
    const tags = [a.source === 'builtin' ? 'built-in' : a.source, ...(a.isDefault ? ['default'] : [])];
    return `${a.isDefault ? '*' : ' '} ${a.name.padEnd(width)}  ${commandLine(a.preset)}  (${tags.join(', ')})`;
  });
}

function collectEnv(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  const key = eq <= 0 ? '' : value.slice(0, eq);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
    throw new UsageError(
      'usage.bad_option',
      `--env takes KEY=VALUE with a variable name as KEY, got "${value}"`,
    );
  return { ...previous, [key]: value.slice(eq + 1) };
}

function delayMs(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n))
    throw new UsageError('usage.bad_option', `--ready-delay must be a whole number of ms, got "${text}"`);
  return n;
}

interface SetOptions {
  promptMode?: 'arg' | 'none';
  readyPrompt?: string;
  readyDelay?: string;
  resume?: string;
  processName?: string[];
  env?: Record<string, string>;
}

function entryFrom(command: string, args: string[], o: SetOptions): AgentEntry {
  const entry: AgentEntry = { command };
  if (args.length > 0) entry.args = args;
  if (o.env !== undefined) entry.env = o.env;
  if (o.promptMode !== undefined) entry.prompt_mode = o.promptMode;
  if (o.readyPrompt !== undefined) {
    if (o.readyPrompt === '') throw new UsageError('usage.bad_option', '--ready-prompt must not be empty');
    entry.ready_prompt = o.readyPrompt;
  }
  if (o.readyDelay !== undefined) entry.ready_delay_ms = delayMs(o.readyDelay);
  if (o.resume !== undefined) entry.resume_flag = o.resume;
  if (o.processName !== undefined) entry.process_names = o.processName;
  return entry;
}

/** Registers `gt config agent list|set|remove` and `gt config default-agent [name]`. */
export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description('town configuration: agent presets and the default agent');
  const agent = config
    .command('agent')
    .description('agent presets: built-in and custom (town.json `agents`)');

  agent
    .command('list')
    .description('list built-in and custom agents; * marks the default')
    .action((_o: unknown, cmd: Command) => {
      const o = globals<object>(cmd);
      const settings = readTownConfig(requireTownRoot(process.cwd(), o.town));
      const agents = listAgents(settings);
      emit(o, { default_agent: defaultAgentName(settings), agents: agents.map(listingJson) }, () =>
        listLines(agents),
      );
    });

  agent
    .command('set')
    .description('add a custom agent, or override a built-in by name (agent flags go after `--`)')
    .argument('<name>', 'agent name')
    .argument('<command>', 'the executable to run')
    .argument('[args...]', 'its arguments (put them after `--` when they start with "-")')
    .addOption(new Option('--prompt-mode <mode>', 'how the first prompt is given').choices(['arg', 'none']))
    .option('--ready-prompt <prefix>', 'ready when the screen shows a line starting with this')
    .option('--ready-delay <ms>', 'ready after this many ms (with --ready-prompt: the longest wait)')
    .option('--resume <flag>', 'resume flag (`--resume`) or subcommand words (`threads continue`)')
    .option('--process-name <name...>', 'process names that mean the agent is alive')
    .option('--env <KEY=VALUE>', 'an environment variable (repeatable)', collectEnv)
    .action((name: string, command: string, args: string[], _o: unknown, cmd: Command) => {
      const o = globals<SetOptions>(cmd);
      const entry = entryFrom(command, args, o);
      const root = requireTownRoot(process.cwd(), o.town);
      const preset = setAgent(root, name, entry);
      emit(o, { agent: presetJson(preset) }, () => [`Agent ${name}: ${commandLine(preset)}`]);
    });

  agent
    .command('remove')
    .description('remove a custom agent (or a built-in override); not built-ins, not the default')
    .argument('<name>', 'agent name')
    .action((name: string, _o: unknown, cmd: Command) => {
      const o = globals<object>(cmd);
      const r = removeAgent(requireTownRoot(process.cwd(), o.town), name);
      emit(o, { removed: r.name, reverted_to_builtin: r.reverted }, () => [
        r.reverted
          ? `Agent ${name}: override removed, the built-in preset applies again`
          : `Removed agent ${name}`,
      ]);
    });

  config
    .command('default-agent')
    .description('show the default agent, or set it to <name>')
    .argument('[name]', 'a known agent name')
    .action((name: string | undefined, _o: unknown, cmd: Command) => {
      const o = globals<object>(cmd);
      const root = requireTownRoot(process.cwd(), o.town);
      if (name === undefined) {
        const settings = readTownConfig(root);
        const current = defaultAgentName(settings);
        const preset = requireAgent(settings, current);
        emit(o, { default_agent: current, agent: presetJson(preset) }, () => [current]);
        return;
      }
      const preset = setDefaultAgent(root, name);
      emit(o, { default_agent: name, agent: presetJson(preset) }, () => [`Default agent: ${name}`]);
    });
}
