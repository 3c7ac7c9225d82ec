import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileBodyCheck } from '../../bus/body-check.js';
import { validateEnvelope, createEnvelope } from '../../bus/envelope.js';
import { bodyChecks, MESSAGE_TYPES, messageSchemas } from '../../bus/messages.js';
import type { MessageType } from '../../bus/messages.js';
import { MESSAGE_SAMPLES } from './message-samples.js';

/** Richer valid bodies than the samples: every field the command schemas know, set. */
const FULL: Partial<Record<MessageType, unknown>> = {
  'bead.create': {
    actor: 'alpha/mayor',
    input: {
      title: 'Everything',
      id: 'bd-x1',
      prefix: 'bd',
      force: true,
      description: 'd',
      design: '',
      acceptance_criteria: 'a',
      notes: 'n',
      spec_id: 's',
      status: 'open',
      priority: 0,
      issue_type: 'bug',
      assignee: 'me',
      owner: 'you',
      estimated_minutes: 1.5,
      due_at: '2026-12-01',
      defer_until: '2026-12-02',
      external_ref: 'gh-1',
      source_system: 'x',
      metadata: { a: 1, b: [null], c: { d: 'e' } },
      sender: 'alpha/mayor',
      ephemeral: false,
      wisp_type: 'w',
      pinned: true,
      labels: [],
      parent: 'bd-p',
      deps: [{ type: 'blocks', id: 'bd-b' }],
    },
  },
  'bead.update': {
    actor: 'alpha/mayor',
    id: 'bd-a1',
    input: {
      spec_id: null,
      owner: null,
      estimated_minutes: null,
      metadata: null,
      parent: null,
      set_labels: ['a', 'b'],
      remove_labels: [],
      append_notes: 'more',
      pinned: false,
    },
  },
  'mail.send': {
    to: 'alpha/web/witness',
    subject: 'S',
    body: '',
    thread_id: 't',
    reply_to: 'r',
    priority: 4,
  },
  heartbeat: { actor: 'alpha/deacon', seq: 0, uptime_ms: 0 },
  'polecat.add': { rig: 'web', names: ['nux', 'a-1'], count: 100 },
  'town.stop': {},
};

const ODD_VALUES: unknown[] = [
  undefined,
  null,
  '',
  'x',
  0,
  -1,
  1.5,
  2 ** 60,
  Number.NaN,
  Infinity,
  true,
  [],
  [''],
  [1],
  {},
  new Date(0),
  Object.create(null),
];

/** The value with one change at one place: each key dropped or replaced, an unknown key, deeper too. */
function* mutations(value: unknown, depth = 0): Generator<unknown> {
  for (const odd of ODD_VALUES) yield odd;
  if (depth > 3) return;
  if (Array.isArray(value)) {
    const list = value as unknown[];
    for (let i = 0; i < list.length; i++)
      for (const m of mutations(list[i], depth + 1)) yield list.map((x, k) => (k === i ? m : x));
    yield [...list, 'extra'];
    yield [];
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  yield { ...record, zzz: 1 };
  yield Object.assign(Object.create(null) as object, record);
  for (const key of Object.keys(record)) {
    const { [key]: _dropped, ...rest } = record;
    yield rest;
    for (const m of mutations(record[key], depth + 1)) yield { ...record, [key]: m };
  }
}

describe('body checks compiled from the message schemas', () => {
  it('covers every registered message type', () => {
    for (const type of MESSAGE_TYPES) expect(bodyChecks[type], type).not.toBeNull();
  });

  it('accepts the valid bodies, which zod accepts unchanged', () => {
    for (const type of MESSAGE_TYPES) {
      for (const body of [MESSAGE_SAMPLES[type], FULL[type]]) {
        if (body === undefined) continue;
        expect(messageSchemas[type].safeParse(body).success, type).toBe(true);
        expect(bodyChecks[type]?.(body), `${type} ${JSON.stringify(body)}`).toBe(true);
      }
    }
  });

  it('accepts nothing zod refuses, over thousands of one-change mutations of every body', () => {
    let tried = 0;
    let sentToZod = 0;
    for (const type of MESSAGE_TYPES) {
      const check = bodyChecks[type];
      for (const body of [MESSAGE_SAMPLES[type], FULL[type]]) {
        if (body === undefined || check === null) continue;
        for (const m of mutations(body)) {
          tried++;
          const fast = check(m);
          if (!fast) sentToZod++;
          if (fast)
            expect(messageSchemas[type].safeParse(m).success, `${type} ${JSON.stringify(m)}`).toBe(true);
        }
      }
    }
    expect(tried).toBeGreaterThan(3_000);
    expect(sentToZod).toBeGreaterThan(tried / 2);
  });

  it('leaves the error to zod: an invalid body names its field as before', () => {
    const env = {
      ...createEnvelope('bead.create', {
        from: 'alpha/mayor',
        to: 'alpha/store',
        body: { actor: 'alpha/mayor', input: { title: 'x' } },
      }),
    };
    const bad = (body: unknown) => {
      const r = validateEnvelope({ ...env, body });
      return r.ok ? 'ok' : `${r.error.field}: ${r.error.message}`;
    };
    expect(bad({ actor: 'alpha/mayor', input: { title: '' } })).toMatch(/^body\.input\.title: /);
    expect(bad({ actor: 'alpha/mayor', input: { title: 'x', priority: 1.5 } })).toMatch(
      /^body\.input\.priority: /,
    );
    expect(bad({ actor: 'alpha/mayor', input: { title: 'x', zzz: 1 } })).toMatch(/unknown field\(s\) zzz/);
    expect(bad({ actor: 'alpha/mayor', input: { title: 'x', notes: undefined } })).toMatch(
      /^body\.input\.notes: /,
    );
  });
});

describe('compileBodyCheck', () => {
  it('declines what it cannot prove unchanged, so zod alone decides', () => {
    expect(compileBodyCheck(z.string().transform((s) => s.length))).toBeNull();
    expect(compileBodyCheck(z.strictObject({ a: z.string().default('x') }))).toBeNull();
    expect(compileBodyCheck(z.object({ a: z.string() }))).toBeNull(); // strips unknown keys
    expect(compileBodyCheck(z.looseObject({ a: z.string() }))).toBeNull();
    expect(compileBodyCheck(z.string().email())).toBeNull();
    expect(compileBodyCheck(z.number().multipleOf(2))).toBeNull();
    expect(compileBodyCheck(z.array(z.string().trim()))).toBeNull();
    expect(compileBodyCheck(z.record(z.string().min(2), z.unknown()))).toBeNull();
    expect(compileBodyCheck(z.string().regex(/a/g))).toBeNull();
  });

  it('checks bounds, formats and shapes as zod does', () => {
    const n = compileBodyCheck(z.number().int().min(0).max(4).positive());
    expect([0, 1, 4, 5, 2.5, -1, Infinity].map((v) => n?.(v))).toEqual([
      false,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    const s = compileBodyCheck(
      z
        .string()
        .min(2)
        .max(3)
        .regex(/^[a-z]+$/),
    );
    expect(['a', 'ab', 'abc', 'abcd', 'aB', 1].map((v) => s?.(v))).toEqual([
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
    const o = compileBodyCheck(
      z.strictObject({ a: z.string(), b: z.number().exactOptional(), c: z.boolean().nullable() }),
    );
    expect(o?.({ a: 'x', c: null })).toBe(true);
    expect(o?.({ a: 'x', b: 1, c: true })).toBe(true);
    expect(o?.({ c: true })).toBe(false);
    expect(o?.({ a: 'x', b: undefined, c: true })).toBe(false);
    expect(o?.({ a: 'x', c: true, d: 1 })).toBe(false);
    expect(
      o?.(
        new (class {
          a = 'x';
          c = true;
        })(),
      ),
    ).toBe(false);
    const u = compileBodyCheck(z.strictObject({ u: z.unknown().exactOptional() }));
    expect(u?.({ u: 1 })).toBe(true);
    expect(u?.({ u: undefined })).toBe(false); // exactOptional: zod refuses it
    const lit = compileBodyCheck(z.literal(true));
    expect([true, false, 'true'].map((v) => lit?.(v))).toEqual([true, false, false]);
  });
});
