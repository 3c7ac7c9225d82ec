import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { pidAlive } from '../../../actors/runtime/process.js';
import {
  NUDGE_FILE_ENV,
  SubprocessRuntime,
  createRuntime,
  nudgeFileFor,
  waitReady,
  type NudgeLine,
  type SessionHandle,
  type SessionSpec,
} from '../../../actors/runtime/index.js';
import { autogroupNice, niceOf } from '../../harness/proc.js';
import { waitFor } from '../../harness/town.js';

// A headless agent: prints lines, follows its nudge file, `spawn` starts a child in its group.
const AGENT = `
import fs from 'node:fs';
import { spawn } from 'node:child_process';
const nudges = process.env.${NUDGE_FILE_ENV};
let seen = 0;
console.log('agent up in ' + process.cwd() + ' with ' + process.env.GREETING + ' leak=' + (process.env.GT_TEST_UNSET ?? 'none'));
process.on('SIGINT', () => console.log('sigint'));
setInterval(() => {
  const lines = fs.readFileSync(nudges, 'utf8').split('\\n').filter(Boolean);
  for (const line of lines.slice(seen)) {
    const { text } = JSON.parse(line);
    if (text === 'spawn') {
      const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
      console.log('child ' + child.pid);
    } else if (text === 'exit') {
      process.exit(0);
    } else console.log('nudge: ' + text);
  }
  seen = lines.length;
}, 20);
if (process.env.READY_FILE) fs.writeFileSync(process.env.READY_FILE, 'ok');
console.log('agent> ');
`;

process.env['GT_TEST_UNSET'] = 'leaked';
const runtime = new SubprocessRuntime();
const pids = new Set<number>();
let dir: string;
let agent: string;

function spec(name: string, extra: Partial<SessionSpec> = {}): SessionSpec {
  return {
    name,
    cwd: dir,
    command: process.execPath,
    args: [agent],
    env: { GREETING: 'hello env', READY_FILE: path.join(dir, `${name}.ready`) },
    unset: ['GT_TEST_UNSET'],
    logFile: path.join(dir, 'logs', `${name}.log`),
    ready: { kind: 'prompt', prefix: 'agent> ' },
    ...extra,
  };
}

async function started(name: string): Promise<SessionHandle> {
  const s = spec(name);
  const handle = await runtime.start(s);
  if (handle.pid !== null) pids.add(handle.pid);
  await waitReady(runtime, handle, s.ready, { timeoutMs: 10_000 });
  return handle;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-subprocess-'));
  agent = path.join(dir, 'agent.mjs');
  fs.writeFileSync(agent, AGENT);
});

afterAll(() => {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SubprocessRuntime', () => {
  it('starts a detached process that logs to the session log and becomes ready', async () => {
    const h = await started('up');
    const s = spec('up');
    expect(h).toMatchObject({
      kind: 'subprocess',
      name: 'up',
      logFile: s.logFile,
      nudgeFile: nudgeFileFor(s.logFile),
    });
    expect(h.nudgeFile).toBe(path.join(dir, 'logs', 'up.nudges.jsonl'));
    expect(await runtime.isAlive(h)).toBe(true);
    expect(await runtime.capture(h)).toContain(`agent up in ${dir} with hello env leak=none`);
    expect(await runtime.isReady(h, { kind: 'file', path: path.join(dir, 'up.ready') })).toBe(true);
    expect(await runtime.isReady(h, { kind: 'file', path: path.join(dir, 'nope') })).toBe(false);
    expect(await runtime.isReady(h, { kind: 'delay', ms: 60_000 })).toBe(false);
    expect(await runtime.isReady(h, { kind: 'delay', ms: 0 })).toBe(true);
    expect(runtime.attach(h)).toEqual({ command: 'tail', args: ['-n', '200', '-F', s.logFile] });
    await runtime.stop(h, 1_000);
  });

  it('send appends to the nudge file and the program reacts; capture is the log tail', async () => {
    const h = await started('nudged');
    const before = await runtime.lastActivity(h);
    await runtime.send(h, 'hello');
    await runtime.send(h, 'second "line"');
    const lines = fs
      .readFileSync(h.nudgeFile!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as NudgeLine);
    expect(lines.map((l) => l.text)).toEqual(['hello', 'second "line"']);
    expect(Number.isNaN(Date.parse(lines[0]!.at))).toBe(false);
    await waitFor('the program to react', async () =>
      (await runtime.capture(h)).includes('nudge: second "line"'),
    );
    expect(await runtime.capture(h, 2)).toBe('nudge: hello\nnudge: second "line"');
    const after = await runtime.lastActivity(h);
    expect(after!.getTime()).toBeGreaterThanOrEqual(before!.getTime());
    await runtime.interrupt(h);
    await waitFor('SIGINT to arrive', async () => (await runtime.capture(h, 1)) === 'sigint');
    await runtime.stop(h, 1_000);
  });

  it('the process survives the process that started it; a new runtime finds it from the handle JSON', async () => {
    const dist = path.resolve(path.dirname(inject('gtBin')), '..', 'dist', 'actors', 'runtime', 'index.js');
    const s = spec('orphan');
    const starter = `
      const { SubprocessRuntime } = await import(${JSON.stringify(dist)});
      const h = await new SubprocessRuntime().start(${JSON.stringify(s)});
      console.log(JSON.stringify(h));
    `;
    const r = await execa(process.execPath, ['--input-type=module', '-e', starter], { timeout: 15_000 });
    const persisted = r.stdout.trim();
    const handle = JSON.parse(persisted) as SessionHandle;
    pids.add(handle.pid!);
    const fresh = createRuntime('subprocess', { town: 'any' });
    await waitReady(fresh, handle, s.ready, { timeoutMs: 10_000 });
    expect(await fresh.isAlive(JSON.parse(persisted) as SessionHandle)).toBe(true);
    await fresh.send(handle, 'still here');
    await waitFor('it keeps logging', async () =>
      (await fresh.capture(handle)).includes('nudge: still here'),
    );
    await fresh.stop(handle, 1_000);
    expect(await fresh.isAlive(handle)).toBe(false);
  });

  it('stop kills the whole process group, children included, and is idempotent', async () => {
    const h = await started('family');
    await runtime.send(h, 'spawn');
    const line = await waitFor(
      'a child',
      async () => /child (\d+)/.exec(await runtime.capture(h)) ?? undefined,
    );
    const child = Number(line[1]);
    expect(pidAlive(child)).toBe(true);
    await runtime.stop(h, 1_000);
    expect(pidAlive(h.pid!)).toBe(false);
    expect(pidAlive(child)).toBe(false);
    expect(await runtime.isAlive(h)).toBe(false);
    await runtime.stop(h, 1_000);
    await expect(runtime.send(h, 'x')).rejects.toMatchObject({ code: 'runtime.not_running' });
    await expect(runtime.interrupt(h)).rejects.toMatchObject({ code: 'runtime.not_running' });
  });

  it('isAlive turns false when the program exits on its own', async () => {
    const h = await started('leaves');
    await runtime.send(h, 'exit');
    await waitFor('exit', async () => !(await runtime.isAlive(h)));
    await runtime.stop(h, 500);
  });

  it('never claims or signals a reused pid that is not its session', async () => {
    const stranger: SessionHandle = {
      kind: 'subprocess',
      name: 'someone-else',
      pid: process.pid,
      logFile: path.join(dir, 'logs', 'stranger.log'),
      startedAt: new Date().toISOString(),
    };
    expect(await runtime.isAlive(stranger)).toBe(false);
    await runtime.stop(stranger, 100);
    expect(pidAlive(process.pid)).toBe(true);
  });

  it('nice: the agent, its session and what it starts run at that niceness; the daemon keeps its own', async () => {
    const before = niceOf(process.pid);
    const s = spec('niced', { nice: 13 });
    const h = await runtime.start(s);
    pids.add(h.pid!);
    await waitReady(runtime, h, s.ready, { timeoutMs: 10_000 });
    const expected = Math.min(19, niceOf(process.pid) + 13);
    expect(niceOf(h.pid!)).toBe(expected);
    if (autogroupNice(process.pid) !== null) expect(autogroupNice(h.pid!)).toBe(13);
    await runtime.send(h, 'spawn');
    const line = await waitFor(
      'a child',
      async () => /child (\d+)/.exec(await runtime.capture(h)) ?? undefined,
    );
    expect(niceOf(Number(line[1]))).toBe(expected);
    expect(niceOf(process.pid)).toBe(before);
    if (autogroupNice(process.pid) !== null) expect(autogroupNice(process.pid)).not.toBe(13);
    await runtime.stop(h, 1_000);
    await expect(runtime.start(spec('badnice', { nice: 20 }))).rejects.toMatchObject({
      code: 'runtime.invalid_spec',
    });
    await expect(runtime.start(spec('badnice', { nice: -1 }))).rejects.toMatchObject({
      code: 'runtime.invalid_spec',
    });
  });

  it('a command that cannot run is runtime.start_failed', async () => {
    await expect(runtime.start(spec('nocmd', { command: path.join(dir, 'missing') }))).rejects.toMatchObject({
      code: 'runtime.start_failed',
    });
    await expect(runtime.start(spec('nocwd', { cwd: path.join(dir, 'missing') }))).rejects.toMatchObject({
      code: 'runtime.start_failed',
    });
  });
});
