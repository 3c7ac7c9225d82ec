import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemonProcess, stopDaemon } from '../../actors/daemon/daemon-control.js';
import { connectToTown, daemonPid, requestTownStatus } from '../../actors/daemon/town-client.js';
import type { TownStatusReply } from '../../actors/daemon/daemon.js';
import { installTown } from '../../actors/town/install.js';
import { readTownConfig } from '../../actors/town/town-config.js';
import { alive, DAEMON_ENTRY, runGt, townFixtures, waitFor } from '../harness/town.js';

const fx = townFixtures();
afterAll(() => fx.cleanup());

async function status(root: string, timeoutMs = 1_000): Promise<TownStatusReply> {
  const bus = await connectToTown(readTownConfig(root), 'gt-test');
  try {
    return await requestTownStatus(bus, 'alpha', timeoutMs);
  } finally {
    await bus.close(500);
  }
}

describe('town daemon', () => {
  let root: string;
  beforeEach(async () => {
    root = path.join(fx.dir(), 'alpha');
    await installTown(root);
    const started = await startDaemonProcess(root, { entry: DAEMON_ENTRY });
    fx.track(started.pid);
    fx.track((await status(root)).nats_pid);
  });
  afterEach(async () => {
    await stopDaemon(root, 2_000);
    await fx.cleanup();
  });

  it('restarts the managed nats-server after kill -9 and answers again', async () => {
    const before = await status(root);
    expect(before.nats_pid).not.toBeNull();
    process.kill(before.nats_pid as number, 'SIGKILL');
    const after = await waitFor('the daemon to answer with a new nats-server', async () => {
      const s = await status(root);
      return s.nats_pid !== null && s.nats_pid !== before.nats_pid ? s : false;
    });
    fx.track(after.nats_pid);
    expect(after.pid).toBe(before.pid);
    expect(after.nats_restarts).toBe(1);
    expect(alive(after.nats_pid as number)).toBe(true);
    const log = fs.readFileSync(path.join(root, '.gt', 'daemon.log'), 'utf8');
    expect(log).toContain('nats-server exited; restarting');
  });

  it('comes back with `gt up` after the daemon is killed with -9 (stale pid file, orphaned nats-server)', async () => {
    const before = await status(root);
    process.kill(before.pid, 'SIGKILL');
    await waitFor('the daemon to die', () => !alive(before.pid));
    expect(daemonPid(root)).toBeNull();
    expect(fs.existsSync(path.join(root, '.gt', 'daemon.pid'))).toBe(true);

    const up = await runGt(['up', '--json'], { cwd: root });
    expect(up.code, up.stderr).toBe(0);
    const started = up.json<{ pid: number; already_running: boolean }>();
    fx.track(started.pid);
    expect(started.already_running).toBe(false);
    expect(started.pid).not.toBe(before.pid);
    const after = await status(root);
    fx.track(after.nats_pid);
    expect(after.pid).toBe(started.pid);
    expect(alive(before.nats_pid as number)).toBe(false);
  });

  it('refuses a second daemon for the same town', async () => {
    const { execa } = await import('execa');
    const second = await execa(process.execPath, [DAEMON_ENTRY, root], { reject: false, timeout: 10_000 });
    expect(second.exitCode).toBe(1);
    const log = fs.readFileSync(path.join(root, '.gt', 'daemon.log'), 'utf8');
    expect(log).toContain('town alpha is already running');
    expect(daemonPid(root)).toBe((await status(root)).pid);
  });

  it('starts exactly one daemon when two `gt up` race over a stale pid file', async () => {
    const before = await status(root);
    process.kill(before.pid, 'SIGKILL');
    await waitFor('the daemon to die', () => !alive(before.pid));
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([
        runGt(['up', '--json'], { cwd: root }),
        runGt(['up', '--json'], { cwd: root }),
      ]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      const ra = a.json<{ pid: number; already_running: boolean }>();
      const rb = b.json<{ pid: number; already_running: boolean }>();
      fx.track(ra.pid);
      fx.track(rb.pid);
      expect(ra.pid).toBe(rb.pid);
      expect(daemonPid(root)).toBe(ra.pid);
      const s = await status(root);
      fx.track(s.nats_pid);
      expect(s.pid).toBe(ra.pid);
      process.kill(ra.pid, 'SIGKILL');
      await waitFor('the daemon to die', () => !alive(ra.pid));
    }
  });
});
