import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { renderError, UsageError } from './output.js';

const QUIET_EXITS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

function toUsage(err: CommanderError): UsageError {
  const code = err.code.replace(/^commander\./, '');
  return new UsageError(`usage.${code}`, err.message.replace(/^error: /, ''));
}

/**
 * Runs `bd` with `argv` (as in process.argv: node, script, args...) and returns the exit code:
 * 0 success, 1 a refused or failed operation, 2 a usage error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError && QUIET_EXITS.has(err.code)) return err.exitCode;
    const shown = err instanceof CommanderError ? toUsage(err) : err;
    const { exitCode, text } = renderError(shown, json);
    process.stderr.write(text);
    return exitCode;
  }
}
