import { packageBin } from '../session/package-bin.js';
import { SubprocessRuntime } from './subprocess.js';

/**
 * The command line of the scripted agent: this Node and the package's `bin/gt-scripted-agent.js`
 * (from dist/actors/runtime/ that is ../../../bin/). Add the agent's own arguments after `args`.
 */
export function scriptedCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: [packageBin('gt-scripted-agent.js')] };
}

/**
 * Sessions that run the scripted agent (a real process that plays an agent from a script): headless
 * like SubprocessRuntime, with handles of kind 'scripted'. The spec's command is run as given; build
 * it from scriptedCommand().
 */
export class ScriptedRuntime extends SubprocessRuntime {
  override readonly kind = 'scripted' as const;
}
