import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemonProcess, stopDaemon } from '../../actors/daemon/daemon-control.js';
import { connectToTown, requestTownStatus } from '../../actors/daemon/town-client.js';
import { installTown } from '../../actors/town/install.js';
import { readTownConfig, townPaths } from '../../actors/town/town-config.js';
import { runBd } from '../harness/bd.js';
import { DAEMON_ENTRY, GT_BIN, runGt, townFixtures, waitFor } from '../harness/town.js';

const fx = townFixtures();
afterAll(() => fx.cleanup());

/** Starts `gt <args>` in the background and resolves once it printed its "attached" line on stderr. */
async function attach(args: string[], cwd: string) {
  const child = execa(process.execPath, [GT_BIN, ...args], { cwd, reject: false, stdin: 'ignore' });
  fx.track(child.pid);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(
    'the observer to attach',
    () => /^(tracing|feed of)/m.test(stderr) || child.exitCode !== null,
  );
  // Wrapped: an async function returning the subprocess (a thenable) would wait for it to exit.
  return { child };
}

describe('gt trace and gt feed', () => {
  let root: string;
  beforeEach(async () => {
    root = path.join(fx.dir(), 'alpha');
    await installTown(root);
    const started = await startDaemonProcess(root, { entry: DAEMON_ENTRY });
    fx.track(started.pid);
    const bus = await connectToTown(readTownConfig(root), 'gt-test');
    fx.track((await requestTownStatus(bus, 'alpha')).nats_pid);
    await bus.close(500);
  });
  afterEach(async () => {
    await stopDaemon(root, 2_000);
    await fx.cleanup();
  });

  it('prints the bead.created of a `bd create` made through the CLI', async () => {
    const { child: trace } = await attach(
      ['trace', 'gt.*.evt.>', '--json', '--count', '1', '--timeout', '20000'],
      root,
    );
    const created = await runBd(['create', 'Seen by an observer', '--json'], {
      cwd: townPaths(root).beadsRepo,
    });
    expect(created.code, created.stderr).toBe(0);
    const id = created.json<{ id: string }>().id;
    const done = await trace;
    expect(done.exitCode).toBe(0);
    const line = JSON.parse(String(done.stdout).trim()) as {
      subject: string;
      envelope: { type: string; body: { bead: { id: string } } };
    };
    expect(line.subject).toBe('gt.alpha.evt.bead.created');
    expect(line.envelope.type).toBe('bead.created');
    expect(line.envelope.body.bead.id).toBe(id);

    const feed = await runGt(['feed', '--since', '1h', '--no-follow', '--json'], { cwd: root });
    expect(feed.code, feed.stderr).toBe(0);
    expect(feed.stdout).toContain(id);
    const problems = await runGt(['feed', '--since', '1h', '--no-follow', '--problems', '--json'], {
      cwd: root,
    });
    expect(problems.code, problems.stderr).toBe(0);
    expect(problems.stdout.trim()).toBe('');
  });

  it('shows invalid traffic, follows one trace, refuses bad patterns', async () => {
    const { child: trace } = await attach(
      ['trace', 'gt.alpha.evt.>', '--count', '1', '--timeout', '20000'],
      root,
    );
    const bus = await connectToTown(readTownConfig(root), 'gt-test');
    bus.nats.publish('gt.alpha.evt.thing.failed', new TextEncoder().encode('not json'));
    await bus.flush();
    await bus.close(500);
    const done = await trace;
    expect(String(done.stdout)).toMatch(/INVALID on gt\.alpha\.evt\.thing\.failed/);

    const { child: traced } = await attach(
      ['trace', 'gt.alpha.evt.>', '--json', '--trace', 'ab'.repeat(16), '--timeout', '1500'],
      root,
    );
    await runBd(['create', 'Another trace', '--json'], { cwd: townPaths(root).beadsRepo });
    const none = await traced;
    expect(none.exitCode).toBe(0);
    expect(String(none.stdout).trim()).toBe('');

    const bad = await runGt(['trace', 'gt.>.x'], { cwd: root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a subject pattern/);
  });

  it('says the town is not running when it is down', async () => {
    await stopDaemon(root, 2_000);
    const r = await runGt(['feed', '--json', '--timeout', '1000'], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/town alpha at nats:[^:]*:[0-9]*: start it with `gt up`/);
  });
});
