import { CommanderError } from 'commander';
import { renderError, UsageError } from '../bd/output.js';
import { buildProgram } from './program.js';

const QUIET_EXITS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * Runs `gt` with `argv` (node, script, args...) and returns the exit code: 0 success, 1 a refused or
 * failed operation, 2 a usage error. Errors go to stderr (one JSON object with `--json`).
 */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    await (await buildProgram(argv)).parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError && QUIET_EXITS.has(err.code)) return err.exitCode;
    const shown =
      err instanceof CommanderError
        ? new UsageError(`usage.${err.code.replace(/^commander\./, '')}`, err.message.replace(/^error: /, ''))
        : err;
    const { exitCode, text } = renderError(shown, json);
    process.stderr.write(text);
    return exitCode;
  }
}
