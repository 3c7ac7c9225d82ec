import { errors as natsErrors } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseSince, parseTimeoutMs } from '../../bus/duration.js';
import { createEnvelope, encode } from '../../bus/envelope.js';
import type { AnyEnvelope } from '../../bus/envelope.js';
import { InvalidMessageError } from '../../bus/errors.js';
import {
  BusUnreachableError,
  FeedMerger,
  clockTime,
  formatObserved,
  kindOf,
  observeMessage,
  observeReplayed,
  observedProblem,
  observedRecord,
  parseTraceArg,
  patternIncludesRaw,
  patternProblem,
  summarize,
  traceFilter,
  traceIdOfObserved,
  unreachableError,
} from '../../bus/observer.js';
import type { Observed } from '../../bus/observer.js';
import { isProblem, isProblemToken, problemReason } from '../../bus/problems.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${TRACE}-00f067aa0ba902b7-01`;
const AT = new Date('2026-11-22T13:02:11.402Z');
const bead = { id: 'demo-a1b2', title: 'Fix the door', status: 'open' } as never;
const text = (s: string) => new TextEncoder().encode(s);
const ESC = String.fromCharCode(27);

function created(traceparent = PARENT): AnyEnvelope {
  return createEnvelope('bead.created', {
    from: 'alpha/store',
    to: 'alpha',
    body: { bead },
    traceparent,
    at: AT,
  });
}

function seen(subject: string, env: AnyEnvelope): Observed {
  return observeMessage({ subject, data: encode(env), traceparent: env.traceparent }, AT);
}

describe('durations', () => {
  it('parses durations, compound and decimal', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(' 10M ')).toBe(600_000);
    for (const bad of ['', '10', 'm', '10 parsecs', '-5m', '0s', '10m5', 'h1'])
      expect(parseDuration(bad)).toBeNull();
  });

  it('parses --since as a duration back from now or an ISO time', () => {
    const now = new Date('2026-11-22T12:00:00Z');
    expect(parseSince('10m', now)?.toISOString()).toBe('2026-11-22T11:50:00.000Z');
    expect(parseSince('2h', now)?.toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(parseSince('1d', now)?.toISOString()).toBe('2026-11-21T12:00:00.000Z');
    expect(parseSince('2026-11-20T08:00:00Z', now)?.toISOString()).toBe('2026-11-20T08:00:00.000Z');
    expect(parseSince('2026-11-20T08:00+01:00', now)?.toISOString()).toBe('2026-11-20T07:00:00.000Z');
    expect(parseSince('2026-11-20', now)?.toISOString()).toBe('2026-11-20T00:00:00.000Z');
    for (const bad of ['yesterday', '10 parsecs', '2026-13-45', '12:00', '1700000000'])
      expect(parseSince(bad, now)).toBeNull();
  });

  it('parses timeouts as milliseconds or a duration', () => {
    expect(parseTimeoutMs('5000')).toBe(5000);
    expect(parseTimeoutMs('30s')).toBe(30_000);
    expect(parseTimeoutMs('0')).toBeNull();
    expect(parseTimeoutMs('-1')).toBeNull();
    expect(parseTimeoutMs('soon')).toBeNull();
  });
});

describe('the problem set', () => {
  const body = { bead };
  it('flags problem event tokens on the subject or the type, also as a _ suffix', () => {
    for (const event of [
      'stalled',
      'stuck',
      'dead',
      'crashed',
      'timeout',
      'failed',
      'rejected',
      'conflict',
      'blocked',
      'escalated',
      'error',
    ])
      expect(
        isProblem({ subject: `gt.alpha.evt.polecat.${event}`, envelope: { type: 'bead.updated', body } }),
      ).toBe(true);
    expect(
      problemReason({ subject: 'gt.alpha.evt.mr.merge_failed', envelope: { type: 'bead.updated', body } }),
    ).toBe('event "merge_failed"');
    expect(
      problemReason({ subject: 'gt.alpha.mail.mayor', envelope: { type: 'polecat.stalled', body } }),
    ).toBe('event "stalled"');
    expect(isProblemToken('failed_over')).toBe(false);
    expect(isProblemToken('_failed')).toBe(false);
  });

  it('flags a body severity of warn or error, and invalid messages on town subjects', () => {
    expect(
      problemReason({
        subject: 'gt.alpha.evt.disk.low',
        envelope: { type: 'x.y', body: { severity: 'warn' } },
      }),
    ).toBe('severity "warn"');
    expect(
      isProblem({ subject: 'gt.alpha.evt.disk.low', envelope: { type: 'x.y', body: { severity: 'ERROR' } } }),
    ).toBe(true);
    expect(
      isProblem({ subject: 'gt.alpha.evt.disk.low', envelope: { type: 'x.y', body: { severity: 'info' } } }),
    ).toBe(false);
    expect(problemReason({ subject: 'gt.alpha.evt.bead.created', envelope: null })).toBe('invalid message');
    expect(isProblem({ subject: '_INBOX.abc.1', envelope: null })).toBe(false);
  });

  it('leaves ordinary traffic alone', () => {
    for (const [subject, type] of [
      ['gt.alpha.evt.bead.created', 'bead.created'],
      ['gt.alpha.evt.bead.updated', 'bead.updated'],
      ['gt.alpha.evt.mr.merged', 'mr.merged'],
      ['gt.alpha.hb.mayor', 'heartbeat'],
    ] as const)
      expect(isProblem({ subject, envelope: { type, body } })).toBe(false);
  });
});

describe('observing messages', () => {
  it('decodes a valid envelope and keeps its trace', () => {
    const o = seen('gt.alpha.evt.bead.created', created());
    expect(o.status).toBe('valid');
    expect(traceIdOfObserved(o)).toBe(TRACE);
    expect(observedProblem(o)).toBeNull();
  });

  it('keeps invalid traffic on town subjects as invalid, with its bytes and header trace', () => {
    const o = observeMessage(
      { subject: 'gt.alpha.evt.thing.failed', data: text('not json'), traceparent: PARENT },
      AT,
    );
    expect(o.status).toBe('invalid');
    expect(traceIdOfObserved(o)).toBe(TRACE);
    expect(observedProblem(o)).toBe('invalid message');
    const fromJson = observeMessage({
      subject: 'gt.alpha.evt.x.y',
      data: text(JSON.stringify({ traceparent: PARENT })),
    });
    expect(traceIdOfObserved(fromJson)).toBe(TRACE);
  });

  it('marks a header traceparent that disagrees with the envelope invalid', () => {
    const env = created();
    const o = observeMessage({
      subject: 'gt.alpha.evt.bead.created',
      data: encode(env),
      traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`,
    });
    expect(o.status).toBe('invalid');
  });

  it('shows traffic outside gt. as raw, not invalid', () => {
    const o = observeMessage({ subject: '_INBOX.abc.1', data: text('{"ok":true}') });
    expect(o.status).toBe('raw');
    expect(observedProblem(o)).toBeNull();
    expect(kindOf('_INBOX.abc.1')).toBe('reply');
    expect(kindOf('foo.bar')).toBe('raw');
    expect(kindOf('gt.alpha.evt.too.many.tokens')).toBe('gt');
  });

  it('turns replayed events into observed ones', () => {
    const env = created();
    const ok = observeReplayed({ seq: 7, subject: 'gt.alpha.evt.bead.created', ok: true, envelope: env }, AT);
    expect(ok).toMatchObject({ status: 'valid', seq: 7 });
    const bad = observeReplayed(
      {
        seq: 8,
        subject: 'gt.alpha.evt.x.y',
        ok: false,
        error: new InvalidMessageError('$', 'is not valid JSON'),
      },
      AT,
    );
    expect(observedRecord(bad)).toMatchObject({
      status: 'invalid',
      seq: 8,
      error: { field: '$', message: 'field "$" is not valid JSON' },
    });
  });
});

describe('readable lines', () => {
  it('formats a bead event on one line with its trace', () => {
    const line = formatObserved(seen('gt.alpha.evt.bead.created', created()), { clock: 'utc' });
    expect(line).toBe(
      '13:02:11.402 evt   bead.created   alpha/store → alpha  demo-a1b2 "Fix the door"  trace 4bf92f35',
    );
  });

  it('shows the subject when the type does not say it', () => {
    const line = formatObserved(seen('gt.alpha.evt.polecat.stalled', created()), { clock: 'utc' });
    expect(line).toContain('on gt.alpha.evt.polecat.stalled');
  });

  it('marks invalid messages with the reason and the raw text', () => {
    const o = observeMessage({ subject: 'gt.alpha.evt.thing.failed', data: text('not\n json') }, AT);
    expect(formatObserved(o, { clock: 'utc' })).toBe(
      '13:02:11.402 evt   INVALID on gt.alpha.evt.thing.failed: field "$" is not valid JSON  not json',
    );
    const binary = observeMessage(
      { subject: 'gt.alpha.evt.x.y', data: new Uint8Array([0xff, 0xfe, 0x00]) },
      AT,
    );
    expect(formatObserved(binary)).toContain('(3 bytes, not UTF-8) fffe00');
  });

  it('prints raw traffic as it is', () => {
    const o = observeMessage({ subject: '_INBOX.abc.1', data: text('{"ok":true}'), traceparent: PARENT }, AT);
    expect(formatObserved(o, { clock: 'utc' })).toBe(
      '13:02:11.402 reply _INBOX.abc.1  {"ok":true}  trace 4bf92f35',
    );
  });

  it('cuts lines to the width and colors only when asked', () => {
    const o = seen('gt.alpha.evt.bead.created', created());
    const cut = formatObserved(o, { width: 40 });
    expect(cut).toHaveLength(40);
    expect(cut.endsWith('…')).toBe(true);
    expect(formatObserved(o)).not.toContain(ESC);
    const colored = formatObserved(o, { color: true, clock: 'utc' });
    expect(colored).toContain(`${ESC}[32mevt`);
    expect(colored.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '')).toBe(
      formatObserved(o, { clock: 'utc' }),
    );
    const stalled = formatObserved(seen('gt.alpha.evt.polecat.stalled', created()), { color: true });
    expect(stalled).toContain(`${ESC}[1;31mbead.created`);
  });

  it('summarises every known type', () => {
    const from = 'alpha/mayor';
    const to = 'alpha/store';
    const cases: Array<[AnyEnvelope, string]> = [
      [
        createEnvelope('bead.updated', { from, to, body: { bead, changes: ['status', 'assignee'] } }),
        'demo-a1b2 "Fix the door" open (status, assignee)',
      ],
      [
        createEnvelope('bead.create', { from, to, body: { actor: from, input: { title: 'New' } } }),
        '"New" by alpha/mayor',
      ],
      [
        createEnvelope('bead.update', {
          from,
          to,
          body: { actor: from, id: 'd-1', input: { status: 'blocked', priority: 1 } },
        }),
        'd-1 by alpha/mayor: status=blocked priority=1',
      ],
      [
        createEnvelope('bead.close', {
          from,
          to,
          body: { actor: from, id: 'd-1', options: { reason: 'done' } },
        }),
        'd-1 by alpha/mayor "done"',
      ],
      [createEnvelope('bead.claim', { from, to, body: { actor: from, id: 'd-1' } }), 'd-1 by alpha/mayor'],
      [
        createEnvelope('mail.send', {
          from,
          to,
          body: { to: 'alpha/deacon', subject: 'Status?', body: '…' },
        }),
        'to alpha/deacon: "Status?"',
      ],
      [createEnvelope('mail.read', { from, to, body: { id: 'd-m1' } }), 'd-m1'],
      [
        createEnvelope('mail.delivered', {
          from,
          to,
          body: { id: 'd-m1', from, to: 'alpha/deacon', subject: 'Hi', priority: 2 },
        }),
        'd-m1 "Hi" P2',
      ],
      [createEnvelope('nudge', { from, to, body: { text: 'rebase' } }), '"rebase"'],
      [
        createEnvelope('heartbeat', {
          from,
          to,
          body: { actor: from, seq: 12, state: 'idle', uptime_ms: 61_000 },
        }),
        'alpha/mayor #12 idle up 61s',
      ],
      [createEnvelope('town.status', { from, to, body: {} }), 'status?'],
      [createEnvelope('town.stop', { from, to, body: { grace_ms: 500 } }), 'stop (grace 500 ms)'],
    ];
    for (const [env, summary] of cases) expect(summarize(env)).toBe(summary);
    expect(summarize({ ...created(), type: 'future.thing', body: { a: 1 } } as unknown as AnyEnvelope)).toBe(
      '{"a":1}',
    );
  });

  it('writes times local or UTC', () => {
    expect(clockTime(AT, 'utc')).toBe('13:02:11.402');
    expect(clockTime(AT)).toMatch(/^\d\d:\d\d:11\.402$/);
  });
});

describe('JSON records', () => {
  it('carries the envelope, the trace id and why it is a problem', () => {
    const env = created();
    expect(observedRecord(seen('gt.alpha.evt.polecat.stalled', env))).toEqual({
      subject: 'gt.alpha.evt.polecat.stalled',
      status: 'valid',
      received_at: AT.toISOString(),
      trace_id: TRACE,
      problem: 'event "stalled"',
      envelope: env,
    });
  });

  it('carries invalid bytes as text, or base64 when they are not UTF-8', () => {
    const o = observeMessage(
      { subject: 'gt.alpha.cmd.bead.create', data: text('{"nope":1}'), reply: '_INBOX.x.1' },
      AT,
    );
    expect(observedRecord(o)).toMatchObject({
      status: 'invalid',
      reply: '_INBOX.x.1',
      problem: 'invalid message',
      error: { code: 'bus.invalid_message', field: 'id' },
      raw: '{"nope":1}',
    });
    const bin = observeMessage({ subject: 'gt.alpha.evt.x.y', data: new Uint8Array([0xff]) }, AT);
    expect(observedRecord(bin)).toMatchObject({ raw_base64: '/w==' });
    expect(observedRecord(bin)).not.toHaveProperty('raw');
  });
});

describe('following a trace', () => {
  it('accepts an id, a prefix of 8 or more hex, or a traceparent', () => {
    expect(parseTraceArg(TRACE)).toBe(TRACE);
    expect(parseTraceArg(TRACE.toUpperCase())).toBe(TRACE);
    expect(parseTraceArg('4bf92f35')).toBe('4bf92f35');
    expect(parseTraceArg(PARENT)).toBe(TRACE);
    for (const bad of ['4bf92f3', 'xyz', `${TRACE}0`, '']) expect(parseTraceArg(bad)).toBeNull();
  });

  it('keeps only messages of the trace, invalid ones included', () => {
    const keep = traceFilter('4bf92f35');
    expect(keep(seen('gt.alpha.evt.bead.created', created()))).toBe(true);
    expect(
      keep(seen('gt.alpha.evt.bead.created', created(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`))),
    ).toBe(false);
    expect(
      keep(observeMessage({ subject: 'gt.alpha.evt.x.y', data: text('junk'), traceparent: PARENT })),
    ).toBe(true);
    expect(keep(observeMessage({ subject: 'gt.alpha.evt.x.y', data: text('junk') }))).toBe(false);
  });
});

describe('subject patterns', () => {
  it('accepts NATS patterns and explains bad ones', () => {
    for (const ok of ['gt.alpha.>', 'gt.*.mail.>', 'gt.*.evt.>', '>', 'gt.alpha.hb.*'])
      expect(patternProblem(ok)).toBeNull();
    expect(patternProblem('gt.>.x')).toMatch(/last token/);
    expect(patternProblem('gt.al*')).toMatch(/whole token/);
    expect(patternProblem('gt..x')).toMatch(/empty token/);
    expect(patternProblem('gt. x')).toMatch(/whitespace/);
    expect(patternProblem('')).toMatch(/empty/);
  });

  it('knows which patterns include raw traffic', () => {
    expect(patternIncludesRaw('>')).toBe(true);
    expect(patternIncludesRaw('*.alpha.>')).toBe(true);
    expect(patternIncludesRaw('gt.*.evt.>')).toBe(false);
  });
});

describe('merging a replay with the live feed', () => {
  const a = seen('gt.alpha.evt.bead.created', created());
  const b = seen('gt.alpha.evt.bead.created', created());
  const c = seen('gt.alpha.evt.bead.created', created());

  it('holds live messages during the replay and prints each message once', () => {
    const m = new FeedMerger({ replaying: true });
    expect(m.live(b)).toEqual([]);
    expect(m.live(c)).toEqual([]);
    expect(m.heldCount).toBe(2);
    expect(m.replayed(a)).toEqual([a]);
    expect(m.replayed(b)).toEqual([b]);
    expect(m.replayed(b)).toEqual([]);
    expect(m.endReplay()).toEqual([c]);
    expect(m.live(a)).toEqual([]);
    expect(m.live(a)).toEqual([a]);
    m.forgetReplayed();
    expect(m.live(b)).toEqual([b]);
  });

  it('passes live messages straight on without a replay', () => {
    const m = new FeedMerger({ replaying: false });
    expect(m.live(a)).toEqual([a]);
    expect(m.live(a)).toEqual([a]);
  });
});

describe('an unreachable bus', () => {
  const refused = new natsErrors.ConnectionError('connection refused');
  it('tells a managed town to start with gt up', () => {
    const e = unreachableError(refused, { url: 'nats://127.0.0.1:4222', town: 'alpha', mode: 'managed' });
    expect(e).toBeInstanceOf(BusUnreachableError);
    expect(e.code).toBe('bus.unreachable');
    expect(e.message).toBe(
      'cannot reach the bus of town alpha at nats://127.0.0.1:4222: start it with `gt up`',
    );
  });

  it('tells an external town to start its NATS, and --server users to check the URL', () => {
    const ext = unreachableError(refused, {
      url: 'nats://n:4222',
      town: 'alpha',
      mode: 'external',
      configFile: '/t/town.json',
    });
    expect(ext.message).toMatch(
      /^cannot reach the bus of town alpha at nats:\/\/n:4222: start its NATS server .*\/t\/town\.json.*gt up/,
    );
    const raw = unreachableError(refused, { url: 'nats://n:4222' });
    expect(raw.message).toBe(
      'cannot reach NATS at nats://n:4222: connection refused; check the URL, or start that server',
    );
  });

  it('names refused credentials', () => {
    const e = unreachableError(new natsErrors.AuthorizationError('Authorization Violation'), {
      url: 'nats://n:1',
      town: 'alpha',
      configFile: '/t/town.json',
    });
    expect(e.code).toBe('bus.unauthorized');
    expect(e.message).toMatch(/authorization failed; check nats\.user and nats\.password in \/t\/town\.json/);
  });
});
