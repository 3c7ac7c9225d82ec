import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { identityFromAddress } from '../../../actors/agent/identity.js';
import type { AgentIdentity } from '../../../actors/agent/identity.js';
import {
  buildPrime,
  findHook,
  GUPP_LINE,
  renderPrime,
  renderPrimeFailure,
} from '../../../actors/agent/prime.js';
import { rigPaths } from '../../../actors/rig/rig-config.js';
import { installTown } from '../../../actors/town/install.js';
import { townPaths } from '../../../actors/town/town-config.js';
import { sendMail } from '../../../beads/mail.js';
import { SqliteBeadStore } from '../../../beads/store.js';
import type { Bead } from '../../../beads/types.js';

const NUX = 'alpha/web/polecats/nux';
const MAYOR = 'alpha/mayor';

describe('buildPrime and renderPrime', () => {
  let base: string;
  let root: string;
  let store: SqliteBeadStore;
  let nux: AgentIdentity;

  beforeEach(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-prime-'));
    root = path.join(base, 'alpha');
    await installTown(root);
    const rig = rigPaths(root, 'web');
    fs.mkdirSync(rig.dir, { recursive: true });
    fs.writeFileSync(
      rig.config,
      JSON.stringify({
        version: 1,
        name: 'web',
        url: '/nowhere/web.git',
        default_branch: 'trunk',
        prefix: 'web',
        gates: [
          { name: 'test', cmd: 'npm test', timeout_ms: 60_000 },
          { name: 'lint', cmd: 'npm run lint', timeout_ms: 60_000 },
        ],
        max_polecats: 4,
        created_at: '2026-12-01T00:00:00Z',
        script: { work: [{ say: 'hello' }, { done: true }] },
      }),
    );
    store = SqliteBeadStore.open(townPaths(root).dbPath);
    nux = identityFromAddress('web/polecats/nux', root, 'alpha');
  });
  afterEach(() => {
    store.close();
    fs.rmSync(base, { recursive: true, force: true });
  });

  function work(overrides: Partial<Parameters<SqliteBeadStore['create']>[0]> = {}): Bead {
    return store.create(
      {
        title: 'Add a CSV parser',
        description: 'Parse comma separated values in src/parser.ts.',
        acceptance_criteria: '- parse("a,b") returns ["a", "b"]\n- npm test passes',
        prefix: 'web',
        status: 'hooked',
        assignee: NUX,
        priority: 1,
        ...overrides,
      },
      MAYOR,
    );
  }

  function mergeRequest(source: Bead, mr: Record<string, unknown>): Bead {
    return store.create(
      {
        title: `Merge: ${source.title}`,
        issue_type: 'merge-request',
        prefix: 'web',
        labels: ['gt:merge-request'],
        deps: [{ type: 'related', id: source.id }],
        metadata: {
          mr: {
            source: source.id,
            rig: 'web',
            branch: `polecat/nux/${source.id}`,
            target: 'trunk',
            sha: 'a'.repeat(40),
            worker: NUX,
            retry_count: 0,
            ...mr,
          },
        },
      },
      'alpha/web/refinery',
    );
  }

  const prime = () => buildPrime(store, { townRoot: root, town: 'alpha', identity: nux });

  it('briefs a polecat on its hooked work bead: branch from git, gates and script from rig.json, mail', async () => {
    const bead = work();
    const sandbox = nux.sandbox ?? '';
    fs.mkdirSync(sandbox, { recursive: true });
    await execa('git', ['init', '-q', '-b', `polecat/nux/${bead.id}`], { cwd: sandbox });
    const mail = sendMail(store, { from: MAYOR, to: NUX, subject: 'Use the new API', body: 'See web-api.' });
    sendMail(store, { from: MAYOR, to: 'alpha/web/polecats/ace', subject: 'Not for nux', body: '' });

    const p = await prime();
    expect(p).toMatchObject({
      town: 'alpha',
      role: 'polecat',
      agent: NUX,
      rig: 'web',
      name: 'nux',
      sandbox,
      branch: `polecat/nux/${bead.id}`,
      hook: { kind: 'work', merge_request: null, bead: { id: bead.id, title: 'Add a CSV parser' } },
      mail: [{ id: mail.id, from: MAYOR, subject: 'Use the new API', body: 'See web-api.' }],
      gates: [
        { name: 'test', cmd: 'npm test' },
        { name: 'lint', cmd: 'npm run lint' },
      ],
      rig_script: { work: [{ say: 'hello' }, { done: true }] },
      warnings: [],
    });

    const text = renderPrime(p);
    for (const part of [
      GUPP_LINE,
      'Add a CSV parser',
      'Parse comma separated values',
      'parse("a,b") returns ["a", "b"]',
      `branch polecat/nux/${bead.id} only`,
      '`npm test`',
      '`npm run lint`',
      '`gt done`',
      `never run \`bd close ${bead.id}\``,
      '`gt handoff`',
      '`gt mail send mayor',
      'Use the new API',
    ])
      expect(text).toContain(part);
    expect(text).toMatch(/^=== Gas Town: briefing for alpha\/web\/polecats\/nux ===/);
    const hookText = renderPrime(p, { mode: 'hook', session: { id: 'sess-1', source: 'startup' } });
    expect(hookText.split('\n')[0]).toBe(
      `[gt prime --hook] ${NUX} · polecat · rig web · branch polecat/nux/${bead.id} · session sess-1 (startup)`,
    );
    expect(hookText).toContain('Add a CSV parser');
  });

  it('an in_progress bead is on the hook too; messages, convoys, merge requests and closed beads are not', async () => {
    store.create({ title: 'a convoy', issue_type: 'convoy', status: 'in_progress', assignee: NUX }, MAYOR);
    const done = work({ title: 'old work' });
    store.close(done.id, { reason: 'Merged in web-x' }, 'alpha/web/refinery');
    expect((await prime()).hook).toBeNull();
    const bead = work({ status: 'in_progress' });
    expect((await prime()).hook).toMatchObject({
      kind: 'work',
      bead: { id: bead.id, status: 'in_progress' },
    });
  });

  it('kind fix when the open merge request was rejected, with the gate output', async () => {
    const bead = work();
    const mr = mergeRequest(bead, {
      state: 'rejected',
      gate: 'test',
      gate_output: 'FAIL test/parser.test.ts\nexpected ["a","b"]',
    });
    const p = await prime();
    expect(p.hook).toMatchObject({
      kind: 'fix',
      gate: 'test',
      gate_output: 'FAIL test/parser.test.ts\nexpected ["a","b"]',
      bead: { id: bead.id },
      merge_request: { id: mr.id, state: 'rejected', gate: 'test', branch: `polecat/nux/${bead.id}` },
    });
    const text = renderPrime(p);
    expect(text).toContain('FIX: the refinery rejected');
    expect(text).toContain('| FAIL test/parser.test.ts');
    expect(text).toContain('`gt done` again');
  });

  it('kind work while the merge request is queued', async () => {
    const bead = work();
    const mr = mergeRequest(bead, { state: 'queued' });
    expect((await prime()).hook).toMatchObject({
      kind: 'work',
      merge_request: { id: mr.id, state: 'queued' },
    });
  });

  it('kind conflict when a conflict bead is hooked: the hook holds the work bead, onto origin/<target>', async () => {
    const bead = work({ status: 'in_progress' });
    const mr = mergeRequest(bead, { state: 'conflict' });
    const conflict = store.create(
      {
        title: `Resolve merge conflicts: ${bead.title}`,
        prefix: 'web',
        priority: 1,
        labels: ['gt:conflict'],
        status: 'hooked',
        assignee: NUX,
        metadata: {
          conflict: { mr: mr.id, source: bead.id, onto: 'b'.repeat(40), files: ['src/parser.ts'] },
        },
      },
      'alpha/web/refinery',
    );
    store.addDependency(mr.id, conflict.id, 'blocks', 'alpha/web/refinery');
    const p = await prime();
    expect(p.hook).toMatchObject({
      kind: 'conflict',
      bead: { id: bead.id },
      conflict: { target: 'trunk', onto: 'origin/trunk', bead: conflict.id, files: ['src/parser.ts'] },
      merge_request: { id: mr.id, state: 'conflict' },
    });
    const text = renderPrime(p);
    expect(text).toContain('git rebase origin/trunk');
    expect(text).toContain('src/parser.ts');
    expect(text).toContain('`gt done`');
  });

  it('nothing hooked: hook null, no GUPP line, the idle instructions', async () => {
    work({ assignee: 'alpha/web/polecats/ace' });
    const p = await prime();
    expect(p.hook).toBeNull();
    expect(p.branch).toBeNull();
    const text = renderPrime(p);
    expect(text).not.toContain(GUPP_LINE);
    expect(text).toContain('Nothing is on your hook');
    expect(findHook(store, 'alpha/web/polecats/ace')).toMatchObject({ kind: 'work' });
  });

  it('a bad rig.json is a warning, not a failure', async () => {
    fs.writeFileSync(rigPaths(root, 'web').config, '{ not json');
    work();
    const p = await prime();
    expect(p.gates).toEqual([]);
    expect(p.warnings[0]).toMatch(/cannot read .*rig\.json/);
    expect(renderPrime(p)).toContain('## Warnings');
  });

  it('the mayor gets its own role text', async () => {
    const mayor = identityFromAddress('mayor', root, 'alpha');
    const p = await buildPrime(store, { townRoot: root, town: 'alpha', identity: mayor });
    expect(p).toMatchObject({ role: 'mayor', rig: null, gates: [], hook: null });
    expect(renderPrime(p)).toContain('You are the mayor');
  });

  it('renderPrimeFailure says the hook is unknown and NOT to run gt done', () => {
    const text = renderPrimeFailure(nux, new Error('database is locked'));
    expect(text).toContain('database is locked');
    expect(text).toContain('Do NOT run `gt done`');
    expect(text).toContain('UNKNOWN, not empty');
  });
});
