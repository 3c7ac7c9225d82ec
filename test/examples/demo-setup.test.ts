import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoBeads } from '../../examples/bead-sets.js';
import { DemoCli } from '../../examples/demo-cli.js';
import { buildDemoTown, DEMO_PREFIX, fileDemoBeads, replyId } from '../../examples/demo-setup.js';
import { runDemo } from '../../examples/demo.js';
import { BD_BIN } from '../harness/bd.js';
import { alive, GT_BIN, townFixtures } from '../harness/town.js';

const fixtures = townFixtures();
afterAll(() => fixtures.cleanup());

const cli = new DemoCli({ gtBin: GT_BIN, bdBin: BD_BIN });

function daemonPid(root: string): number | null {
  const file = path.join(root, '.gt', 'daemon.pid');
  return fs.existsSync(file) ? Number.parseInt(fs.readFileSync(file, 'utf8'), 10) : null;
}

describe('the demo setup, through the CLIs', () => {
  it('builds a running town with the rig and the scripted agent, and files the beads blockers first', async () => {
    const work = fixtures.dir();
    const lines: string[] = [];
    const town = await buildDemoTown(cli, work, (l) => lines.push(l));
    try {
      fixtures.track(daemonPid(town.root));
      const rig = await cli.gtJson<Record<string, unknown>>(['--town', town.root, 'rig', 'show', 'app']);
      expect(JSON.stringify(rig)).toContain('sh test.sh');
      const agent = await cli.gtJson<{ default_agent: string }>([
        '--town',
        town.root,
        'config',
        'default-agent',
      ]);
      expect(agent.default_agent).toBe('scripted');

      const specs = demoBeads();
      const filed = await fileDemoBeads(cli, town, specs, (l) => lines.push(l));
      expect(filed.map((f) => f.spec.key).sort()).toEqual(specs.map((s) => s.key).sort());
      const ids = new Map(filed.map((f) => [f.spec.key, f.id]));
      const shown = await cli.bdJson<
        Array<{
          id: string;
          title: string;
          priority: number;
          acceptance_criteria?: string;
          metadata?: { script?: unknown };
        }>
      >(['show', ...filed.map((f) => f.id)], path.join(town.root, 'beads'));
      for (const [i, b] of shown.entries()) {
        const spec = filed[i]!.spec;
        expect(b.id.startsWith(`${DEMO_PREFIX}-`)).toBe(true);
        expect(b.title).toBe(spec.title);
        expect(b.priority).toBe(spec.priority);
        expect(b.acceptance_criteria).toBe(spec.acceptance);
        expect(b.metadata?.script).toEqual(spec.script);
      }
      // Only the beads nobody blocks are ready; the blocked ones wait for their blockers.
      const ready = await cli.bdJson<Array<{ id: string }>>(
        ['ready', '-n', '100'],
        path.join(town.root, 'beads'),
      );
      const readyIds = new Set(ready.map((b) => b.id));
      for (const s of specs) expect(readyIds.has(ids.get(s.key)!), s.key).toBe(s.deps.length === 0);
      expect(lines.some((l) => l.includes('blocked by'))).toBe(true);
    } finally {
      expect((await cli.gt(['--town', town.root, 'down'])).code).toBe(0);
    }
  }, 90_000);

  it('replyId reads the id of the usual reply shapes', () => {
    expect(replyId({ id: 'demo-1' }, 'x')).toBe('demo-1');
    expect(replyId({ convoy: { id: 'demo-2' } }, 'x')).toBe('demo-2');
    expect(replyId({ bead: { id: 'demo-3' } }, 'x')).toBe('demo-3');
    expect(() => replyId({ ok: true }, 'gt convoy create')).toThrow(/gt convoy create printed no id/);
  });
});

describe('runDemo when the convoy cannot land in time', () => {
  it('fails, says why, prints the daemon log, stops the town and keeps the folder', async () => {
    const tmpDir = fixtures.dir();
    const out: string[] = [];
    const result = await runDemo({
      tmpDir,
      deadlineMs: 1,
      pollMs: 50,
      beads: demoBeads().slice(0, 2),
      out: (l) => out.push(l),
      cli: { gtBin: GT_BIN, bdBin: BD_BIN },
    });
    const text = out.join('\n');
    expect(result.ok, text).toBe(false);
    expect(result.problems.length).toBeGreaterThan(0);
    expect(result.kept).toBe(true);
    expect(fs.existsSync(result.workDir)).toBe(true);
    expect(text).toContain('demo: FAILED');
    expect(text).toContain('daemon.log');
    expect(text).toMatch(/summary: 2 beads, 0 merged/);
    const root = path.join(result.workDir, 'demo');
    const pid = daemonPid(root);
    expect(pid === null || !alive(pid), 'the daemon is stopped').toBe(true);
  }, 90_000);
});
