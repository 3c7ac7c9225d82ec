import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectToTown } from '../../../actors/daemon/town-client.js';
import { readTownConfig } from '../../../actors/town/town-config.js';
import { createEnvelope } from '../../../bus/envelope.js';
import { cmd } from '../../../bus/subjects.js';
import { niceOf } from '../../harness/proc.js';
import { alive, waitFor } from '../../harness/town.js';
import { startWorkTown } from '../../harness/work-town.js';
import type { WorkTown } from '../../harness/work-town.js';

const FILES = { 'README.md': 'sample\n', 'test.sh': '#!/bin/sh\ntest ! -f broken\n' };

describe('sling to merge', () => {
  let town: WorkTown;
  beforeAll(async () => {
    town = await startWorkTown({ files: FILES, timing: { gupp_idle_ms: 1_500 } });
  });
  afterAll(async () => {
    await town.stop();
  });

  it('merges a slung bead and closes it only then, in its own convoy', async () => {
    const id = await town.bead('Add hello', [
      { write: 'hello.txt', content: 'hello\n' },
      { commit: 'add hello' },
      { done: true },
    ]);
    const sling = await town.gt(['sling', id, 'app', '--json']);
    expect(sling.code, sling.stderr).toBe(0);
    const reply = sling.json<{ convoy: string; beads: Array<{ bead: string; agent: string | null }> }>();
    expect(reply.beads[0]?.agent).toMatch(/^alpha\/app\/polecats\//);
    await town.waitClosed([id]);
    const bead = await town.show(id);
    expect(bead['close_reason']).toMatch(/^Merged in app-/);
    expect(await town.mainLog()).toContain('add hello');
    expect((await town.show(reply.convoy))['status']).toBe('closed');
    // The queue is empty, so the refinery deletes the merged branch from the upstream.
    const branches = async () =>
      (
        await execa('git', [
          '--git-dir',
          town.upstream,
          'for-each-ref',
          '--format=%(refname)',
          'refs/heads/polecat/',
        ])
      ).stdout;
    await waitFor(
      'the merged polecat branch deleted upstream',
      async () => (await branches()) === '',
      10_000,
    );
  });

  it('gt polecat add makes the sandbox up front; its sessions run at polecat_nice (default 19)', async () => {
    const add = await town.gt(['polecat', 'add', 'app', 'rictus', '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.json<{ polecats: string[] }>().polecats).toEqual(['rictus']);
    const sandbox = path.join(town.root, 'rigs', 'app', 'polecats', 'rictus');
    const head = await execa('git', ['rev-parse', 'HEAD'], { cwd: sandbox });
    const main = await execa('git', ['--git-dir', town.upstream, 'rev-parse', 'main']);
    expect(head.stdout).toBe(main.stdout);
    expect((await execa('git', ['status', '--porcelain'], { cwd: sandbox })).stdout).toBe('');
    const id = await town.bead('Record niceness', [
      { run: "cut -d' ' -f19 /proc/$$/stat > nice.txt" },
      { commit: 'record niceness' },
      { done: true },
    ]);
    expect((await town.gt(['sling', id, 'app/rictus'])).code).toBe(0);
    await town.waitClosed([id]);
    const shown = await execa('git', ['--git-dir', town.upstream, 'show', 'main:nice.txt']);
    expect(Number(shown.stdout.trim())).toBe(Math.min(19, niceOf(process.pid) + 19));
  });

  it('gt done refuses a branch without commits and a dirty tree, changing nothing; the polecat carries on', async () => {
    const id = await town.bead('Refused first', [
      { gt: ['done'], expect: 1 },
      { write: 'refused.txt', content: 'later\n' },
      { gt: ['done'], expect: 1 },
      { commit: 'refused first' },
      { done: true },
    ]);
    expect((await town.gt(['sling', id, 'app'])).code).toBe(0);
    await town.waitClosed([id]);
    const mrs = await town.mergeRequestsOf(id);
    expect(mrs).toHaveLength(1);
    expect((await town.mainLog()).filter((s) => s === 'refused first')).toHaveLength(1);
    const assignee = String((await town.show(id))['assignee']);
    const logs = path.join(town.root, '.gt', 'sessions', ...assignee.split('/').slice(1));
    const text = fs
      .readdirSync(logs)
      .filter((f) => f.endsWith('.log'))
      .map((f) => fs.readFileSync(path.join(logs, f), 'utf8'))
      .join('\n');
    expect(text).toMatch(/no commits that are not on main/);
    expect(text).toMatch(/uncommitted changes in the sandbox/);
  });

  it('gt done twice, and gt done killed halfway then run again, each give one merge request', async () => {
    const twice = await town.bead('Done twice', [
      { write: 'twice.txt', content: 'x\n' },
      { commit: 'done twice' },
      { done: true },
      { gt: ['done'] },
    ]);
    const killed = await town.bead('Done killed', [
      { write: 'killed.txt', content: 'y\n' },
      { commit: 'done killed' },
      { run: 'node "$GT_BIN" done & pid=$!; sleep 0.05; kill -9 $pid; wait $pid || true' },
      { done: true },
    ]);
    expect((await town.gt(['sling', twice, killed, 'app'])).code).toBe(0);
    await town.waitClosed([twice, killed]);
    for (const id of [twice, killed]) {
      const mine = await town.mergeRequestsOf(id);
      expect(mine, id).toHaveLength(1);
      expect(mine[0]?.['close_reason']).toBe('merged');
    }
    const log = await town.mainLog();
    expect(log.filter((s) => s === 'done twice')).toHaveLength(1);
    expect(log.filter((s) => s === 'done killed')).toHaveLength(1);
  });

  it('a red gate sends the bead back to its polecat, which fixes it; merged once', async () => {
    const id = await town.bead('Break then fix', {
      work: [{ write: 'broken', content: 'oops\n' }, { commit: 'break the tests' }, { done: true }],
      fix: [{ delete: 'broken' }, { commit: 'fix the tests' }, { done: true }],
    });
    expect((await town.gt(['sling', id, 'app'])).code).toBe(0);
    await town.waitClosed([id], 90_000);
    const mr = (await town.mergeRequests()).find(
      (m) => (m['metadata'] as { mr?: { source?: string } }).mr?.source === id,
    );
    expect((mr?.['metadata'] as { mr: { retry_count: number } }).mr.retry_count).toBe(1);
    expect(await town.mainLog()).toContain('fix the tests');
  });

  it('gt handoff recycles the session with a handoff mail to itself; the next session finishes the bead', async () => {
    const id = await town.bead('Hand off once', [
      {
        once: 'first-session',
        steps: [{ gt: ['handoff', '-s', 'context full', '-m', 'carry on'] }, { hang: true }],
      },
      { write: 'handoff.txt', content: 'done by the second session\n' },
      { commit: 'after handoff' },
      { done: true },
    ]);
    expect((await town.gt(['sling', id, 'app'])).code).toBe(0);
    await town.waitClosed([id], 90_000);
    expect(await town.mainLog()).toContain('after handoff');
    const mail = await town.bd(['list', '--all', '--type', 'message', '--json']);
    const handoff = mail.json<Array<Record<string, unknown>>>().find((m) => m['title'] === 'context full');
    expect(handoff?.['assignee']).toMatch(/^alpha\/app\/polecats\//);
  });

  it('nudges a session that sits idle with work on its hook (GUPP), and it carries on', async () => {
    const id = await town.bead('Wait for a nudge', [
      { wait_input: 'anything for me?' },
      { write: 'nudged.txt', content: 'nudged\n' },
      { commit: 'after the nudge' },
      { done: true },
    ]);
    expect((await town.gt(['sling', id, 'app'])).code).toBe(0);
    await town.waitClosed([id], 60_000);
    expect(await town.mainLog()).toContain('after the nudge');
  });

  it('answers a sling replayed with the same message id with its first reply, and hooks once', async () => {
    const id = await town.bead('Slung twice', [
      { write: 'twice-slung.txt', content: 'z\n' },
      { commit: 'slung twice' },
      { done: true },
    ]);
    const bus = await connectToTown(readTownConfig(town.root), 'test-replay');
    try {
      const env = createEnvelope('sling', {
        from: 'alpha/overseer',
        to: 'alpha/deacon',
        body: { actor: 'alpha/overseer', beads: [id], target: 'app', no_convoy: true },
      });
      const first = await bus.request(cmd('alpha', 'sling'), env);
      const second = await bus.request(cmd('alpha', 'sling'), env);
      expect(first.ok).toBe(true);
      expect(second).toEqual(first);
    } finally {
      await bus.close(500);
    }
    await town.waitClosed([id]);
    expect((await town.mainLog()).filter((s) => s === 'slung twice')).toHaveLength(1);
  });

  it('after kill -9 of the daemon mid-work and gt up, the polecat resumes and the bead merges once', async () => {
    const id = await town.bead('Survive a crash', [
      { write: 'crash.txt', content: 'before\n' },
      { commit: 'survive a crash' },
      { sleep_ms: 3_000 },
      { done: true },
    ]);
    expect((await town.gt(['sling', id, 'app'])).code).toBe(0);
    await waitFor(
      'the bead to be in progress',
      async () => (await town.show(id))['status'] === 'in_progress',
    );
    await town.killDaemon();
    await town.up();
    await town.waitClosed([id], 90_000);
    const mrs = await town.mergeRequestsOf(id);
    expect(mrs).toHaveLength(1);
    expect((await town.mainLog()).filter((s) => s === 'survive a crash')).toHaveLength(1);
  });

  it('refuses bad slings and gt done outside a polecat, and changes nothing', async () => {
    const unknown = await town.gt(['sling', 'app-nope', 'app']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no bead app-nope/);
    const id = await town.bead('To close', [{ done: true }]);
    expect((await town.bd(['close', id])).code).toBe(0);
    const closed = await town.gt(['sling', id, 'app']);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/is closed/);
    const open = await town.bead('Waits', [{ done: true }]);
    const badRig = await town.gt(['sling', open, 'nowhere']);
    expect(badRig.code).toBe(1);
    expect(badRig.stderr).toMatch(/no rig nowhere/);
    const noCrew = await town.gt(['sling', open, 'app/crew/nobody']);
    expect(noCrew.code).toBe(1);
    expect(noCrew.stderr).toMatch(/no crew member nobody/);
    const after = await town.show(open);
    expect(after['status']).toBe('open');
    expect((after['metadata'] as { sling?: unknown } | undefined)?.sling).toBeUndefined();
    const done = await town.gt(['done']);
    expect(done.code).toBe(2);
    expect(done.stderr).toMatch(/inside a polecat session/);
  });

  // Last: this bead's test.sh makes every later gate of this town slow.
  it('after kill -9 of the daemon while the refinery runs the gate, gt up merges the bead once', async () => {
    const gatePid = path.join(path.dirname(town.root), 'gate.pid');
    const id = await town.bead('Slow gate', [
      {
        write: 'test.sh',
        content: `#!/bin/sh\nsleep 2 &\necho "$$ $!" > ${gatePid}.tmp\nmv ${gatePid}.tmp ${gatePid}\nwait $!\ntest ! -f broken\n`,
      },
      { commit: 'slow gate' },
      { done: true },
    ]);
    expect((await town.gt(['sling', id, 'app'])).code).toBe(0);
    // The gate's shell and its sleep, which outlive the daemon: stopped by pid below.
    const gate = await waitFor(
      'the refinery to run the gate',
      () =>
        fs.existsSync(gatePid) ? fs.readFileSync(gatePid, 'utf8').trim().split(' ').map(Number) : undefined,
      30_000,
    );
    await town.killDaemon();
    for (const p of gate) if (alive(p)) process.kill(p, 'SIGKILL');
    expect((await town.mainLog()).filter((s) => s === 'slow gate')).toHaveLength(0);
    expect((await town.show(id))['status']).not.toBe('closed');
    await town.up();
    await town.waitClosed([id], 90_000);
    const mrs = await town.mergeRequestsOf(id);
    expect(mrs).toHaveLength(1);
    expect(mrs[0]?.['close_reason']).toBe('merged');
    expect((await town.mainLog()).filter((s) => s === 'slow gate')).toHaveLength(1);
  });

  it('gt down while the refinery runs the gate waits for the pass: the bead is merged when down returns', async () => {
    const started = path.join(path.dirname(town.root), 'gate-started');
    const id = await town.bead('Gate during down', [
      {
        write: 'test.sh',
        content: `#!/bin/sh\ntouch ${started}\nsleep 2\ntest ! -f broken\n`,
      },
      { commit: 'gate during down' },
      { done: true },
    ]);
    expect((await town.gt(['sling', id, 'app'])).code).toBe(0);
    await waitFor('the refinery to run the gate', () => fs.existsSync(started), 30_000);
    const down = await town.gt(['down', '--grace', '20000']);
    expect(down.code, down.stderr).toBe(0);
    expect((await town.mainLog()).filter((s) => s === 'gate during down')).toHaveLength(1);
    expect((await town.show(id))['close_reason']).toMatch(/^Merged in app-/);
    const mrs = await town.mergeRequestsOf(id);
    expect(mrs.map((m) => m['close_reason'])).toEqual(['merged']);
    await town.up();
  });
});
