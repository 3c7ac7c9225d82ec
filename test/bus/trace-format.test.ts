import { describe, expect, it } from 'vitest';
import { createEnvelope, encode } from '../../bus/envelope.js';
import {
  formatObserved,
  isProblem,
  observe,
  observedJson,
  parseSince,
  traceOf,
} from '../../bus/trace-format.js';

const bead = {
  id: 'demo-a1b2',
  title: 'Fix the door',
  status: 'open',
  priority: 2,
  issue_type: 'task',
  created_at: '2026-11-22T12:00:00Z',
  updated_at: '2026-11-22T12:00:00Z',
};

describe('trace-format', () => {
  it('formats a valid envelope on one line with its trace', () => {
    const env = createEnvelope('bead.created', { from: 'alpha/store', to: 'alpha', body: { bead } });
    const o = observe('gt.alpha.evt.bead.created', encode(env));
    expect(o.ok).toBe(true);
    const line = formatObserved(o);
    expect(line).toContain('evt  bead.created');
    expect(line).toContain('alpha/store → alpha  demo-a1b2 "Fix the door" open');
    expect(line).toContain(`trace ${(traceOf(o) ?? '').slice(0, 8)}`);
    expect(JSON.parse(observedJson(o))).toMatchObject({
      subject: 'gt.alpha.evt.bead.created',
      envelope: { id: env.id },
    });
    expect(formatObserved(o, 40)).toHaveLength(40);
  });

  it('keeps invalid traffic visible, and counts it as a problem', () => {
    const o = observe('gt.alpha.cmd.bead.create', new TextEncoder().encode('{"nope":1}'));
    expect(o.ok).toBe(false);
    expect(formatObserved(o)).toMatch(/INVALID on gt\.alpha\.cmd\.bead\.create: invalid message/);
    expect(JSON.parse(observedJson(o))).toMatchObject({ raw: '{"nope":1}' });
    expect(isProblem(o)).toBe(true);
  });

  it('marks problem events by their event token', () => {
    const env = createEnvelope('bead.updated', { from: 'alpha/store', to: 'alpha', body: { bead } });
    expect(isProblem(observe('gt.alpha.evt.bead.updated', encode(env)))).toBe(false);
    expect(isProblem(observe('gt.alpha.evt.polecat.stalled', encode(env)))).toBe(true);
    expect(isProblem(observe('gt.alpha.evt.mr.failed', encode(env)))).toBe(true);
  });

  it('parses --since as a duration or an ISO time', () => {
    const now = new Date('2026-11-22T12:00:00Z');
    expect(parseSince('10m', now)?.toISOString()).toBe('2026-11-22T11:50:00.000Z');
    expect(parseSince('2h', now)?.toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(parseSince('1d', now)?.toISOString()).toBe('2026-11-21T12:00:00.000Z');
    expect(parseSince('2026-11-20T08:00:00Z', now)?.toISOString()).toBe('2026-11-20T08:00:00.000Z');
    expect(parseSince('yesterday', now)).toBeNull();
    expect(parseSince('10 parsecs', now)).toBeNull();
  });
});
