import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * The command groups, in help order, each loaded only when needed: an agent's `gt done` or
 * `gt prime` should not pay for importing every other command (a cold `gt` is on the hot path of
 * every agent session).
 */
const GROUPS: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register> }> = [
  {
    names: ['install', 'up', 'down', 'status'],
    load: async () => (await import('./commands/town.js')).registerTownCommands,
  },
  {
    names: ['sling', 'done', 'handoff', 'polecat'],
    load: async () => (await import('./commands/work.js')).registerWorkCommands,
  },
  { names: ['rig'], load: async () => (await import('./commands/rig.js')).registerRigCommands },
  {
    names: ['trace', 'feed'],
    load: async () => (await import('./commands/observe.js')).registerObserverCommands,
  },
  { names: ['mail'], load: async () => (await import('./commands/mail.js')).registerMailCommands },
  { names: ['mayor'], load: async () => (await import('./commands/mayor.js')).registerMayorCommands },
  { names: ['crew'], load: async () => (await import('./commands/crew.js')).registerCrewCommands },
  { names: ['nudge'], load: async () => (await import('./commands/nudge.js')).registerNudgeCommands },
  { names: ['config'], load: async () => (await import('./commands/config.js')).registerConfigCommands },
  { names: ['convoy'], load: async () => (await import('./commands/convoy.js')).registerConvoyCommands },
  {
    names: ['prime', 'hook', 'seance'],
    load: async () => (await import('./commands/prime.js')).registerPrimeCommands,
  },
];

/** The command word of `argv` (node, script, args...): the first argument that is not a global option. */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--town') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** Global options every `gt` command sees (`optsWithGlobals()`). */
export interface GtGlobalOptions {
  json?: boolean;
  town?: string;
}

/**
 * The `gt` commander program for `argv`. Like `bd`, commander throws (exitOverride) and `main` maps
 * errors to output and exit codes. Each command group registers itself from `commands/`.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('gt')
    .description('Gas Town: an orchestrator for fleets of coding agents')
    .version('0.1.0', '--version')
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError()
    .option('--json', 'machine-readable output')
    .option('--town <path>', 'the town directory (else $GT_TOWN, else town.json found upwards)');
  const word = commandWord(argv);
  const group = word === undefined ? undefined : GROUPS.find((g) => g.names.includes(word));
  // Help, an unknown word or no command at all: every group, so help lists them and typos get suggestions.
  for (const g of group === undefined ? GROUPS : [group]) (await g.load())(program);
  return program;
}
