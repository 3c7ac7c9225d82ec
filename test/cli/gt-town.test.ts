import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectToTown, requestTownStatus } from '../../actors/daemon/town-client.js';
import { readTownConfig } from '../../actors/town/town-config.js';
import { connectTown } from '../../cli/gt/connect.js';
import { alive, runGt, townFixtures, waitFor } from '../harness/town.js';

interface StatusJson {
  town: string;
  running: boolean;
  pid: number | null;
  nats_url: string | null;
  nats_pid?: number | null;
  actors: unknown[];
}

const fx = townFixtures();
afterAll(() => fx.cleanup());

describe('gt install', () => {
  it('creates the layout, the beads repository and a 0600 town.json', async () => {
    const root = path.join(fx.dir(), 'My Town');
    const r = await runGt(['install', root, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ town: 'my-town', root, prefix: 'my-town' });
    for (const p of ['rigs', '.gt', 'beads/.git', 'beads/.beads/beads.db', 'beads/.beads/issues.jsonl'])
      expect(fs.existsSync(path.join(root, p)), p).toBe(true);
    expect(fs.statSync(path.join(root, 'town.json')).mode & 0o777).toBe(0o600);
    const config = readTownConfig(root);
    expect(config.name).toBe('my-town');
    expect(config.nats).toMatchObject({ mode: 'managed', user: 'gt-my-town' });
    expect(r.stdout).not.toContain(config.nats.mode === 'managed' ? config.nats.password : '?');
  });

  it('refuses an existing town, a non-empty directory and a bad name', async () => {
    const base = fx.dir();
    const town = path.join(base, 'alpha');
    expect((await runGt(['install', town])).code).toBe(0);
    const again = await runGt(['install', town, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr)).toMatchObject({ code: 'town.exists' });

    const busy = path.join(base, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'file'), 'x');
    const notEmpty = await runGt(['install', busy, '--json']);
    expect(JSON.parse(notEmpty.stderr)).toMatchObject({ code: 'town.dir_not_empty' });

    const bad = await runGt(['install', path.join(base, 'x'), '--name', 'Bad_Name']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid town name "Bad_Name"');
  });
});

describe('gt up / status / down', () => {
  let root: string;
  beforeAll(async () => {
    root = path.join(fx.dir(), 'alpha');
    expect((await runGt(['install', root])).code).toBe(0);
  });

  it('status works while the town is stopped, and bus commands say to run gt up', async () => {
    const s = await runGt(['status', '--json'], { cwd: root });
    expect(s.code, s.stderr).toBe(0);
    expect(s.json<StatusJson>()).toMatchObject({ town: 'alpha', running: false, pid: null });
    expect((await runGt(['status'], { cwd: root })).stdout).toContain('not running');
    await expect(connectTown(root)).rejects.toThrow('town alpha is not running: start it with `gt up`');
  });

  it('up starts the daemon; status shows its pid and url; it answers; up again is a no-op', async () => {
    const up = await runGt(['up', '--json'], { cwd: root });
    expect(up.code, up.stderr).toBe(0);
    const started = up.json<{ pid: number; nats_url: string; already_running: boolean }>();
    fx.track(started.pid);
    expect(started.already_running).toBe(false);
    expect(alive(started.pid)).toBe(true);

    const s = await runGt(['status', '--json', '--town', root]);
    expect(s.code, s.stderr).toBe(0);
    const status = s.json<StatusJson>();
    fx.track(status.nats_pid);
    expect(status).toMatchObject({
      town: 'alpha',
      running: true,
      pid: started.pid,
      nats_url: started.nats_url,
    });
    expect(status.actors).toBeInstanceOf(Array);

    const bus = await connectToTown(readTownConfig(root), 'gt-test');
    try {
      expect((await requestTownStatus(bus, 'alpha')).pid).toBe(started.pid);
    } finally {
      await bus.close();
    }

    const again = await runGt(['up'], { cwd: root });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`already running: daemon pid ${started.pid}`);
    expect(fs.readFileSync(path.join(root, '.gt', 'daemon.pid'), 'utf8').trim()).toBe(String(started.pid));
  });

  it('down stops the daemon within the grace and removes its files', async () => {
    const pid = Number(fs.readFileSync(path.join(root, '.gt', 'daemon.pid'), 'utf8'));
    const t0 = Date.now();
    const down = await runGt(['down', '--grace', '3000', '--json'], { cwd: root });
    expect(down.code, down.stderr).toBe(0);
    expect(down.json()).toMatchObject({ pid, stopped: true, killed: false });
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(alive(pid)).toBe(false);
    for (const f of ['daemon.pid', 'daemon.ready.json', 'nats/nats.pid'])
      expect(fs.existsSync(path.join(root, '.gt', f)), f).toBe(false);
    await waitFor('status to say stopped', async () => {
      const s = await runGt(['status', '--json'], { cwd: root });
      return s.json<StatusJson>().running === false;
    });
    expect((await runGt(['down'], { cwd: root })).stdout).toContain('is not running');
  });
});
