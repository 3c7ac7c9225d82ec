import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBd } from '../harness/bd.js';

describe('bd refuses bad input clearly and changes nothing', () => {
  let dir: string;
  let outside: string;
  let a: string;
  let b: string;
  const bd = (args: string[]) => runBd(args, { cwd: dir });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-'));
    expect((await bd(['init', '--prefix', 'demo'])).code).toBe(0);
    a = (await bd(['q', 'A'])).stdout.trim();
    b = (await bd(['q', 'B', '--deps', a])).stdout.trim();
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const cases: Array<{ name: string; args: () => string[]; code: number; err: RegExp; json?: string }> = [
    {
      name: 'priority 9',
      args: () => ['create', 'X', '-p', '9'],
      code: 1,
      err: /priority must be 0-4 or P0-P4, got 9/,
    },
    {
      name: 'unknown status',
      args: () => ['update', a, '-s', 'bogus'],
      code: 1,
      err: /unknown status "bogus": use one of open, in_progress, blocked/,
    },
    {
      name: 'unknown id',
      args: () => ['show', 'demo-zzzzzz'],
      code: 1,
      err: /demo-zzzzzz/,
      json: 'bead.not_found',
    },
    { name: 'a blocks cycle', args: () => ['dep', 'add', a, b], code: 1, err: /cycle/, json: 'dep.cycle' },
    { name: 'missing title', args: () => ['create'], code: 2, err: /missing required argument 'title'/ },
    {
      name: 'bad --deps',
      args: () => ['create', 'X', '--deps', 'blocks:'],
      code: 1,
      err: /bad --deps entry "blocks:": use type:id/,
    },
    {
      name: 'relative date',
      args: () => ['create', 'X', '--defer', 'tomorrow'],
      code: 1,
      err: /--defer must be an ISO 8601 date/,
    },
    {
      name: 'unknown command',
      args: () => ['frobnicate'],
      code: 2,
      err: /unknown command/,
      json: 'usage.unknownCommand',
    },
    { name: 'nothing to update', args: () => [`update`, a], code: 2, err: /nothing to update/ },
  ];

  it.each(cases)('$name', async (c) => {
    const before = (await bd(['export'])).stdout;
    const r = await bd(c.args());
    expect(r.code).toBe(c.code);
    expect(r.stderr).toMatch(/^Error: /);
    expect(r.stderr).toMatch(c.err);
    expect(r.stdout).toBe('');
    const j = await bd(['--json', ...c.args()]);
    expect(j.code).toBe(c.code);
    const e = j.errorJson();
    expect(e.schema_version).toBe(1);
    expect(e.error).toMatch(c.err);
    if (c.json !== undefined) expect(e.code).toBe(c.json);
    expect((await bd(['export'])).stdout).toBe(before);
  });

  it('outside a store: says to run bd init', async () => {
    const r = await runBd(['list'], { cwd: outside });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no beads store found .*run `bd init` first/);
    const j = await runBd(['list', '--json'], { cwd: outside });
    expect(j.errorJson().code).toBe('store.not_found');
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  it('finds the store from a subdirectory, with -C and with BEADS_DIR', async () => {
    const sub = path.join(dir, 'src', 'deep');
    fs.mkdirSync(sub, { recursive: true });
    expect((await runBd(['show', a, '--json'], { cwd: sub })).code).toBe(0);
    expect((await runBd(['-C', dir, 'show', a, '--json'], { cwd: outside })).code).toBe(0);
    expect(
      (await runBd(['show', a, '--json'], { cwd: outside, env: { BEADS_DIR: path.join(dir, '.beads') } }))
        .code,
    ).toBe(0);
    expect(
      (await runBd(['--db', path.join(dir, '.beads', 'beads.db'), 'show', a, '--json'], { cwd: outside }))
        .code,
    ).toBe(0);
  });
});
