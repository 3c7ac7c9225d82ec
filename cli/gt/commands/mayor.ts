import type { Command } from 'commander';
import { attachCommand, runAttached } from '../../../actors/session/attach.js';
import { sessionAgent } from '../../../actors/session/session-agents.js';
import type { SessionAgent } from '../../../actors/session/session-agents.js';
import { requestSessionStart, requestSessionStop } from '../../../actors/session/session-client.js';
import type { SessionReply } from '../../../actors/session/session-keeper.js';
import { readTownConfig, requireTownRoot } from '../../../actors/town/town-config.js';
import { printJson, printLines } from '../../bd/output.js';
import { connectTown } from '../connect.js';
import type { GtGlobalOptions } from '../program.js';

/** The town root and name of a command. */
export function townOf(o: GtGlobalOptions): { root: string; town: string } {
  const root = requireTownRoot(process.cwd(), o.town);
  return { root, town: readTownConfig(root).name };
}

function commandLine(c: { command: string; args: string[] }): string {
  return [c.command, ...c.args].join(' ');
}

/** Starts or stops `agent`'s session through the daemon's session keeper and prints the outcome. */
export async function sessionRequest(
  o: GtGlobalOptions,
  root: string,
  agent: SessionAgent,
  what: { start: true; preset?: string | undefined } | { start: false },
): Promise<void> {
  const { config, bus } = await connectTown(root);
  let r: SessionReply;
  try {
    r = what.start
      ? await requestSessionStart(bus, config.name, agent.address, what.preset)
      : await requestSessionStop(bus, config.name, agent.address);
  } finally {
    await bus.close(1_000);
  }
  if (o.json === true) printJson(r);
  else if (what.start)
    printLines([
      `Started ${r.agent} in tmux session ${r.session}${r.pid === null ? '' : ` (pid ${r.pid})`}`,
      `Attach with: ${commandLine(r.attach)}`,
    ]);
  else printLines([`Stopped ${r.agent} (tmux session ${r.session})`]);
}

/**
 * Attaches this terminal to `agent`'s tmux session; when stdout is not a terminal, prints the command
 * (or `{ agent, attach }` with --json) and exits 0.
 */
export async function attachSession(o: GtGlobalOptions, town: string, agent: SessionAgent): Promise<void> {
  const attach = attachCommand(town, agent);
  if (o.json === true) {
    printJson({ agent: agent.address, attach });
    return;
  }
  if (process.stdout.isTTY !== true) {
    printLines([commandLine(attach)]);
    return;
  }
  process.exitCode = await runAttached(attach);
}

/** Registers `gt mayor start|stop|attach` (docs/sessions.md). */
export function registerMayorCommands(program: Command): void {
  const cmd = program
    .command('mayor')
    .description("the mayor's long-lived session (tmux): kept running by the daemon, attach to talk to it");

  cmd
    .command('start')
    .description('start the mayor session (the daemon restarts it if it dies)')
    .option('--agent <preset>', 'agent preset (default: the town default)')
    .action(async (_o: unknown, c: Command) => {
      const o = c.optsWithGlobals<GtGlobalOptions & { agent?: string }>();
      const { root, town } = townOf(o);
      await sessionRequest(o, root, sessionAgent('mayor', town), { start: true, preset: o.agent });
    });

  cmd
    .command('stop')
    .description('stop the mayor session (it stays stopped)')
    .action(async (_o: unknown, c: Command) => {
      const o = c.optsWithGlobals<GtGlobalOptions>();
      const { root, town } = townOf(o);
      await sessionRequest(o, root, sessionAgent('mayor', town), { start: false });
    });

  cmd
    .command('attach')
    .description('attach this terminal to the mayor session (prints the command when not a terminal)')
    .action(async (_o: unknown, c: Command) => {
      const o = c.optsWithGlobals<GtGlobalOptions>();
      const { town } = townOf(o);
      await attachSession(o, town, sessionAgent('mayor', town));
    });
}
