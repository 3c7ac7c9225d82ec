import { randomFillSync } from 'node:crypto';
import type { z } from 'zod';
import { InvalidMessageError } from './errors.js';
import { bodyChecks, isMessageType, messageSchemas } from './messages.js';
import type { MessageBody, MessageType } from './messages.js';

/** A validated message of type `T`. */
export interface Envelope<T extends MessageType = MessageType> {
  /** Unique, time-ordered: 12 hex digits of milliseconds then 20 random hex digits. */
  id: string;
  type: T;
  /** Sender address (`alpha/mayor`). */
  from: string;
  /** Recipient address. */
  to: string;
  /** RFC 3339 UTC timestamp (`2026-11-22T13:00:00.000Z`). */
  at: string;
  body: MessageBody<T>;
  /** W3C trace context `00-<32 hex>-<16 hex>-<2 hex>`; also sent as the `traceparent` header. */
  traceparent: string;
}

/** Any registered envelope, discriminated by `type`. */
export type AnyEnvelope = { [T in MessageType]: Envelope<T> }[MessageType];

/** The outcome of decoding: never throws on bad input. */
export type DecodeResult = { ok: true; envelope: AnyEnvelope } | { ok: false; error: InvalidMessageError };

export const MESSAGE_ID_RE = /^[0-9a-f]{32}$/;
export const TRACEPARENT_RE = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
const TYPE_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const RFC3339_UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

const ENVELOPE_KEYS = new Set(['id', 'type', 'from', 'to', 'at', 'body', 'traceparent']);
const ADDRESS_RE = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/;

/**
 * The envelope's own fields, checked by hand: this runs for every message a process sends or
 * receives, and a schema library costs several microseconds here. Returns the first failing field and
 * why, or null.
 */
function checkHeader(value: unknown): InvalidMessageError | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return new InvalidMessageError('$', 'is invalid: expected an object');
  const v = value as Record<string, unknown>;
  const text = (field: string, re: RegExp, reason: string): InvalidMessageError | null => {
    const x = v[field];
    if (typeof x !== 'string')
      return new InvalidMessageError(field, `is invalid: expected string, received ${kind(x)}`);
    return re.test(x) ? null : new InvalidMessageError(field, `is invalid: ${reason}`);
  };
  const bad =
    text('id', MESSAGE_ID_RE, 'must be 32 lowercase hex digits') ??
    text('type', TYPE_RE, 'must be dotted lowercase, e.g. bead.create') ??
    text('from', ADDRESS_RE, 'must be an address like alpha/web/witness') ??
    text('to', ADDRESS_RE, 'must be an address like alpha/web/witness') ??
    text('at', RFC3339_UTC_RE, 'must be an RFC 3339 UTC timestamp') ??
    (Number.isNaN(Date.parse(v['at'] as string))
      ? new InvalidMessageError('at', 'is invalid: must be a real date')
      : null) ??
    text('traceparent', TRACEPARENT_RE, 'must be W3C traceparent 00-<32 hex>-<16 hex>-<2 hex>');
  if (bad !== null) return bad;
  if (!('body' in v)) return new InvalidMessageError('body', 'is invalid: required');
  for (const key in v)
    if (!ENVELOPE_KEYS.has(key)) return new InvalidMessageError('$', `has unknown field(s) ${key}`);
  return null;
}

function kind(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (x === null) return 'null';
  return Array.isArray(x) ? 'array' : typeof x;
}

/** Random hex from a pooled buffer: one `randomFillSync` per 256 ids instead of a syscall per id. */
const pool = Buffer.alloc(8192);
let poolOffset = pool.length;
function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** A new time-ordered random message id. */
export function newMessageId(now: number = Date.now()): string {
  return now.toString(16).padStart(12, '0').slice(-12) + randomHex(10);
}

/** A new root trace context (random trace id and span id, sampled). */
export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

/** The same trace with a new span id: for a message caused by another. */
export function childTraceparent(parent: string): string {
  const traceId = parent.split('-')[1];
  if (!TRACEPARENT_RE.test(parent) || traceId === undefined) return newTraceparent();
  return `00-${traceId}-${randomHex(8)}-01`;
}

/** The trace id (32 hex) of a traceparent, or null when malformed. */
export function traceIdOf(traceparent: string): string | null {
  return TRACEPARENT_RE.test(traceparent) ? (traceparent.split('-')[1] ?? null) : null;
}

let lastMs = Number.NaN;
let lastIso = '';

/** The current time as `toISOString` writes it, made once per millisecond (it costs a microsecond). */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/**
 * Builds an envelope with a fresh id, `at` = now, and a new trace (or a child of `traceparent`).
 * The body is not validated here; `encode` validates.
 */
export function createEnvelope<T extends MessageType>(
  type: T,
  fields: { from: string; to: string; body: MessageBody<T>; traceparent?: string; at?: Date },
): Envelope<T> {
  return {
    id: newMessageId(),
    type,
    from: fields.from,
    to: fields.to,
    at: fields.at === undefined ? isoNow() : fields.at.toISOString(),
    body: fields.body,
    traceparent: fields.traceparent === undefined ? newTraceparent() : childTraceparent(fields.traceparent),
  };
}

/** Validates an unknown value as an envelope of a registered type. */
export function validateEnvelope(value: unknown): DecodeResult {
  const bad = checkHeader(value);
  if (bad !== null) return { ok: false, error: bad };
  const v = value as Omit<Envelope, 'type'> & { type: string };
  const { type } = v;
  if (!isMessageType(type)) {
    return { ok: false, error: new InvalidMessageError('type', `has unknown message type "${type}"`) };
  }
  let body: unknown = v.body;
  if (bodyChecks[type]?.(body) !== true) {
    const parsed = messageSchemas[type].safeParse(body);
    if (!parsed.success) return { ok: false, error: fromZod(parsed.error, ['body']) };
    body = parsed.data;
  }
  return {
    ok: true,
    envelope: {
      id: v.id,
      type,
      from: v.from,
      to: v.to,
      at: v.at,
      traceparent: v.traceparent,
      body,
    } as AnyEnvelope,
  };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Validates and serialises an envelope to UTF-8 JSON, header fields first and the body last (the
 * canonical form `peekHeader` reads). Throws InvalidMessageError on an invalid one.
 */
export function encode(envelope: Envelope): Uint8Array {
  const checked = validateEnvelope(envelope);
  if (!checked.ok) throw checked.error;
  const e = checked.envelope;
  // The header fields are validated: their formats admit no character JSON would escape.
  return Buffer.from(
    `{"id":"${e.id}","type":"${e.type}","from":"${e.from}","to":"${e.to}","at":"${e.at}",` +
      `"traceparent":"${e.traceparent}","body":${JSON.stringify(e.body)}}`,
    'utf8',
  );
}

/**
 * Decodes bytes into a validated envelope. A `traceparent` header, when given, must match the body's.
 * Never throws: bad input returns `{ ok: false, error }` naming the failing field.
 */
export function decode(bytes: Uint8Array, headerTraceparent?: string): DecodeResult {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    return { ok: false, error: new InvalidMessageError('$', 'is not valid UTF-8', { cause }) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return { ok: false, error: new InvalidMessageError('$', 'is not valid JSON', { cause }) };
  }
  const result = validateEnvelope(value);
  if (result.ok && headerTraceparent !== undefined && headerTraceparent !== result.envelope.traceparent) {
    return {
      ok: false,
      error: new InvalidMessageError('traceparent', 'differs between the header and the envelope'),
    };
  }
  return result;
}

function fromZod(error: z.ZodError, prefix: string[]): InvalidMessageError {
  const issue = error.issues[0];
  const path = [...prefix, ...(issue?.path ?? []).map(String)];
  const field = path.length === 0 ? '$' : path.join('.');
  let reason = issue?.message ?? 'is invalid';
  if (issue?.code === 'unrecognized_keys') reason = `has unknown field(s) ${issue.keys.join(', ')}`;
  return new InvalidMessageError(field, reason.startsWith('has ') ? reason : `is invalid: ${reason}`, {
    cause: error,
  });
}
