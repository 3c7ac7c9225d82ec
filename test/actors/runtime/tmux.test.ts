import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childProcesses, pidAlive } from '../../../actors/runtime/process.js';
import {
  RuntimeError,
  TmuxRuntime,
  createRuntime,
  tmuxSocket,
  waitReady,
  type SessionHandle,
  type SessionSpec,
} from '../../../actors/runtime/index.js';
import { autogroupNice, niceOf } from '../../harness/proc.js';
import { waitFor } from '../../harness/town.js';

// Inherited by the tmux server this file starts; sessions with `unset` must not see it.
process.env['GT_TEST_UNSET'] = 'leaked';
const town = `rt-test-${process.pid}`;
const socket = tmuxSocket(town);
const outer = `gt-rt-outer-${process.pid}`;
const runtime = new TmuxRuntime({ town, enterDelayMs: 50 });
const handles: SessionHandle[] = [];
let dir: string;

// A tiny interactive program: a prompt, echo each line, `sleep` runs a foreground sleep, `quit` exits.
const PROGRAM = [
  'trap "echo interrupted" INT',
  'echo "env=$GREETING arg=$1 cwd=$(pwd) leak=${GT_TEST_UNSET:-none}"',
  'while true; do printf "❯ "; read -r l || exit; case $l in sleep) sleep 1000;; quit) exit 0;; *) echo "got: $l";; esac; done',
].join('; ');

function spec(name: string, extra: Partial<SessionSpec> = {}): SessionSpec {
  return {
    name,
    cwd: dir,
    command: 'bash',
    args: ['-c', PROGRAM, 'bash', `it's "quoted" $HOME`],
    env: { GREETING: 'hi there' },
    unset: ['GT_TEST_UNSET'],
    logFile: path.join(dir, 'logs', `${name}.log`),
    ready: { kind: 'prompt', prefix: '❯ ' },
    ...extra,
  };
}

async function started(name: string, extra: Partial<SessionSpec> = {}): Promise<SessionHandle> {
  const s = spec(name, extra);
  const handle = await runtime.start(s);
  handles.push(handle);
  await waitReady(runtime, handle, s.ready, { timeoutMs: 10_000 });
  return handle;
}

function socketFile(name: string): string {
  const uid = os.userInfo().uid;
  return path.join(process.env['TMUX_TMPDIR'] ?? '/tmp', `tmux-${uid}`, name);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-tmux-'));
});

afterAll(async () => {
  for (const h of handles) await runtime.stop(h, 500).catch(() => undefined);
  for (const s of [socket, outer]) {
    await execa('tmux', ['-L', s, 'kill-server'], { reject: false });
    fs.rmSync(socketFile(s), { force: true });
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('TmuxRuntime', () => {
  it('starts a session that gets env, args and cwd, and becomes ready at its prompt', async () => {
    const h = await started('env-check');
    expect(h).toMatchObject({ kind: 'tmux', name: 'env-check', socket, logFile: spec('env-check').logFile });
    expect(JSON.parse(JSON.stringify(h))).toEqual(h);
    expect(h.pid).toBeGreaterThan(0);
    expect(await runtime.isAlive(h)).toBe(true);
    const options = await execa('tmux', [
      '-L',
      socket,
      'show-options',
      '-w',
      '-t',
      '=env-check:',
      'remain-on-exit',
    ]);
    expect(options.stdout.trim()).toBe('remain-on-exit off');
    const unattached = await execa('tmux', [
      '-L',
      socket,
      'show-options',
      '-t',
      '=env-check:',
      'destroy-unattached',
    ]);
    expect(unattached.stdout.trim()).toBe('destroy-unattached off');
    const screen = await runtime.capture(h);
    expect(screen).toContain(`env=hi there arg=it's "quoted" $HOME cwd=${fs.realpathSync(dir)} leak=none`);
    expect(await runtime.isReady(h, { kind: 'prompt', prefix: 'nope> ' })).toBe(false);
    expect(await runtime.isReady(h, { kind: 'delay', ms: 0 })).toBe(true);
    const flag = path.join(dir, 'ready-flag');
    expect(await runtime.isReady(h, { kind: 'file', path: flag })).toBe(false);
    fs.writeFileSync(flag, '');
    expect(await runtime.isReady(h, { kind: 'file', path: flag })).toBe(true);
  });

  it('nice: the pane program and its tmux session (autogroup) run at that niceness', async () => {
    const h = await started('niced', { nice: 11 });
    const server = Number((await execa('tmux', ['-L', socket, 'display-message', '-p', '#{pid}'])).stdout);
    expect(niceOf(h.pid!)).toBe(Math.min(19, niceOf(server) + 11));
    if (autogroupNice(process.pid) !== null) expect(autogroupNice(h.pid!)).toBe(11);
    await runtime.stop(h, 500);
  });

  it('without unset the agent inherits the environment', async () => {
    const h = await started('inherits', { unset: [] });
    expect(await runtime.capture(h)).toContain('leak=leaked');
    await runtime.stop(h, 1_000);
  });

  it('sends literal text and Enter; the output reaches the screen and the session log', async () => {
    const h = await started('echo');
    const before = await runtime.lastActivity(h);
    expect(before).toBeInstanceOf(Date);
    await runtime.send(h, 'hello');
    await waitFor('echo on screen', async () => (await runtime.capture(h)).includes('got: hello'));
    await runtime.send(h, '-n C-c "Enter" $x');
    await waitFor('literal echo', async () => (await runtime.capture(h)).includes('got: -n C-c "Enter" $x'));
    await waitFor('log has the output', () => fs.readFileSync(h.logFile, 'utf8').includes('got: hello'));
    const after = await waitFor('activity to move on', async () => {
      const at = await runtime.lastActivity(h);
      return at !== null && at.getTime() > before!.getTime() ? at : undefined;
    });
    expect(after.getTime()).toBeGreaterThan(before!.getTime());
    expect(await runtime.capture(h, 2)).toBe('got: -n C-c "Enter" $x\n❯');
  });

  it('interrupt stops the foreground command and the prompt comes back', async () => {
    const h = await started('intr');
    await runtime.send(h, 'sleep');
    const sleeper = await waitFor('sleep 1000 to run', () => childProcesses(h.pid!)[0]);
    expect(fs.readFileSync(`/proc/${sleeper}/cmdline`, 'utf8')).toContain('sleep');
    await runtime.interrupt(h);
    await waitFor('sleep to die', () => !pidAlive(sleeper));
    await waitFor('prompt back', async () => (await runtime.capture(h)).includes('interrupted'));
    await waitReady(runtime, h, { kind: 'prompt', prefix: '❯ ' }, { timeoutMs: 5_000 });
    expect(await runtime.isAlive(h)).toBe(true);
  });

  it('attach gives a command that attaches a client from another tmux server', async () => {
    const h = await started('attach');
    const cmd = runtime.attach(h);
    expect(cmd).toEqual({ command: 'tmux', args: ['-L', socket, 'attach', '-t', 'attach'] });
    const line = [cmd.command, ...cmd.args].map((w) => `'${w}'`).join(' ');
    const r = await execa('tmux', ['-L', outer, 'new-session', '-d', '-x', '80', '-y', '24', line], {
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    await waitFor('a client on the inner session', async () => {
      const c = await execa('tmux', ['-L', socket, 'list-clients', '-t', 'attach'], { reject: false });
      return c.exitCode === 0 && c.stdout.trim() !== '';
    });
    await execa('tmux', ['-L', outer, 'kill-server'], { reject: false });
    await waitFor('the client to leave', async () => {
      const c = await execa('tmux', ['-L', socket, 'list-clients', '-t', 'attach'], { reject: false });
      return c.exitCode === 0 && c.stdout.trim() === '';
    });
    expect(await runtime.isAlive(h)).toBe(true);
  });

  it('isAlive is false once the program exits on its own', async () => {
    const h = await started('quits');
    await runtime.send(h, 'quit');
    await waitFor('session to end', async () => !(await runtime.isAlive(h)));
    expect(pidAlive(h.pid!)).toBe(false);
    await expect(runtime.send(h, 'x')).rejects.toMatchObject({ code: 'runtime.not_running' });
    expect(await runtime.capture(h)).toContain('❯ quit');
    await runtime.stop(h);
  });

  it('stop ends the session and every process in it, and is idempotent', async () => {
    const h = await started('stopme');
    await runtime.send(h, 'sleep');
    const sleeper = await waitFor('sleep 1000 to run', () => childProcesses(h.pid!)[0]);
    await runtime.stop(h, 1_000);
    expect(await runtime.isAlive(h)).toBe(false);
    expect(pidAlive(h.pid!)).toBe(false);
    expect(pidAlive(sleeper)).toBe(false);
    const has = await execa('tmux', ['-L', socket, 'has-session', '-t', '=stopme'], { reject: false });
    expect(has.exitCode).not.toBe(0);
    await runtime.stop(h, 1_000);
    await createRuntime('tmux', { town }).stop(JSON.parse(JSON.stringify(h)) as SessionHandle);
  });

  it('a restarted daemon finds the session from the persisted handle', async () => {
    const h = await started('persisted');
    const again = createRuntime('tmux', { town });
    const copy = JSON.parse(JSON.stringify(h)) as SessionHandle;
    expect(await again.isAlive(copy)).toBe(true);
    await expect(runtime.start(spec('persisted'))).rejects.toMatchObject({ code: 'runtime.already_running' });
    await again.stop(copy, 1_000);
    expect(await runtime.isAlive(h)).toBe(false);
  });

  it('refuses bad specs and a missing command with coded errors', async () => {
    await expect(runtime.start(spec('bad.name'))).rejects.toMatchObject({ code: 'runtime.invalid_spec' });
    await expect(runtime.start(spec('nocmd', { command: 'gt-no-such-command' }))).rejects.toMatchObject({
      code: 'runtime.start_failed',
    });
    const sub = createRuntime('subprocess', { town });
    await expect(
      sub.isAlive({
        kind: 'tmux',
        name: 'x',
        pid: 1,
        logFile: '/tmp/x',
        startedAt: new Date().toISOString(),
      }),
    ).rejects.toMatchObject({ code: 'runtime.wrong_kind' });
  });

  it('a missing tmux binary is runtime.tmux_missing and says how to install it', async () => {
    const none = new TmuxRuntime({ town, tmuxBinary: path.join(dir, 'no-tmux-here') });
    const error = await none.start(spec('missing')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error).toMatchObject({ code: 'runtime.tmux_missing' });
    expect((error as Error).message).toContain('apt-get install tmux');
  });
});
