import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoBeads } from '../../examples/bead-sets.js';
import type { FiledBead } from '../../examples/demo-setup.js';
import { ProgressTracker, type BeadRow } from '../../examples/demo-progress.js';
import { checkStore, checkUpstream } from '../../examples/demo-verify.js';
import { createSampleUpstream } from '../../examples/sample-upstream.js';

const work = (id: string, status: string, extra: Partial<BeadRow> = {}): BeadRow => ({
  id,
  title: `title of ${id}`,
  status,
  issue_type: 'task',
  ...extra,
});
const mr = (id: string, source: string, state: string, status = 'open'): BeadRow => ({
  id,
  title: `Merge: title of ${source}`,
  status,
  issue_type: 'merge-request',
  labels: ['gt:merge-request'],
  metadata: { mr: { source, state } },
});
const convoy = (status: string): BeadRow => ({
  id: 'demo-c1',
  title: 'Demo',
  status,
  issue_type: 'convoy',
  ...(status === 'closed' ? { close_reason: 'All tracked beads closed' } : {}),
});

describe('ProgressTracker', () => {
  const tracked = [
    { id: 'app-1', key: 'slugify' },
    { id: 'app-2', key: 'word-count' },
  ];

  it('prints a line per change and counts merges, rejections and conflicts', () => {
    const t = new ProgressTracker(tracked, 'demo-c1');
    expect(t.update([work('app-1', 'open'), work('app-2', 'open'), convoy('open')])).toEqual([
      '0/2 merged  app-1 slugify: open',
      '0/2 merged  app-2 word-count: open',
    ]);
    expect(t.update([work('app-1', 'open'), work('app-2', 'open'), convoy('open')])).toEqual([]);
    const hooked = work('app-1', 'in_progress', { assignee: 'demo/app/polecats/nux' });
    expect(t.update([hooked, work('app-2', 'hooked'), convoy('open')])).toEqual([
      '0/2 merged  app-1 slugify: in_progress by demo/app/polecats/nux',
      '0/2 merged  app-2 word-count: hooked',
    ]);
    const rejected = [
      hooked,
      work('app-2', 'in_progress'),
      mr('app-mr1', 'app-2', 'rejected'),
      convoy('open'),
    ];
    expect(t.update(rejected)).toEqual([
      '0/2 merged  app-2 word-count: rejected by the gates: back to its polecat to fix',
    ]);
    const conflict: BeadRow = {
      ...work('app-9', 'hooked'),
      labels: ['gt:conflict'],
      metadata: { conflict: { source: 'app-1' } },
    };
    const lines = t.update([
      work('app-1', 'closed', { close_reason: 'Merged in app-mr2' }),
      mr('app-mr2', 'app-1', 'merged', 'closed'),
      work('app-2', 'in_progress'),
      mr('app-mr1', 'app-2', 'queued'),
      conflict,
      convoy('open'),
    ]);
    expect(lines).toEqual([
      '1/2 merged  app-1 slugify: merged (Merged in app-mr2)',
      '1/2 merged  app-2 word-count: merge request app-mr1 queued',
    ]);
    expect(t.finished()).toBe(false);
    expect(
      t.update([
        work('app-1', 'closed', { close_reason: 'Merged in app-mr2' }),
        work('app-2', 'closed', { close_reason: 'Merged in app-mr1' }),
        mr('app-mr1', 'app-2', 'merged', 'closed'),
        conflict,
        convoy('closed'),
      ]),
    ).toEqual([
      '2/2 merged  app-2 word-count: merged (Merged in app-mr1)',
      'convoy demo-c1 landed: All tracked beads closed',
    ]);
    expect(t.finished()).toBe(true);
    expect(t.counts()).toEqual({ beads: 2, merged: 2, rejections: 1, conflicts: 1, landed: true });
  });

  it('finds a merge request by its title when metadata.mr has no source', () => {
    const t = new ProgressTracker(tracked, 'demo-c1');
    const untitled: BeadRow = {
      ...mr('app-mr1', 'app-1', 'merging'),
      metadata: { mr: { state: 'merging' } },
    };
    expect(t.update([work('app-1', 'in_progress'), work('app-2', 'open'), untitled])[0]).toBe(
      '0/2 merged  app-1 slugify: merge request app-mr1 merging',
    );
  });

  it('tells a bead closed without a merge from a merged one', () => {
    const t = new ProgressTracker(tracked, 'demo-c1');
    expect(t.update([work('app-1', 'closed', { close_reason: 'wontfix' })])[0]).toBe(
      '0/2 merged  app-1 slugify: closed: wontfix',
    );
    expect(t.counts().merged).toBe(0);
  });
});

describe('the final checks', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const filed: FiledBead[] = demoBeads()
    .slice(0, 2)
    .map((spec, i) => ({ spec, id: `app-${i + 1}` }));

  it('checkStore names every bead not merged and a convoy not landed', () => {
    expect(
      checkStore(
        [
          work('app-1', 'closed', { close_reason: 'Merged in app-mr1' }),
          work('app-2', 'closed', { close_reason: 'Merged in app-mr2' }),
          convoy('closed'),
        ],
        filed,
        'demo-c1',
      ),
    ).toEqual([]);
    expect(checkStore([work('app-1', 'hooked'), convoy('open')], filed, 'demo-c1')).toEqual([
      'bead app-1 (slugify) is hooked, not closed as "Merged in ..."',
      'bead app-2 (truncate) is not in the store',
      'convoy demo-c1 has not landed (status open)',
    ]);
  });

  it('checkUpstream passes the sample project and names the commits missing from main', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-verify-'));
    dirs.push(dir);
    const upstream = await createSampleUpstream(dir);
    expect(await checkUpstream(upstream, path.join(dir, 'a'), [])).toEqual([]);
    expect(await checkUpstream(upstream, path.join(dir, 'b'), filed)).toEqual([
      'commit "slugify: add slugify(s) for URL slugs" of app-1 (slugify) is not on main',
      'commit "truncate: add truncate(s, max) with an ellipsis" of app-2 (truncate) is not on main',
    ]);
  });
});
