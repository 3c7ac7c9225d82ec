import { Command } from 'commander';
import { registerCommentCommands } from './commands/comments.js';
import { registerCompactCommands } from './commands/compact.js';
import { registerDepCommands } from './commands/deps.js';
import { registerIssueCommands } from './commands/issues.js';
import { registerLabelCommands } from './commands/labels.js';
import { registerMailCommands } from './commands/mail.js';
import { registerSyncCommands } from './commands/sync.js';
import { registerViewCommands } from './commands/views.js';

/**
 * The `bd` commander program. Errors are not printed or turned into exits here: commander throws
 * (exitOverride) and `main` maps every error to output and an exit code.
 */
export function buildProgram(): Command {
  const program = new Command('bd')
    .description('Beads: a git-backed issue store for coding agents')
    .version('0.1.0', '--version')
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError()
    .option('--json', 'machine-readable output (one JSON document on stdout)')
    .option('--actor <name>', 'acting identity (else BD_ACTOR, BEADS_ACTOR, git user.name, $USER)')
    .option('--db <path>', 'the SQLite file (else BEADS_DIR, else .beads/beads.db found upwards)')
    .option('-C <dir>', 'run as if started in <dir>')
    .option(
      '--no-auto-commit',
      'do not git-commit .beads/issues.jsonl after a change (or BD_NO_AUTO_COMMIT=1)',
    );
  program.hook('preAction', (thisCommand) => {
    const dir = thisCommand.opts<{ C?: string }>().C;
    if (dir !== undefined) process.chdir(dir);
  });
  registerSyncCommands(program);
  registerIssueCommands(program);
  registerViewCommands(program);
  registerDepCommands(program);
  registerLabelCommands(program);
  registerCommentCommands(program);
  registerMailCommands(program);
  registerCompactCommands(program);
  return program;
}
