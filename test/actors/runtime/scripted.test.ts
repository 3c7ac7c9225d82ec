import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pidAlive } from '../../../actors/runtime/process.js';
import {
  ScriptedRuntime,
  createRuntime,
  scriptedCommand,
  waitReady,
  type SessionHandle,
} from '../../../actors/runtime/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pids = new Set<number>();
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-scripted-'));
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

describe('ScriptedRuntime', () => {
  it('scriptedCommand is this node and the package bin/gt-scripted-agent.js', async () => {
    expect(scriptedCommand()).toEqual({
      command: process.execPath,
      args: [path.join(root, 'bin', 'gt-scripted-agent.js')],
    });
    // From the built module (dist/actors/runtime/) it is ../../../bin of that build.
    const built = path.dirname(inject('gtBin'));
    const dist = path.resolve(built, '..', 'dist', 'actors', 'runtime', 'index.js');
    const r = await execa(process.execPath, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(dist)}); console.log(JSON.stringify(m.scriptedCommand()));`,
    ]);
    expect(JSON.parse(r.stdout)).toEqual({
      command: process.execPath,
      args: [path.join(built, 'gt-scripted-agent.js')],
    });
  });

  it('runs a stand-in agent as a headless session with handles of kind scripted', async () => {
    const agent = path.join(dir, 'stand-in.mjs');
    fs.writeFileSync(
      agent,
      "console.log('scripted ready ' + process.env.GT_NUDGE_FILE); setInterval(() => undefined, 1000);\n",
    );
    const runtime = createRuntime('scripted', { town: 'any' });
    expect(runtime).toBeInstanceOf(ScriptedRuntime);
    const logFile = path.join(dir, 'scripted.log');
    const ready = { kind: 'prompt', prefix: 'scripted ready' } as const;
    const h = await runtime.start({
      name: 'web-scripted',
      cwd: dir,
      command: process.execPath,
      args: [agent],
      env: {},
      logFile,
      ready,
    });
    if (h.pid !== null) pids.add(h.pid);
    expect(h).toMatchObject({ kind: 'scripted', name: 'web-scripted', logFile });
    await waitReady(runtime, h, ready, { timeoutMs: 10_000 });
    expect(await runtime.capture(h)).toBe(`scripted ready ${path.join(dir, 'scripted.nudges.jsonl')}`);
    await runtime.send(h, 'go');
    expect(fs.readFileSync(h.nudgeFile!, 'utf8')).toContain('"text":"go"');
    await expect(createRuntime('subprocess', { town: 'any' }).isAlive(h)).rejects.toMatchObject({
      code: 'runtime.wrong_kind',
    });
    await runtime.stop(h, 1_000);
    expect(pidAlive(h.pid!)).toBe(false);
    expect(await runtime.isAlive(JSON.parse(JSON.stringify(h)) as SessionHandle)).toBe(false);
    await runtime.stop(h, 1_000);
  });
});
