import { Command } from 'commander';
import { registerConfigCommands } from './commands/config.js';
import { registerConvoyCommands } from './commands/convoy.js';
import { registerCrewCommands } from './commands/crew.js';
import { registerMailCommands } from './commands/mail.js';
import { registerMayorCommands } from './commands/mayor.js';
import { registerNudgeCommands } from './commands/nudge.js';
import { registerObserverCommands } from './commands/observe.js';
import { registerPrimeCommands } from './commands/prime.js';
import { registerRigCommands } from './commands/rig.js';
import { registerTownCommands } from './commands/town.js';
import { registerWorkCommands } from './commands/work.js';

/** Global options every `gt` command sees (`optsWithGlobals()`). */
export interface GtGlobalOptions {
  json?: boolean;
  town?: string;
}

/**
 * The `gt` commander program. Like `bd`, commander throws (exitOverride) and `main` maps errors to
 * output and exit codes. Each command group registers itself from `commands/`.
 */
export function buildProgram(): Command {
  const program = new Command('gt')
    .description('Gas Town: an orchestrator for fleets of coding agents')
    .version('0.1.0', '--version')
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError()
    .option('--json', 'machine-readable output')
    .option('--town <path>', 'the town directory (else $GT_TOWN, else town.json found upwards)');
  registerTownCommands(program);
  registerWorkCommands(program);
  registerRigCommands(program);
  registerObserverCommands(program);
  registerMailCommands(program);
  registerMayorCommands(program);
  registerCrewCommands(program);
  registerNudgeCommands(program);
  registerConfigCommands(program);
  registerConvoyCommands(program);
  registerPrimeCommands(program);
  return program;
}
