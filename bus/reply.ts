import { z } from 'zod';
import { BusError, RemoteError } from './errors.js';

/** The error part of a failed reply: a stable code, a message that says what to do, and facts. */
export interface ReplyError {
  code: string;
  message: string;
  retryable: boolean;
  details: Record<string, unknown>;
}

/**
 * A command's reply: `{ ok: true, result }` or `{ ok: false, error }`. A reply is not an envelope and
 * carries no NATS headers: `traceparent`, the request's, is how a tracer ties it to the request's trace.
 */
export type Reply<R = unknown> =
  { ok: true; result: R; traceparent?: string } | { ok: false; error: ReplyError; traceparent?: string };

/** Validates a reply on the requester's side. */
export const replySchema = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), result: z.unknown(), traceparent: z.string().optional() }),
  z.strictObject({
    ok: z.literal(false),
    error: z.strictObject({
      code: z.string().min(1),
      message: z.string(),
      retryable: z.boolean(),
      details: z.record(z.string(), z.unknown()),
    }),
    traceparent: z.string().optional(),
  }),
]);

/**
 * Checks a decoded reply: the common `{ ok: true, result }` by hand (every request pays for it), anything
 * else against `replySchema`. Returns the reply, or the first failing field (`reply.error.code`) and why.
 */
export function checkReply(value: unknown): Reply | { field: string; reason: string } {
  if (typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === true) {
    const v = value as Record<string, unknown>;
    let known = 0;
    if ('result' in v) known++;
    if (typeof v['traceparent'] === 'string') known++;
    if (known === Object.keys(v).length - 1) return v as Reply;
  }
  const parsed = replySchema.safeParse(value);
  if (parsed.success) return parsed.data as Reply;
  const issue = parsed.error.issues[0];
  return {
    field: ['reply', ...(issue?.path ?? []).map(String)].join('.'),
    reason: `is invalid: ${issue?.message ?? 'bad reply'}`,
  };
}

/**
 * A handler result that is already JSON text (a handler that stored it, or replays it): the reply
 * embeds the text as it is instead of serialising the value again.
 */
export class JsonResult {
  constructor(readonly json: string) {}
}

/** A successful reply. */
export function okReply<R>(result: R): Reply<R> {
  return { ok: true, result };
}

/** A failed reply from any error: BusError and errors with a `code` keep it; others become `bus.internal`. */
export function errorReply(error: unknown): Reply<never> {
  if (error instanceof BusError) {
    return {
      ok: false,
      error: { code: error.code, message: error.message, retryable: error.retryable, details: error.details },
    };
  }
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; details?: unknown };
    const details =
      typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : {};
    const code = typeof e.code === 'string' && e.code.length > 0 ? e.code : 'bus.internal';
    return { ok: false, error: { code, message: e.message, retryable: false, details } };
  }
  return {
    ok: false,
    error: { code: 'bus.internal', message: String(error), retryable: false, details: {} },
  };
}

/** The result of an ok reply; an error reply is thrown as a RemoteError carrying its code and details. */
export function unwrapReply<R>(reply: Reply<R>): R {
  if (reply.ok) return reply.result;
  const { code, message, retryable, details } = reply.error;
  throw new RemoteError(code, message, retryable, details);
}
