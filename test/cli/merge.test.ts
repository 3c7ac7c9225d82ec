import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bead } from '../../beads/types.js';
import { runBd } from '../harness/bd.js';

describe('bd merge (git merge driver entry)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bd = (args: string[]) => runBd(args, { cwd: dir });

  it('merges field edits from both sides into <output>', async () => {
    expect((await bd(['init', '--prefix', 'm'])).code).toBe(0);
    const id = (await bd(['q', 'one'])).stdout.trim();
    const base = (await bd(['export'])).stdout;
    expect((await bd(['update', id, '-p', '0'])).code).toBe(0);
    const ours = (await bd(['export'])).stdout;
    expect((await bd(['update', id, '-p', '2', '--title', 'renamed'])).code).toBe(0);
    const theirs = (await bd(['export'])).stdout.replace('"priority":0', '"priority":2');
    const f = (name: string, text: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    };
    const theirsOnlyTitle = theirs.replace(/"priority":\d/, '"priority":2');
    const r = await bd([
      'merge',
      f('out', ''),
      f('base', base),
      f('ours', ours),
      f('theirs', theirsOnlyTitle),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const merged = JSON.parse(fs.readFileSync(path.join(dir, 'out'), 'utf8').trim()) as Bead;
    expect(merged).toMatchObject({ id, title: 'renamed', priority: 0 });
    const before = fs.readFileSync(path.join(dir, 'out'), 'utf8');
    const bad = await bd([
      'merge',
      path.join(dir, 'out'),
      path.join(dir, 'base'),
      path.join(dir, 'out'),
      f('junk', 'not json\n'),
    ]);
    expect(bad.code).toBe(1);
    expect(fs.readFileSync(path.join(dir, 'out'), 'utf8')).toBe(before);
  });
});
