import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SubprocessRuntime } from './subprocess.js';

/** The package root: the nearest folder above this module that holds package.json. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    dir = parent;
  }
}

/**
 * The command line of the scripted agent: this Node and the package's `bin/gt-scripted-agent.js`
 * (from dist/actors/runtime/ that is ../../../bin/). Add the agent's own arguments after `args`.
 */
export function scriptedCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: [path.join(packageRoot(), 'bin', 'gt-scripted-agent.js')] };
}

/**
 * Sessions that run the scripted agent (a real process that plays an agent from a script): headless
 * like SubprocessRuntime, with handles of kind 'scripted'. The spec's command is run as given; build
 * it from scriptedCommand().
 */
export class ScriptedRuntime extends SubprocessRuntime {
  override readonly kind = 'scripted' as const;
}
