import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { AgentExit, StepError } from './errors.js';
import type { InputQueue } from './input.js';
import { stepKind, type Phase, type Script, type Step } from './script.js';
import { townCommand, townEnv, type TownTool } from './town-cli.js';

/** What the hook says about the work, passed to `run` steps as GT_* variables. */
export interface HookContext {
  beadId?: string;
  gateOutput?: string;
  conflict?: { target: string; onto: string };
}

/** Everything a runner needs: where it works, its environment, its input and its output. */
export interface RunnerOptions {
  sandbox: string;
  env: NodeJS.ProcessEnv;
  phase: Phase;
  context: HookContext;
  input: InputQueue;
  /** Writes agent output (stdout). */
  write: (text: string) => void;
}

const PREFIX = '[scripted]';

function quote(s: string, max = 72): string {
  const one = s.replace(/\s+/g, ' ');
  return JSON.stringify(one.length > max ? `${one.slice(0, max - 1)}…` : one);
}

function argv(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** The story line of a step: `commit "add parser"`. */
export function describeStep(step: Step): string {
  if ('write' in step) return `write ${quote(step.write)}`;
  if ('append' in step) return `append ${quote(step.append)}`;
  if ('edit' in step) return `edit ${quote(step.edit)}`;
  if ('delete' in step) return `delete ${quote(step.delete)}`;
  if ('run' in step) return `run ${quote(step.run)}`;
  if ('commit' in step) return `commit ${quote(step.commit)}`;
  if ('gt' in step) return `gt ${argv(step.gt)}`;
  if ('bd' in step) return `bd ${argv(step.bd)}`;
  if ('say' in step) return `say ${quote(step.say)}`;
  if ('sleep_ms' in step) return `sleep_ms ${step.sleep_ms}`;
  if ('crash' in step) return `crash ${step.crash}`;
  if ('silent_ms' in step) return `silent_ms ${step.silent_ms}`;
  if ('wait_input' in step) return `wait_input ${quote(step.wait_input)}`;
  if ('ask_help' in step) return `ask_help ${quote(step.ask_help)}`;
  if ('once' in step) return `once ${quote(step.once)}`;
  return stepKind(step);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function tail(text: string, lines = 5): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Runs the steps of a script in a sandbox, one story line per step; a failing step throws StepError. */
export class ScriptRunner {
  private currentPid: number | undefined;
  private gitDir: string | undefined;
  private readonly extraEnv: Record<string, string> = {};

  constructor(private readonly options: RunnerOptions) {
    const { phase, context } = options;
    this.extraEnv['GT_PHASE'] = phase;
    if (context.beadId !== undefined) this.extraEnv['GT_BEAD_ID'] = context.beadId;
    if (context.gateOutput !== undefined) this.extraEnv['GT_GATE_OUTPUT'] = context.gateOutput;
    if (context.conflict !== undefined) {
      this.extraEnv['GT_CONFLICT_TARGET'] = context.conflict.target;
      this.extraEnv['GT_CONFLICT_ONTO'] = context.conflict.onto;
    }
  }

  /** Runs the script's steps for this runner's phase, or the phase's default when it has none. */
  async runPhase(script: Script): Promise<void> {
    const { phase } = this.options;
    const steps = script[phase];
    if (steps !== undefined) {
      this.say(`phase ${phase}: ${steps.length} step${steps.length === 1 ? '' : 's'}`);
      await this.runSteps(steps);
    } else if (phase === 'fix') this.defaultFix();
    else await this.defaultConflict();
  }

  /** Reacts to one nudge (with `--stay`): the `on_nudge` steps, else `got: <text>`. */
  async onNudge(script: Script, text: string): Promise<void> {
    this.options.write(`got: ${text}\n`);
    if (script.on_nudge === undefined) return;
    this.extraEnv['GT_NUDGE_TEXT'] = text;
    this.say(`on_nudge: ${script.on_nudge.length} step${script.on_nudge.length === 1 ? '' : 's'}`);
    await this.runSteps(script.on_nudge);
  }

  /** Runs `steps` in order; `prefix` numbers steps nested in `once` (`2.`). */
  async runSteps(steps: readonly Step[], prefix = ''): Promise<void> {
    for (const [i, step] of steps.entries()) {
      const index = `${prefix}${i + 1}`;
      this.say(`step ${index}/${prefix}${steps.length} ${describeStep(step)}`);
      try {
        await this.runStep(step, index);
      } catch (err) {
        if (err instanceof StepError && !err.message.startsWith('step '))
          throw new StepError(`step ${index} (${stepKind(step)}) failed: ${err.message}`, { cause: err });
        throw err;
      }
    }
  }

  /** Kills the child a step is running, if any (its whole process group). */
  killCurrent(signal: NodeJS.Signals = 'SIGTERM'): void {
    const pid = this.currentPid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  private say(text: string): void {
    this.options.write(`${PREFIX} ${text}\n`);
  }

  private get env(): NodeJS.ProcessEnv {
    return { ...this.options.env, ...this.extraEnv };
  }

  private async runStep(step: Step, index: string): Promise<void> {
    const { write, input } = this.options;
    if ('write' in step) {
      const file = this.resolve(step.write);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, step.content);
    } else if ('append' in step) {
      const file = this.resolve(step.append);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.appendFileSync(file, step.content);
    } else if ('edit' in step) {
      const file = this.resolve(step.edit);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (cause) {
        throw new StepError(`cannot read ${step.edit}: it must exist to be edited`, { cause });
      }
      const at = text.indexOf(step.find);
      if (at < 0) throw new StepError(`${quote(step.find)} does not occur in ${step.edit}`);
      fs.writeFileSync(file, text.slice(0, at) + step.replace + text.slice(at + step.find.length));
    } else if ('delete' in step) {
      const file = this.resolve(step.delete);
      if (!fs.existsSync(file)) throw new StepError(`${step.delete} does not exist`);
      fs.rmSync(file, { recursive: true });
    } else if ('run' in step) {
      const code = await this.spawn('sh', ['-c', step.run], this.env);
      const expect = step.expect ?? 0;
      if (code !== expect)
        throw new StepError(`command ${quote(step.run)} exited ${code}, expected ${expect}`);
    } else if ('commit' in step) {
      await this.commit(step.commit, step.allow_empty === true);
    } else if ('gt' in step) {
      await this.town('gt', step.gt, step.expect ?? 0);
    } else if ('bd' in step) {
      await this.town('bd', step.bd, step.expect ?? 0);
    } else if ('done' in step) {
      await this.town('gt', ['done'], 0);
    } else if ('say' in step) {
      write(`${step.say}\n`);
    } else if ('sleep_ms' in step) {
      await sleep(step.sleep_ms);
    } else if ('crash' in step) {
      throw new AgentExit(step.crash, `crash step ${index}`);
    } else if ('hang' in step) {
      await new Promise<never>(() => setInterval(() => undefined, 1 << 30)); // until a signal
    } else if ('silent_ms' in step) {
      await sleep(step.silent_ms);
    } else if ('wait_input' in step) {
      write(`${step.wait_input}\n❯ \n`);
      let text: string;
      try {
        text = await input.next();
      } catch (cause) {
        throw new StepError(cause instanceof Error ? cause.message : String(cause), { cause });
      }
      write(`got: ${text}\n`);
    } else if ('ask_help' in step) {
      const subject = `HELP: ${step.ask_help.replace(/\s+/g, ' ').slice(0, 60)}`;
      await this.town('gt', ['mail', 'send', 'mayor', '-s', subject, '-m', step.ask_help], 0);
    } else {
      await this.once(step.once, step.steps, index);
    }
  }

  private resolve(rel: string): string {
    const root = fs.realpathSync(this.options.sandbox);
    const file = path.resolve(root, rel);
    let probe = file;
    while (!fs.existsSync(probe)) probe = path.dirname(probe);
    const real = fs.realpathSync(probe);
    if (real !== root && !real.startsWith(`${root}${path.sep}`))
      throw new StepError(`${rel} resolves outside the sandbox (${real})`);
    return file;
  }

  private async spawn(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
    const child = execa(file, args, {
      cwd: this.options.sandbox,
      env,
      extendEnv: false,
      stdin: 'ignore',
      stdout: 1,
      stderr: 1,
      reject: false,
      detached: true,
    });
    this.currentPid = child.pid;
    try {
      const r = await child;
      if (r.exitCode === undefined)
        throw new StepError(`${file} ${argv(args)} did not exit normally: ${r.signal ?? r.shortMessage}`);
      return r.exitCode;
    } finally {
      this.currentPid = undefined;
    }
  }

  private async town(tool: TownTool, args: readonly string[], expect: number): Promise<void> {
    const env = this.env;
    const cmd = townCommand(tool, args, env);
    const code = await this.spawn(cmd.file, cmd.args, townEnv(env));
    if (code !== expect) throw new StepError(`${tool} ${argv(args)} exited ${code}, expected ${expect}`);
  }

  private async git(args: readonly string[]): Promise<{ code: number; output: string }> {
    const r = await execa('git', args, {
      cwd: this.options.sandbox,
      env: this.options.env,
      extendEnv: false,
      stdin: 'ignore',
      all: true,
      reject: false,
    });
    return { code: r.exitCode ?? 1, output: r.all ?? '' };
  }

  private async identity(): Promise<string[]> {
    const env = this.options.env;
    if ((await this.git(['config', 'user.email'])).code === 0 || env['GIT_AUTHOR_EMAIL'] !== undefined)
      return [];
    const who = env['GT_AGENT_ADDRESS'] ?? 'scripted-agent';
    return ['-c', `user.name=${who}`, '-c', `user.email=${who.replaceAll('/', '.')}@gastown.invalid`];
  }

  private async commit(message: string, allowEmpty: boolean): Promise<void> {
    const add = await this.git(['add', '-A']);
    if (add.code !== 0) throw new StepError(`git add -A failed: ${tail(add.output)}`);
    const status = await this.git(['status', '--porcelain']);
    if (status.output.trim() === '' && !allowEmpty) {
      // A session restarted from the hook replays its script: the commit a predecessor made counts.
      const mine = await this.git(['log', '--format=%s', '-n', '50', 'HEAD', '--not', '--remotes=origin']);
      if (mine.code === 0 && mine.output.split('\n').some((l) => l.trim() === message.trim())) {
        this.say(`already committed by an earlier session: "${message}"`);
        return;
      }
      throw new StepError('nothing to commit (set "allow_empty": true to commit anyway)');
    }
    const r = await this.git([
      ...(await this.identity()),
      'commit',
      '-m',
      message,
      ...(allowEmpty ? ['--allow-empty'] : []),
    ]);
    if (r.output !== '') this.options.write(`${r.output.trimEnd()}\n`);
    if (r.code !== 0) throw new StepError(`git commit failed (exit ${r.code}): ${tail(r.output)}`);
  }

  private async once(key: string, steps: readonly Step[], index: string): Promise<void> {
    if (this.gitDir === undefined) {
      const r = await this.git(['rev-parse', '--absolute-git-dir']);
      if (r.code !== 0)
        throw new StepError(`"once" needs the sandbox to be a git work tree: ${tail(r.output)}`);
      this.gitDir = r.output.trim();
    }
    const marker = path.join(this.gitDir, 'gt-scripted', `once-${key}`);
    if (fs.existsSync(marker)) {
      this.say(`once ${quote(key)}: already done in this sandbox, skipped`);
      return;
    }
    fs.mkdirSync(path.dirname(marker), { recursive: true });
    fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
    await this.runSteps(steps, `${index}.`);
  }

  private defaultFix(): never {
    const gates = this.options.context.gateOutput;
    this.say('phase fix: the script has no "fix" steps; the gates failed with:');
    this.options.write(`${gates === undefined || gates === '' ? '(no gate output)' : gates.trimEnd()}\n`);
    throw new AgentExit(1, 'no fix steps');
  }

  private async defaultConflict(): Promise<void> {
    const onto = this.options.context.conflict?.onto;
    if (onto === undefined)
      throw new StepError('phase conflict: no rebase target (hook.conflict.onto, or --onto with --script)');
    this.say(`phase conflict: the script has no "conflict" steps; git rebase ${onto}`);
    const r = await this.git([...(await this.identity()), 'rebase', onto]);
    if (r.output !== '') this.options.write(`${r.output.trimEnd()}\n`);
    if (r.code !== 0) {
      await this.git(['rebase', '--abort']);
      this.say(`rebase onto ${onto} conflicts; aborted it, giving up`);
      throw new AgentExit(1, 'rebase conflicts');
    }
    this.say('rebased cleanly; gt done');
    await this.town('gt', ['done'], 0);
  }
}
