import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { BREAKS_TESTS, CONFLICT_PAIR, e2eBeads } from '../../examples/bead-sets.js';
import { runDemo } from '../../examples/demo.js';
import { DEMO_TOWN } from '../../examples/demo-setup.js';
import { GT_BIN, runGt, townFixtures } from '../harness/town.js';

const fx = townFixtures();
let workDir: string | undefined;
afterAll(async () => {
  if (workDir !== undefined) {
    await runGt(['--town', path.join(workDir, DEMO_TOWN), 'down', '--grace', '2000']);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  await fx.cleanup();
});

interface FeedRecord {
  subject: string;
  envelope?: { type: string; body: Record<string, unknown> };
}

describe('a convoy of 12 beads over 4 scripted polecats, end to end', () => {
  it('merges all 12 exactly once, main green, convoy landed, no bead closed before its merge', async () => {
    const lines: string[] = [];
    const result = await runDemo({
      beads: e2eBeads(),
      keep: true,
      deadlineMs: 240_000,
      out: (l) => lines.push(l),
      cli: { gtBin: GT_BIN, bdBin: path.join(path.dirname(GT_BIN), 'bd.js') },
    });
    workDir = result.workDir;
    expect(result.ok, `${result.problems.join('\n')}\n${lines.slice(-40).join('\n')}`).toBe(true);
    expect(result.counts.beads).toBe(12);
    expect(result.counts.merged).toBe(12);
    expect(result.counts.landed).toBe(true);
    expect(result.counts.rejections).toBeGreaterThanOrEqual(1);
    expect(result.counts.conflicts).toBeGreaterThanOrEqual(1);

    const root = path.join(result.workDir, DEMO_TOWN);
    const bd = async (...args: string[]) =>
      JSON.parse(
        (
          await execa(process.execPath, [path.join(path.dirname(GT_BIN), 'bd.js'), ...args], {
            cwd: path.join(root, 'beads'),
          })
        ).stdout,
      ) as Array<Record<string, unknown>>;
    const all = await bd('list', '--all', '--json', '-n', '100000');
    const work = all.filter(
      (b) =>
        b['issue_type'] === 'task' && !((b['labels'] as string[] | undefined) ?? []).includes('gt:conflict'),
    );
    expect(work).toHaveLength(12);
    const mrs = all.filter((b) => b['issue_type'] === 'merge-request');
    for (const b of work) {
      const mine = mrs.filter((m) => (m['metadata'] as { mr: { source: string } }).mr.source === b['id']);
      expect(mine, `${String(b['id'])} has one merge request`).toHaveLength(1);
      expect(mine[0]?.['close_reason']).toBe('merged');
      expect(b['close_reason']).toBe(`Merged in ${String(mine[0]?.['id'])}`);
    }
    const titles = new Map(e2eBeads().map((s) => [s.key, s.title]));
    for (const key of [...CONFLICT_PAIR, BREAKS_TESTS])
      expect(work.some((b) => b['title'] === titles.get(key))).toBe(true);

    // The feed, replayed from the town's event stream: every work bead's close comes after its merge.
    const up = await runGt(['--town', root, 'up', '--json']);
    expect(up.code, up.stderr).toBe(0);
    fx.track(up.json<{ pid: number }>().pid);
    const feed = await runGt(['--town', root, 'feed', '--since', '1h', '--no-follow', '--json'], {
      timeoutMs: 30_000,
    });
    expect(feed.code, feed.stderr).toBe(0);
    const records = feed.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as FeedRecord);
    const mergedAt = new Map<string, number>();
    records.forEach((r, i) => {
      if (r.envelope?.type === 'mr.merged') mergedAt.set(String(r.envelope.body['bead']), i);
    });
    for (const b of work) {
      const id = String(b['id']);
      const closedAt = records.findIndex(
        (r) =>
          r.envelope?.type === 'bead.updated' &&
          (r.envelope.body['bead'] as { id: string; status: string }).id === id &&
          (r.envelope.body['bead'] as { status: string }).status === 'closed',
      );
      expect(mergedAt.has(id), `${id} merged`).toBe(true);
      expect(closedAt, `${id} closed after its merge`).toBeGreaterThan(mergedAt.get(id) ?? Infinity);
    }
    expect(records.filter((r) => r.envelope?.type === 'mr.merged')).toHaveLength(12);
  });
});
