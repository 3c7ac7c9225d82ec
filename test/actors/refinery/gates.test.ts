import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGate } from '../../../actors/refinery/gates.js';
import { waitFor } from '../../harness/town.js';
import { cleanupTemp } from '../rig/rig-fixtures.js';
import { alive, makeRig } from './merge-fixtures.js';

afterAll(cleanupTemp);

describe('runGate', () => {
  it('passes GT_GATE and the env, keeps only the tail of the output, and reports the exit code', async () => {
    const rig = await makeRig();
    const gate = {
      name: 'noisy',
      cmd: 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo "$GT_GATE $EXTRA" >&2; exit 3',
      timeout_ms: 10_000,
    };
    const r = await runGate(gate, { cwd: rig.worktree, env: { EXTRA: 'x' }, maxOutputBytes: 100 });
    expect(r).toMatchObject({ ok: false, exitCode: 3, timedOut: false });
    expect(Buffer.byteLength(r.output)).toBeLessThanOrEqual(100);
    expect(r.output.endsWith('line 1999\nnoisy x\n')).toBe(true);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    const ok = await runGate({ name: 'ok', cmd: 'pwd', timeout_ms: 5_000 }, { cwd: rig.worktree });
    expect(ok).toMatchObject({ ok: true, exitCode: 0, output: `${fs.realpathSync(rig.worktree)}\n` });
  });
});

describe('runGate timeouts', () => {
  it('kills a gate group that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const rig = await makeRig();
    const pidFile = path.join(rig.scratch, 'stubborn.pid');
    const gate = {
      name: 'stubborn',
      cmd: `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait`,
      timeout_ms: 300,
    };
    const r = await runGate(gate, { cwd: rig.worktree, killGraceMs: 200 });
    expect(r).toMatchObject({ ok: false, exitCode: null, timedOut: true });
    expect(r.output).toContain('[gate stubborn timed out after 300 ms]');
    expect(r.durationMs).toBeLessThan(5_000);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await waitFor('the stubborn gate process to be gone', () => !alive(pid), 5_000);
  });
});
