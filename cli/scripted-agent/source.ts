import { ScriptError } from './errors.js';
import { beadScript, runPrime, type Hook, type Prime } from './prime.js';
import type { HookContext } from './runner.js';
import { loadScriptFile, parseCarriedScript, type Phase, type Script } from './script.js';

/** Where the script comes from, as the command line and environment say. */
export interface SourceOptions {
  /** `--script <file>`: run it without asking the town. */
  scriptFile?: string | undefined;
  /** `--phase`: overrides the hook's kind. */
  phase?: Phase | undefined;
  /** `--onto <ref>`: the rebase target for the `conflict` phase when there is no hook. */
  onto?: string | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Notes for the session log (a failed `gt prime` when a script file is given). */
  note: (text: string) => void;
}

/** A script to run, in which phase, with what the hook said. `hook` is undefined when the town was not asked. */
export interface LoadedScript {
  script: Script;
  origin: string;
  phase: Phase;
  context: HookContext;
  hook?: Hook | null;
  prime?: Prime;
}

function contextOf(hook: Hook | null | undefined, onto: string | undefined): HookContext {
  const context: HookContext = {};
  if (hook !== null && hook !== undefined) {
    context.beadId = hook.bead.id;
    if (hook.gate_output !== undefined) context.gateOutput = hook.gate_output;
    if (hook.conflict !== undefined)
      context.conflict = { target: hook.conflict.target, onto: hook.conflict.onto };
  }
  if (onto !== undefined) context.conflict = { target: context.conflict?.target ?? onto, onto };
  return context;
}

/**
 * Finds the script, first found wins: `--script <file>`; `$GT_SCRIPT_FILE`; the hooked bead's
 * `metadata.script` from `gt prime --json`; the rig's default (`rig_script`). Without `--script`, the
 * hook (from `gt prime`) gives the phase and its context. Returns null when the hook is empty and no
 * script file was given ("nothing on my hook"). Throws ScriptError (exit 2) or PrimeError (exit 1).
 */
export async function loadAgentScript(options: SourceOptions): Promise<LoadedScript | null> {
  const { scriptFile, phase, onto, cwd, env, note } = options;
  if (scriptFile !== undefined)
    return {
      script: loadScriptFile(scriptFile),
      origin: scriptFile,
      phase: phase ?? 'work',
      context: contextOf(undefined, onto),
    };

  const envFile = env['GT_SCRIPT_FILE'];
  if (envFile !== undefined && envFile !== '') {
    const script = loadScriptFile(envFile);
    let prime: Prime | undefined;
    try {
      prime = await runPrime(cwd, env);
    } catch (err) {
      note(`no hook context (${err instanceof Error ? err.message : String(err)}); running the work phase`);
    }
    const hook = prime?.hook;
    return {
      script,
      origin: `GT_SCRIPT_FILE=${envFile}`,
      phase: phase ?? hook?.kind ?? 'work',
      context: contextOf(hook, onto),
      ...(prime === undefined ? {} : { prime, hook: prime.hook }),
    };
  }

  const prime = await runPrime(cwd, env);
  const hook = prime.hook;
  if (hook === null) return null;
  const carried = beadScript(hook);
  let script: Script;
  let origin: string;
  if (carried !== undefined && carried !== null) {
    origin = `bead ${hook.bead.id} metadata.script`;
    script = parseCarriedScript(carried, origin);
  } else if (prime.rig_script !== undefined && prime.rig_script !== null) {
    origin = `rig ${prime.rig ?? '?'} rig_script`;
    script = parseCarriedScript(prime.rig_script, origin);
  } else
    throw new ScriptError(
      'script.missing',
      `bead ${hook.bead.id} carries no metadata.script and rig ${prime.rig ?? '?'} has no default script: give the bead a script, set the rig's script, or pass --script <file>`,
    );
  return { script, origin, phase: phase ?? hook.kind, context: contextOf(hook, onto), hook, prime };
}
