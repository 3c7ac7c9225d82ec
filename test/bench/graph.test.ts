import { describe, it, expect } from 'vitest';
import { generateGraph, rng } from '../../bench/graph.js';
import type { Bead } from '../../beads/types.js';

function blockingCycle(beads: readonly Bead[]): boolean {
  const edges = new Map<string, string[]>();
  for (const b of beads) {
    edges.set(
      b.id,
      (b.dependencies ?? []).filter((d) => d.type === 'blocks').map((d) => d.depends_on_id),
    );
  }
  const state = new Map<string, 1 | 2>();
  const visit = (id: string): boolean => {
    if (state.get(id) === 1) return true;
    if (state.get(id) === 2) return false;
    state.set(id, 1);
    for (const next of edges.get(id) ?? []) if (visit(next)) return true;
    state.set(id, 2);
    return false;
  };
  return beads.some((b) => visit(b.id));
}

describe('generateGraph', () => {
  const graph = generateGraph({ count: 2000, seed: 7 });
  const byId = new Map(graph.beads.map((b) => [b.id, b]));

  it('makes the promised number of beads with unique ids', () => {
    expect(graph.beads).toHaveLength(2000);
    expect(byId.size).toBe(2000);
  });

  it('has about 10 % epics whose children have hierarchical ids and parent-child edges', () => {
    const epics = graph.beads.filter((b) => b.issue_type === 'epic');
    expect(epics).toHaveLength(200);
    const children = graph.beads.filter((b) => b.dependencies?.some((d) => d.type === 'parent-child'));
    expect(children.length).toBeGreaterThan(800);
    for (const child of children) {
      const edge = child.dependencies?.find((d) => d.type === 'parent-child');
      expect(edge?.issue_id).toBe(child.id);
      expect(byId.get(edge?.depends_on_id ?? '')?.issue_type).toBe('epic');
      expect(child.id).toMatch(new RegExp(`^${(edge?.depends_on_id ?? '').replace('.', '\\.')}\\.\\d+$`));
    }
    expect(graph.stats.children).toBe(children.length);
  });

  it('spreads types and priorities and closes about half', () => {
    const types = new Set(graph.beads.map((b) => b.issue_type));
    expect([...types].sort()).toEqual(['bug', 'epic', 'feature', 'task']);
    expect(new Set(graph.beads.map((b) => b.priority))).toEqual(new Set([0, 1, 2, 3, 4]));
    const closed = graph.beads.filter((b) => b.status === 'closed');
    expect(closed.length / 2000).toBeGreaterThan(0.45);
    expect(closed.length / 2000).toBeLessThan(0.55);
    for (const b of closed) expect(b.closed_at).toBeDefined();
    for (const b of graph.beads.filter((x) => x.status !== 'closed')) expect(b.closed_at).toBeUndefined();
    expect(graph.beads.filter((b) => (b.labels?.length ?? 0) > 0).length).toBeGreaterThan(1000);
    expect(graph.stats.comments).toBeGreaterThan(200);
  });

  it('blocks about a third of the open beads, acyclically, with ground truth matching the edges', () => {
    const notClosed = graph.beads.filter((b) => b.status !== 'closed');
    const truth = notClosed.filter((b) =>
      (b.dependencies ?? []).some(
        (d) => d.type === 'blocks' && byId.get(d.depends_on_id)?.status !== 'closed',
      ),
    );
    expect(new Set(truth.map((b) => b.id))).toEqual(graph.blockedIds);
    const fraction = truth.length / notClosed.length;
    expect(fraction).toBeGreaterThan(0.28);
    expect(fraction).toBeLessThan(0.39);
    expect(graph.beads.filter((b) => b.issue_type === 'epic').every((e) => !graph.blockedIds.has(e.id))).toBe(
      true,
    );
    expect(blockingCycle(graph.beads)).toBe(false);
    for (const b of graph.beads) {
      const targets = (b.dependencies ?? []).map((d) => d.depends_on_id);
      expect(new Set(targets).size).toBe(targets.length);
      for (const t of targets) expect(byId.has(t)).toBe(true);
    }
  });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateGraph({ count: 300, seed: 7 }).beads).toEqual(
      generateGraph({ count: 300, seed: 7 }).beads,
    );
    expect(generateGraph({ count: 300, seed: 8 }).beads).not.toEqual(
      generateGraph({ count: 300, seed: 7 }).beads,
    );
    const r = rng(1);
    const values = Array.from({ length: 1000 }, () => r());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
