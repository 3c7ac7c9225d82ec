import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { AgentExit, PrimeError, ScriptError, StepError } from './errors.js';
import { InputQueue, stdinIsInteractive } from './input.js';
import { ScriptRunner } from './runner.js';
import { PHASES, type Phase } from './script.js';
import { loadAgentScript } from './source.js';

/** The flags of `gt-scripted-agent`. */
export interface AgentFlags {
  script?: string;
  phase?: Phase;
  onto?: string;
  stay?: boolean;
}

const SIGNAL_EXITS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function buildProgram(): Command {
  return new Command('gt-scripted-agent')
    .description('Plays an agent from a script: edits, commits, gt done, crashes, hangs, questions.')
    .option(
      '--script <file>',
      'run this JSON script (else $GT_SCRIPT_FILE, else the hook via gt prime --json)',
    )
    .addOption(
      new Option('--phase <phase>', 'the phase to run (default: the hook kind, or work)').choices(PHASES),
    )
    .option('--onto <ref>', 'the rebase target of the default conflict phase when there is no hook')
    .option('--stay', 'stay alive after finishing, reacting to nudges, until SIGTERM')
    .exitOverride()
    .allowExcessArguments(false);
}

const out = (text: string): void => {
  process.stdout.write(text);
};

/** Never settles; a timer keeps the process alive until a signal ends it. */
function idleForever(): Promise<never> {
  return new Promise<never>(() => setInterval(() => undefined, 1 << 30));
}

function writeReadyFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${process.pid}\n`);
}

/**
 * Runs the scripted agent with `argv` (node, script, flags...) and resolves to its exit code: 0
 * finished (or nothing on the hook), 1 a step failed (or the default fix/conflict gave up), 2 a bad
 * command line or script, the code of a `crash` step. SIGTERM/SIGINT/SIGHUP print `[scripted] stopped`
 * and exit 143/130/129 at once, whatever the agent is doing.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let flags: AgentFlags;
  try {
    flags = buildProgram()
      .parse([...argv])
      .opts<AgentFlags>();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }

  const active: { runner?: ScriptRunner } = {};
  for (const [signal, code] of Object.entries(SIGNAL_EXITS) as Array<[NodeJS.Signals, number]>)
    process.once(signal, () => {
      active.runner?.killCurrent();
      out('[scripted] stopped\n');
      process.exit(code);
    });

  const cwd = process.cwd();
  const env = process.env;
  let loaded;
  try {
    loaded = await loadAgentScript({
      scriptFile: flags.script,
      phase: flags.phase,
      onto: flags.onto,
      cwd,
      env,
      note: (text) => out(`[scripted] ${text}\n`),
    });
  } catch (err) {
    if (err instanceof ScriptError || err instanceof PrimeError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return err instanceof ScriptError ? 2 : 1;
    }
    throw err;
  }
  if (loaded === null) {
    out('[scripted] nothing on my hook\n');
    return 0;
  }

  const { script, origin, phase, context, hook, prime } = loaded;
  const who = env['GT_AGENT_ADDRESS'] || env['BD_ACTOR'];
  out(`[scripted] start${who ? ` as ${who}` : ''}: script from ${origin}, phase ${phase}\n`);
  if (hook !== undefined && hook !== null)
    out(`[scripted] hook: ${hook.bead.id} ${JSON.stringify(hook.bead.title ?? '')} (${hook.kind})\n`);
  const prompt = env['GT_AGENT_PROMPT'];
  if (prompt !== undefined && prompt !== '') out(`[scripted] prompt: ${JSON.stringify(prompt)}\n`);
  for (const m of prime?.mail ?? [])
    out(`[scripted] mail ${m.id} from ${m.from ?? '?'}: ${m.subject ?? ''}\n`);

  const input = new InputQueue({ nudgeFile: env['GT_NUDGE_FILE'] || undefined, stdin: stdinIsInteractive() });
  input.start();
  const runner = new ScriptRunner({ sandbox: cwd, env, phase, context, input, write: out });
  try {
    active.runner = runner;
    const ready = env['GT_READY_FILE'];
    if (ready !== undefined && ready !== '') writeReadyFile(ready);
    out('❯ \n');
    await runner.runPhase(script);
    out('[scripted] finished\n');
    if (flags.stay === true) {
      for (;;) {
        out('❯ \n');
        const text = await input.next().catch(idleForever);
        await runner.onNudge(script, text);
      }
    }
    return 0;
  } catch (err) {
    if (err instanceof AgentExit) return err.exitCode;
    if (err instanceof StepError) {
      out(`[scripted] failed: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    input.stop();
  }
}
