import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessionLogPath } from '../../actors/agent/session-paths.js';
import { startDaemonProcess, stopDaemon } from '../../actors/daemon/daemon-control.js';
import { townPaths } from '../../actors/town/town-config.js';
import { sendMail } from '../../beads/mail.js';
import { SqliteBeadStore } from '../../beads/store.js';
import type { Bead } from '../../beads/types.js';
import { beadScript, runPrime } from '../../cli/scripted-agent/prime.js';
import { DAEMON_ENTRY, GT_BIN, runGt, townFixtures } from '../harness/town.js';

const fx = townFixtures();
afterAll(() => fx.cleanup());

const NUX = 'alpha/web/polecats/nux';
const SCRIPT = { work: [{ say: 'rig default' }, { done: true }] };

describe('gt prime, gt hook, gt seance', () => {
  let root: string;
  let sandbox: string;
  let bead: Bead;

  function withStore<T>(fn: (store: SqliteBeadStore) => T): T {
    const store = SqliteBeadStore.open(townPaths(root).dbPath);
    try {
      return fn(store);
    } finally {
      store.close();
    }
  }

  beforeEach(async () => {
    root = path.join(fx.dir(), 'alpha');
    const installed = await runGt(['install', root]);
    expect(installed.code, installed.stderr).toBe(0);
    fs.mkdirSync(path.join(root, 'rigs', 'web'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'rigs', 'web', 'rig.json'),
      JSON.stringify({
        version: 1,
        name: 'web',
        url: '/nowhere/web.git',
        default_branch: 'main',
        prefix: 'web',
        gates: [{ name: 'test', cmd: 'npm test', timeout_ms: 60_000 }],
        max_polecats: 4,
        created_at: '2026-12-01T00:00:00Z',
        script: SCRIPT,
      }),
    );
    bead = withStore((store) =>
      store.create(
        {
          title: 'Add a CSV parser',
          acceptance_criteria: 'parse("a,b") returns two fields',
          prefix: 'web',
          status: 'hooked',
          assignee: NUX,
          metadata: { script: { work: [{ say: 'from the bead' }] } },
        },
        'alpha/mayor',
      ),
    );
    sandbox = path.join(root, 'rigs', 'web', 'polecats', 'nux');
    fs.mkdirSync(path.join(sandbox, 'src'), { recursive: true });
    await execa('git', ['init', '-q', '-b', `polecat/nux/${bead.id}`], { cwd: sandbox });
  });
  afterEach(async () => {
    await stopDaemon(root, 2_000);
    await fx.cleanup();
  });

  it('gt prime --json in a sandbox, town down: the contract the scripted agent parses', async () => {
    const p = await runPrime(path.join(sandbox, 'src'), { ...process.env, GT_BIN, GT_AGENT_ADDRESS: '' });
    expect(p).toMatchObject({
      role: 'polecat',
      agent: NUX,
      rig: 'web',
      sandbox,
      branch: `polecat/nux/${bead.id}`,
      hook: { kind: 'work', bead: { id: bead.id, title: 'Add a CSV parser' } },
      mail: [],
      rig_script: SCRIPT,
    });
    expect(p.hook === null ? null : beadScript(p.hook)).toEqual({ work: [{ say: 'from the bead' }] });
  });

  it('gt prime prints the briefing; --hook the short header and reads the session JSON on stdin', async () => {
    const text = await runGt(['prime'], { cwd: sandbox });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Work is on your hook: start now, no confirmation needed.');
    expect(text.stdout).toContain('Add a CSV parser');
    expect(text.stdout).toContain('parse("a,b") returns two fields');
    expect(text.stdout).toContain('`gt done`');
    expect(text.stdout).toContain('`npm test`');

    const piped = await execa(process.execPath, [GT_BIN, 'prime', '--hook'], {
      cwd: sandbox,
      input: JSON.stringify({ session_id: 'sess-42', source: 'startup', hook_event_name: 'SessionStart' }),
      reject: false,
    });
    expect(piped.exitCode, piped.stderr).toBe(0);
    expect(piped.stdout.split('\n')[0]).toBe(
      `[gt prime --hook] ${NUX} · polecat · rig web · branch polecat/nux/${bead.id} · session sess-42 (startup)`,
    );
    expect(piped.stdout).toContain('Add a CSV parser');

    // stdin held open and silent: gt prime --hook does not wait for it.
    const started = Date.now();
    const open = execa(process.execPath, [GT_BIN, 'prime', '--hook', '--json'], {
      cwd: sandbox,
      stdin: 'pipe',
      reject: false,
    });
    const held = await open;
    expect(held.exitCode, held.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((JSON.parse(held.stdout) as { hook: { bead: { id: string } } }).hook.bead.id).toBe(bead.id);
  });

  it('GT_AGENT_ADDRESS names the agent from anywhere; a malformed one is a clear error', async () => {
    const ok = await runGt(['prime', '--json'], { cwd: root, env: { GT_AGENT_ADDRESS: 'web/polecats/nux' } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json()).toMatchObject({ agent: NUX, role: 'polecat', hook: { bead: { id: bead.id } } });
    const bad = await runGt(['prime', '--json'], { cwd: root, env: { GT_AGENT_ADDRESS: 'web/polecats/' } });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr) as { code: string }).toMatchObject({ code: 'agent.bad_address' });
    const mismatch = await runGt(['prime', '--json'], { cwd: sandbox, env: { GT_ROLE: 'crew' } });
    expect(mismatch.json<{ warnings: string[] }>().warnings.join('\n')).toContain('GT_ROLE is crew');
    const overseer = await runGt(['prime', '--json'], { cwd: root });
    expect(overseer.json()).toMatchObject({ agent: 'alpha/overseer', role: 'overseer', hook: null });
  });

  it('an unreadable store is a loud warning not to run gt done, never "no work"', async () => {
    fs.renameSync(townPaths(root).dbPath, `${townPaths(root).dbPath}.away`);
    const text = await runGt(['prime'], { cwd: sandbox });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('Do NOT run `gt done`');
    expect(text.stdout).not.toContain('Nothing is on your hook');
    const hooked = await runGt(['prime', '--hook'], { cwd: sandbox });
    expect(hooked.code).toBe(0);
    expect(hooked.stdout).toContain('Do NOT run `gt done`');
    const json = await runGt(['prime', '--json'], { cwd: sandbox });
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr) as { code: string }).toMatchObject({ code: 'prime.store_unreadable' });
    const hook = await runGt(['hook', 'web/polecats/nux'], { cwd: root });
    expect(hook.code).toBe(1);
    expect(hook.stderr).toContain('UNKNOWN');
  });

  it('gt hook shows what is on an agent hook: kind, bead status, merge request state', async () => {
    const mine = await runGt(['hook', '--json'], { cwd: sandbox });
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.json()).toMatchObject({
      agent: NUX,
      hook: { kind: 'work', bead_status: 'hooked', merge_request: null, bead: { id: bead.id } },
    });
    const mr = withStore((store) =>
      store.create(
        {
          title: 'Merge: Add a CSV parser',
          issue_type: 'merge-request',
          prefix: 'web',
          labels: ['gt:merge-request'],
          deps: [{ type: 'related', id: bead.id }],
          metadata: {
            mr: {
              source: bead.id,
              rig: 'web',
              branch: `polecat/nux/${bead.id}`,
              target: 'main',
              state: 'rejected',
              gate: 'test',
              gate_output: 'FAIL',
            },
          },
        },
        'alpha/web/refinery',
      ),
    );
    for (const agent of ['web/polecats/nux', 'alpha/web/polecats/nux']) {
      const other = await runGt(['hook', agent], { cwd: root });
      expect(other.code, other.stderr).toBe(0);
      expect(other.stdout).toContain(`${NUX}: ${bead.id} "Add a CSV parser" [hooked], kind fix`);
      expect(other.stdout).toContain(`merge request ${mr.id}: rejected (gate test)`);
    }
    const json = await runGt(['hook', 'web/polecats/nux', '--json'], { cwd: root });
    expect(json.json()).toMatchObject({
      hook: { kind: 'fix', gate_output: 'FAIL', merge_request: { state: 'rejected' } },
    });
    const empty = await runGt(['hook', 'web/polecats/ace'], { cwd: root });
    expect(empty.stdout.trim()).toBe("Nothing is on alpha/web/polecats/ace's hook.");
    const refinery = await runGt(['hook', 'web/refinery'], { cwd: root });
    expect(refinery.code).toBe(1);
  });

  it('gt seance lists and shows predecessor sessions from the session log dir', async () => {
    const paths = townPaths(root);
    const write = (at: string, text: string) => {
      const file = sessionLogPath(paths, NUX, new Date(at));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    };
    write('2026-12-01T09:00:00.000Z', 'starting\nI crashed\n');
    write('2026-12-01T10:00:00.000Z', 'resumed\nstep 1\nstep 2\nran gt done\n');

    const list = await runGt(['seance', 'web/polecats/nux', '--list', '--json'], { cwd: root });
    expect(list.code, list.stderr).toBe(0);
    const sessions = list.json<{
      agent: string;
      sessions: Array<{ index: number; last_line: string; started_at: string }>;
    }>();
    expect(sessions.agent).toBe(NUX);
    expect(sessions.sessions.map((s) => [s.index, s.started_at, s.last_line])).toEqual([
      [1, '2026-12-01T09:00:00.000Z', 'I crashed'],
      [2, '2026-12-01T10:00:00.000Z', 'ran gt done'],
    ]);
    const human = await runGt(['seance', 'web/polecats/nux', '--list'], { cwd: root });
    expect(human.stdout).toMatch(/ {2}1 {2}2026-12-01T09:00:00\.000Z .* I crashed/);

    const last = await runGt(['seance', 'web/polecats/nux', '--tail', '2'], { cwd: root });
    expect(last.code, last.stderr).toBe(0);
    expect(last.stdout).toContain('session 2 of 2');
    expect(last.stdout).toContain('step 2\nran gt done');
    expect(last.stdout).not.toContain('step 1');
    const first = await runGt(['seance', 'web/polecats/nux', '--session', '1', '--json'], { cwd: root });
    expect(first.json()).toMatchObject({
      lines: ['starting', 'I crashed'],
      truncated: false,
      session: { index: 1 },
    });

    const none = await runGt(['seance', 'web/polecats/ace', '--json'], { cwd: root });
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stderr) as { code: string }).toMatchObject({ code: 'seance.no_sessions' });
    const noneList = await runGt(['seance', 'web/polecats/ace', '--list'], { cwd: root });
    expect(noneList.code).toBe(1);
    expect(noneList.stderr).toContain('has no session logs');
    expect((await runGt(['seance', 'web/polecats/nux', '--tail', 'x'], { cwd: root })).code).toBe(2);
  });

  it('works with the town up: reads the store read-only beside the daemon', async () => {
    withStore((store) =>
      sendMail(store, { from: 'alpha/mayor', to: NUX, subject: 'Ping', body: 'Still there?' }),
    );
    const started = await startDaemonProcess(root, { entry: DAEMON_ENTRY });
    fx.track(started.pid);
    const p = await runGt(['prime', '--json'], { cwd: sandbox });
    expect(p.code, p.stderr).toBe(0);
    expect(p.json()).toMatchObject({
      agent: NUX,
      role: 'polecat',
      mail: [{ subject: 'Ping', body: 'Still there?' }],
    });
    const hook = await runGt(['hook', 'web/polecats/nux', '--json'], { cwd: root });
    expect(hook.code, hook.stderr).toBe(0);
  });
});
