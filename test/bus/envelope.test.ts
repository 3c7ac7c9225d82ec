import { describe, expect, it } from 'vitest';
import {
  childTraceparent,
  createEnvelope,
  decode,
  encode,
  newMessageId,
  newTraceparent,
  traceIdOf,
  validateEnvelope,
} from '../../bus/envelope.js';
import { InvalidMessageError, RemoteError, TownNotRunningError } from '../../bus/errors.js';
import { MESSAGE_TYPES, messageSchemas } from '../../bus/messages.js';
import { MESSAGE_SAMPLES } from './message-samples.js';
import { checkReply, errorReply, okReply, replySchema, unwrapReply } from '../../bus/reply.js';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

function valid(): Record<string, unknown> {
  return {
    ...createEnvelope('nudge', { from: 'alpha/mayor', to: 'alpha/web/polecats/nux', body: { text: 'hi' } }),
  };
}

function failField(value: unknown): string {
  const result = validateEnvelope(value);
  expect(result.ok).toBe(false);
  if (result.ok) return '';
  expect(result.error).toBeInstanceOf(InvalidMessageError);
  expect(result.error.code).toBe('bus.invalid_message');
  return result.error.field;
}

describe('ids and trace context', () => {
  it('makes unique time-ordered ids', () => {
    const a = newMessageId(1_000);
    const b = newMessageId(2_000);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a < b).toBe(true);
    const many = new Set(Array.from({ length: 1000 }, () => newMessageId()));
    expect(many.size).toBe(1000);
  });

  it('makes W3C traceparents and children in the same trace', () => {
    const root = newTraceparent();
    expect(root).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const child = childTraceparent(root);
    expect(traceIdOf(child)).toBe(traceIdOf(root));
    expect(child).not.toBe(root);
    expect(traceIdOf('bad')).toBeNull();
    expect(traceIdOf(childTraceparent('bad'))).toMatch(/^[0-9a-f]{32}$/);
  });

  it('stamps `at` with the current millisecond, or the given date', () => {
    const make = (at?: Date) =>
      createEnvelope('nudge', {
        from: 'alpha/mayor',
        to: 'alpha/deacon',
        body: { text: 'hi' },
        ...(at === undefined ? {} : { at }),
      }).at;
    const deadline = Date.now() + 50;
    const seen = new Set<string>();
    while (Date.now() < deadline) {
      const before = Date.now();
      const at = make();
      const after = Date.now();
      const ms = Date.parse(at);
      expect(at).toBe(new Date(ms).toISOString());
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(after);
      seen.add(at);
    }
    expect(seen.size).toBeGreaterThan(1);
    expect(make(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)))).toBe('2026-01-02T03:04:05.006Z');
  });
});

describe('encode / decode', () => {
  it('round-trips every registered type', () => {
    const samples = MESSAGE_SAMPLES;
    expect(Object.keys(samples).sort()).toEqual([...MESSAGE_TYPES].sort());
    for (const type of MESSAGE_TYPES) {
      const env = createEnvelope(type, {
        from: 'alpha/mayor',
        to: 'alpha/deacon',
        body: samples[type] as never,
      });
      const decoded = decode(encode(env), env.traceparent);
      expect(decoded, type).toEqual({ ok: true, envelope: env });
    }
  });

  it('keeps the trace of a parent message', () => {
    const parent = newTraceparent();
    const env = createEnvelope('nudge', {
      from: 'mayor',
      to: 'deacon',
      body: { text: 'x' },
      traceparent: parent,
    });
    expect(traceIdOf(env.traceparent)).toBe(traceIdOf(parent));
  });

  it('throws InvalidMessageError when encoding an invalid envelope', () => {
    const env = createEnvelope('nudge', { from: 'alpha/mayor', to: 'alpha/deacon', body: { text: '' } });
    expect(() => encode(env)).toThrow(InvalidMessageError);
  });

  it('never throws on bad bytes', () => {
    const notUtf8 = decode(new Uint8Array([0xff, 0xfe, 0x00]));
    expect(notUtf8.ok).toBe(false);
    if (!notUtf8.ok) expect(notUtf8.error.message).toMatch(/not valid UTF-8/);
    const notJson = decode(new TextEncoder().encode('{nope'));
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.error.field).toBe('$');
    const notObject = decode(bytes([1, 2]));
    expect(notObject.ok).toBe(false);
  });

  it('rejects a traceparent header that differs from the envelope', () => {
    const env = valid();
    const result = decode(bytes(env), newTraceparent());
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.field).toBe('traceparent');
  });
});

describe('validation names the failing field', () => {
  it.each([
    ['id', { id: 'short' }],
    ['id', { id: 'X'.repeat(32) }],
    ['type', { type: 'Bead.Create' }],
    ['type', { type: 'bead..create' }],
    ['type', { type: 'bead.unknown' }],
    ['from', { from: 'Alpha/Mayor' }],
    ['from', { from: '' }],
    ['to', { to: 'alpha//mayor' }],
    ['to', { to: 42 }],
    ['at', { at: '2026-11-22 13:00:00' }],
    ['at', { at: '2026-11-22T13:00:00+02:00' }],
    ['at', { at: '2026-13-45T13:00:00Z' }],
    ['traceparent', { traceparent: '01-' + 'a'.repeat(32) + '-' + 'b'.repeat(16) + '-01' }],
    ['traceparent', { traceparent: '00-' + '0'.repeat(32) + '-' + 'b'.repeat(16) + '-01' }],
    ['traceparent', { traceparent: '00-' + 'a'.repeat(32) + '-' + 'b'.repeat(15) + '-01' }],
    ['body.text', { body: { text: '' } }],
    ['body.text', { body: {} }],
    ['body', { body: { text: 'x', extra: 1 } }],
    ['body', { body: 'string' }],
    ['$', { unexpected: true }],
  ])('%s', (field, patch) => {
    expect(failField({ ...valid(), ...patch })).toBe(field);
  });

  it('reports missing fields', () => {
    for (const key of ['id', 'type', 'from', 'to', 'at', 'traceparent']) {
      const env = valid();
      delete env[key];
      expect(failField(env)).toBe(key);
    }
  });

  it('validates command bodies against the store inputs', () => {
    const base = { ...valid(), type: 'bead.create' };
    expect(failField({ ...base, body: { actor: 'a', input: { title: '' } } })).toBe('body.input.title');
    expect(failField({ ...base, body: { actor: 'a', input: { title: 't', priority: 1.5 } } })).toBe(
      'body.input.priority',
    );
    expect(failField({ ...base, body: { actor: 'a', input: { title: 't', bogus: 1 } } })).toBe('body.input');
    expect(failField({ ...base, body: { input: { title: 't' } } })).toBe('body.actor');
    const update = { ...valid(), type: 'bead.update' };
    expect(failField({ ...update, body: { actor: 'a', id: 'x', input: { title: null } } })).toBe(
      'body.input.title',
    );
    expect(validateEnvelope({ ...update, body: { actor: 'a', id: 'x', input: { assignee: null } } }).ok).toBe(
      true,
    );
    const close = { ...valid(), type: 'bead.close' };
    expect(failField({ ...close, body: { actor: 'a', id: 'x', options: { force: 'yes' } } })).toBe(
      'body.options.force',
    );
    const mail = { ...valid(), type: 'mail.send' };
    expect(failField({ ...mail, body: { to: 'Not An Address', subject: 's', body: '' } })).toBe('body.to');
    const hb = { ...valid(), type: 'heartbeat' };
    expect(failField({ ...hb, body: { actor: 'alpha/deacon', seq: -1 } })).toBe('body.seq');
    const created = { ...valid(), type: 'bead.created' };
    expect(failField({ ...created, body: { bead: { title: 't' } } })).toBe('body.bead');
  });

  it('has a schema per registered type', () => {
    for (const type of MESSAGE_TYPES) expect(messageSchemas[type]).toBeDefined();
  });
});

describe('replies', () => {
  it('builds ok and error replies that pass the reply schema', () => {
    expect(replySchema.parse(okReply({ id: 'bd-1' }))).toEqual({ ok: true, result: { id: 'bd-1' } });
    const err = errorReply(new TownNotRunningError('alpha'));
    expect(err).toEqual({
      ok: false,
      error: {
        code: 'bus.town_not_running',
        message: 'town alpha is not running: start it with `gt up`',
        retryable: true,
        details: { town: 'alpha' },
      },
    });
    expect(replySchema.parse(err)).toEqual(err);
    const coded = Object.assign(new Error('no bead'), { code: 'bead.not_found', details: { id: 'x' } });
    expect(errorReply(coded)).toEqual({
      ok: false,
      error: { code: 'bead.not_found', message: 'no bead', retryable: false, details: { id: 'x' } },
    });
    expect(errorReply('boom')).toMatchObject({ ok: false, error: { code: 'bus.internal', message: 'boom' } });
    expect(replySchema.safeParse({ ok: false, error: { code: 'x' } }).success).toBe(false);
  });

  it('checks replies: the ok form by hand, the rest against the schema, naming the failing field', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(checkReply({ ok: true, result: { id: 'bd-1' }, traceparent: tp })).toEqual({
      ok: true,
      result: { id: 'bd-1' },
      traceparent: tp,
    });
    expect(checkReply({ ok: true })).toEqual({ ok: true });
    const err = errorReply(new TownNotRunningError('alpha'));
    expect(checkReply({ ...err, traceparent: tp })).toEqual({ ...err, traceparent: tp });
    expect(checkReply({ ok: true, result: 1, extra: 2 })).toMatchObject({ field: 'reply' });
    expect(checkReply({ ok: true, result: 1, traceparent: 7 })).toMatchObject({ field: 'reply.traceparent' });
    expect(checkReply({ ok: false, error: { code: 'x' } })).toMatchObject({ field: 'reply.error.message' });
    expect(checkReply('ok')).toMatchObject({ field: 'reply' });
    expect(checkReply(null)).toMatchObject({ field: 'reply' });
  });

  it('unwraps ok replies and throws error replies as RemoteError', () => {
    expect(unwrapReply(okReply(5))).toBe(5);
    const reply = errorReply(new InvalidMessageError('body.text', 'is empty'));
    try {
      unwrapReply(reply);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RemoteError);
      expect((error as RemoteError).code).toBe('bus.invalid_message');
      expect((error as RemoteError).details).toEqual({ field: 'body.text', reason: 'is empty' });
    }
  });
});
