import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bead } from '../../beads/types.js';
import { runBd } from '../harness/bd.js';

interface Blocked extends Bead {
  blocked_by: string[];
}

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-'));
  dirs.push(d);
  return d;
}

async function gitFiles(beadsDir: string): Promise<string[][]> {
  const r = await execa('git', ['log', '--format=--%H', '--name-only'], { cwd: beadsDir });
  return r.stdout
    .split(/^--[0-9a-f]{40}$/m)
    .slice(1)
    .map((block) => block.split('\n').filter((l) => l.trim() !== ''));
}

describe('bd acceptance flow', () => {
  let dir: string;
  const bd = (args: string[], env?: Record<string, string>) =>
    runBd(args, { cwd: dir, ...(env ? { env } : {}) });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dir = tempDir();
    const r = await bd(['init', '--prefix', 'demo']);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('init creates the store once and refuses a second time', async () => {
    expect(fs.existsSync(path.join(dir, '.beads', 'beads.db'))).toBe(true);
    const again = await bd(['--json', 'init', '--prefix', 'demo']);
    expect(again.code).toBe(1);
    expect(again.errorJson().code).toBe('store.exists');
  });

  it('creates beads with type, priority, labels, parent and deps', async () => {
    const epic = await bd(['create', 'Auth epic', '-t', 'epic', '-p', '1', '--json']);
    expect(epic.code, epic.stderr).toBe(0);
    const e = epic.json<Bead & { schema_version: number }>();
    expect(e.schema_version).toBe(1);
    expect(e.id).toMatch(/^demo-/);
    expect(e).toMatchObject({ title: 'Auth epic', issue_type: 'epic', priority: 1, status: 'open' });
    ids['epic'] = e.id;

    const db = (
      await bd(['create', 'Set up DB', '-p', 'P0', '-l', 'infra,backend', '-d', 'Postgres', '--json'])
    ).json<Bead>();
    expect(db.labels?.sort()).toEqual(['backend', 'infra']);
    expect(db.description).toBe('Postgres');
    ids['db'] = db.id;

    const child = await bd([
      'create',
      'Login form',
      '--parent',
      e.id,
      '--deps',
      `blocks:${db.id}`,
      '-l',
      'ui',
      '--json',
    ]);
    expect(child.code, child.stderr).toBe(0);
    const c = child.json<Bead>();
    expect(c.id).toBe(`${e.id}.1`);
    expect(c.dependencies?.map((d) => [d.type, d.depends_on_id]).sort()).toEqual(
      [
        ['blocks', db.id],
        ['parent-child', e.id],
      ].sort(),
    );
    ids['child'] = c.id;

    const q = await bd(['q', 'Quick one']);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/^demo-[0-9a-z]+\n$/);
    ids['quick'] = q.stdout.trim();

    const human = await bd(['create', 'Docs', '-t', 'chore', '-e', '30', '--due', '2030-01-02']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Created demo-[0-9a-z]+ \[P2\] \[chore\] open {2}Docs/);
    ids['docs'] = /(demo-[0-9a-z]+)/.exec(human.stdout)?.[1] ?? '';
  });

  it('ready and blocked follow the blocking edges', async () => {
    const ready = (await bd(['ready', '--json'])).json<Bead[]>().map((b) => b.id);
    expect(ready).toContain(ids['db']);
    expect(ready).toContain(ids['quick']);
    expect(ready).not.toContain(ids['child']);
    expect(ready[0]).toBe(ids['db']);

    const blocked = (await bd(['blocked', '--json'])).json<Blocked[]>();
    const b = blocked.find((x) => x.id === ids['child']);
    expect(b?.blocked_by).toEqual([ids['db']]);
  });

  it('dep add, dep --blocks, dep list, dep tree and dep cycles', async () => {
    const add = await bd(['dep', 'add', ids['quick'] as string, ids['db'] as string, '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.json()).toMatchObject({ issue_id: ids['quick'], depends_on_id: ids['db'], type: 'blocks' });

    const blocks = await bd(['dep', ids['quick'] as string, '--blocks', ids['docs'] as string, '--json']);
    expect(blocks.code, blocks.stderr).toBe(0);
    const down = (await bd(['dep', 'list', ids['docs'] as string, '--json'])).json<
      Array<{ depends_on_id: string }>
    >();
    expect(down.map((d) => d.depends_on_id)).toEqual([ids['quick']]);
    const up = (await bd(['dep', 'list', ids['db'] as string, '--direction', 'up', '--json'])).json<
      Array<{ issue_id: string }>
    >();
    expect(up.map((d) => d.issue_id).sort()).toEqual([ids['child'], ids['quick']].sort());

    const tree = (await bd(['dep', 'tree', ids['docs'] as string, '--json'])).json<
      Array<{ id: string; depth: number }>
    >();
    expect(tree.map((n) => [n.id, n.depth])).toEqual([
      [ids['docs'], 0],
      [ids['quick'], 1],
      [ids['db'], 2],
    ]);
    const human = await bd(['dep', 'tree', ids['docs'] as string]);
    expect(human.stdout).toContain(ids['db']);

    const cycles = await bd(['dep', 'cycles', '--json']);
    expect(cycles.json()).toEqual([]);

    const rm = await bd(['dep', 'rm', ids['docs'] as string, ids['quick'] as string, '--json']);
    expect(rm.json()).toMatchObject({ removed: true });
  });

  it('claim is atomic: same actor twice succeeds, another actor is refused', async () => {
    const db = ids['db'] as string;
    const first = await bd(['update', db, '--claim', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json<Bead[]>()[0]).toMatchObject({ id: db, status: 'in_progress', assignee: 'test-actor' });
    expect((await bd(['update', db, '--claim'])).code).toBe(0);

    const other = await bd(['update', db, '--claim'], { BD_ACTOR: 'bob' });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('already claimed by test-actor');
    const otherJson = await bd(['--json', 'update', db, '--claim'], { BD_ACTOR: 'bob' });
    expect(otherJson.code).toBe(1);
    expect(otherJson.errorJson()).toMatchObject({ schema_version: 1, code: 'bead.already_claimed' });
  });

  it('close, reopen, and ready --claim', async () => {
    const db = ids['db'] as string;
    const closed = await bd(['close', db, '-r', 'done', '--json']);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.json<Bead[]>()[0]).toMatchObject({ status: 'closed', close_reason: 'done' });
    expect((await bd(['ready', '--json'])).json<Bead[]>().map((b) => b.id)).toContain(ids['child']);

    const reopened = await bd(['reopen', db, '--json']);
    expect(reopened.json<Bead[]>()[0]).toMatchObject({ status: 'open' });
    expect(reopened.json<Bead[]>()[0]?.closed_at).toBeUndefined();
    expect((await bd(['close', db])).code).toBe(0);

    const claimed = await bd(['ready', '--claim', '--json'], { BD_ACTOR: 'carol' });
    expect(claimed.code, claimed.stderr).toBe(0);
    expect(claimed.json()).toMatchObject({ status: 'in_progress', assignee: 'carol' });
  });

  it('list filters, show, search, count and status', async () => {
    const open = (await bd(['list', '--json'])).json<Bead[]>().map((b) => b.id);
    expect(open).not.toContain(ids['db']);
    expect((await bd(['list', '--all', '--json'])).json<Bead[]>().map((b) => b.id)).toContain(ids['db']);
    expect((await bd(['list', '-s', 'closed', '--json'])).json<Bead[]>().map((b) => b.id)).toEqual([
      ids['db'],
    ]);
    expect((await bd(['list', '-l', 'ui', '--json'])).json<Bead[]>().map((b) => b.id)).toEqual([
      ids['child'],
    ]);
    expect((await bd(['list', '-t', 'epic', '--json'])).json<Bead[]>().map((b) => b.id)).toEqual([
      ids['epic'],
    ]);
    expect((await bd(['list', '--all', '-p', '0', '--json'])).json<Bead[]>().map((b) => b.id)).toEqual([
      ids['db'],
    ]);
    expect((await bd(['list', '-a', 'carol', '--json'])).json<Bead[]>()).toHaveLength(1);
    expect(
      (await bd(['list', '--parent', ids['epic'] as string, '--json'])).json<Bead[]>().map((b) => b.id),
    ).toEqual([ids['child']]);
    const human = await bd(['list']);
    expect(human.stdout).toMatch(/demo-[0-9a-z]+ \[P2\] \[chore\] open {2}Docs\n/);
    expect(human.stdout).toMatch(/\[P1\] \[epic\] in_progress {2}Auth epic {2}@carol/);

    const show = await bd(['show', ids['db'] as string, ids['child'] as string, '--json']);
    expect(show.json<Bead[]>().map((b) => b.id)).toEqual([ids['db'], ids['child']]);
    const showOne = await bd(['show', ids['db'] as string, '--json']);
    expect(Array.isArray(showOne.json())).toBe(true);
    const showHuman = await bd(['show', ids['db'] as string]);
    expect(showHuman.stdout).toContain('Dependents:');
    expect(showHuman.stdout).toContain('Labels: ');

    expect((await bd(['search', 'login', '--json'])).json<Bead[]>().map((b) => b.id)).toEqual([ids['child']]);
    expect((await bd(['count', '--json'])).json()).toMatchObject({ count: open.length });
    const by = (await bd(['count', '--all', '--by-status', '--json'])).json<{
      total: number;
      groups: Array<{ group: string; count: number }>;
    }>();
    expect(by.total).toBe(5);
    expect(by.groups.find((g) => g.group === 'closed')?.count).toBe(1);
    const status = (await bd(['status', '--json'])).json<{ total_issues: number; closed_issues: number }>();
    expect(status).toMatchObject({ total_issues: 5, closed_issues: 1 });
  });

  it('labels, comments and events', async () => {
    const child = ids['child'] as string;
    expect((await bd(['label', 'add', child, 'frontend', '--json'])).json()).toMatchObject({
      changed: true,
      labels: ['frontend', 'ui'],
    });
    expect((await bd(['label', 'remove', child, 'ui'])).code).toBe(0);
    expect((await bd(['label', 'list', child, '--json'])).json()).toEqual(['frontend']);
    const all = (await bd(['label', 'list-all', '--json'])).json<Array<{ label: string; count: number }>>();
    expect(all.map((l) => l.label).sort()).toEqual(['backend', 'frontend', 'infra']);

    expect((await bd(['comment', child, 'hello there'])).code).toBe(0);
    expect((await bd(['comments', 'add', child, 'second'])).code).toBe(0);
    const comments = (await bd(['comments', child, '--json'])).json<
      Array<{ text: string; author: string }>
    >();
    expect(comments.map((c) => [c.text, c.author])).toEqual([
      ['hello there', 'test-actor'],
      ['second', 'test-actor'],
    ]);
    const events = (await bd(['events', child, '--json'])).json<Array<{ event_type: string }>>();
    expect(events.length).toBeGreaterThan(2);
  });

  it('mail send, inbox, read, reply, thread', async () => {
    const sent = await bd(['mail', 'send', 'bob', '-s', 'Hi', '-m', 'Can you review?', '--json']);
    expect(sent.code, sent.stderr).toBe(0);
    const msg = sent.json<Bead>();
    const inbox = (await bd(['mail', 'inbox', '--json'], { BD_ACTOR: 'bob' })).json<Bead[]>();
    expect(inbox.map((m) => m.id)).toEqual([msg.id]);
    expect((await bd(['mail', 'read', msg.id], { BD_ACTOR: 'bob' })).stdout).toContain('Can you review?');
    expect((await bd(['mail', 'inbox', '--json'], { BD_ACTOR: 'bob' })).json()).toEqual([]);
    const reply = await bd(['mail', 'reply', msg.id, '-m', 'Sure', '--json'], { BD_ACTOR: 'bob' });
    expect(reply.json()).toMatchObject({ title: 'Re: Hi', assignee: 'test-actor' });
    const thread = (await bd(['mail', 'thread', msg.id, '--json'])).json<Bead[]>();
    expect(thread.map((m) => m.title)).toEqual(['Hi', 'Re: Hi']);
  });

  it('export and import round-trip into a second store', async () => {
    const out = await bd(['export']);
    expect(out.code, out.stderr).toBe(0);
    const lines = out.stdout.split('\n').filter((l) => l !== '');
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toContain(ids['child']);
    const file = path.join(dir, 'export.jsonl');
    expect((await bd(['export', '-o', file])).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(out.stdout);

    const other = tempDir();
    expect((await runBd(['init', '--prefix', 'demo'], { cwd: other })).code).toBe(0);
    const imp = await runBd(['import', file, '--json'], { cwd: other });
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.json()).toMatchObject({ created: lines.length });
    expect((await runBd(['export'], { cwd: other })).stdout).toBe(out.stdout);
    const again = await runBd(['import', '-', '--json'], { cwd: other, input: out.stdout });
    expect(again.json()).toMatchObject({ created: 0, unchanged: lines.length });
  });

  it('commits only .beads/issues.jsonl after each mutation', async () => {
    const beadsDir = path.join(dir, '.beads');
    const before = (await gitFiles(beadsDir)).length;
    expect((await bd(['create', 'Committed?'])).code).toBe(0);
    const commits = await gitFiles(beadsDir);
    expect(commits.length).toBe(before + 1);
    const log = await execa('git', ['log', '-1', '--format=%s'], { cwd: beadsDir });
    expect(log.stdout).toMatch(/^bd: create demo-[0-9a-z]+ "Committed\?"$/);
    // every commit after the first (init) touches only the JSONL
    for (const files of commits.slice(0, -1)) {
      expect(
        files.every((f) => f.endsWith('.beads/issues.jsonl') || f === 'issues.jsonl'),
        files.join(','),
      ).toBe(true);
    }
    const tracked = (await execa('git', ['ls-files'], { cwd: beadsDir })).stdout;
    expect(tracked).not.toMatch(/beads\.db/);
    const status = (await execa('git', ['status', '--porcelain', '--', 'issues.jsonl'], { cwd: beadsDir }))
      .stdout;
    expect(status).toBe('');

    const off = await bd(['--no-auto-commit', 'create', 'Not committed']);
    expect(off.code).toBe(0);
    expect((await gitFiles(beadsDir)).length).toBe(before + 1);
  });
});
