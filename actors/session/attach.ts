import { execa } from 'execa';
import type { AttachCommand } from '../runtime/provider.js';
import { tmuxSocket } from '../runtime/tmux.js';
import { sessionName } from './session-agents.js';
import type { SessionAgent } from './session-agents.js';

/** `tmux -L gt-<town> attach -t <session>`: what a person runs to drive `agent`'s session. */
export function attachCommand(town: string, agent: SessionAgent): AttachCommand {
  return { command: 'tmux', args: ['-L', tmuxSocket(town), 'attach', '-t', sessionName(agent)] };
}

/** True when `agent`'s tmux session exists on the town's socket (whether or not the keeper runs). */
export async function sessionExists(town: string, agent: SessionAgent): Promise<boolean> {
  const r = await execa('tmux', ['-L', tmuxSocket(town), 'has-session', '-t', `=${sessionName(agent)}`], {
    reject: false,
    stdin: 'ignore',
    timeout: 5_000,
  });
  return r.exitCode === 0;
}

/** Runs `command` with this terminal (inherited stdio) and returns its exit code. */
export async function runAttached(command: AttachCommand): Promise<number> {
  const r = await execa(command.command, command.args, { stdio: 'inherit', reject: false });
  return r.exitCode ?? 1;
}
