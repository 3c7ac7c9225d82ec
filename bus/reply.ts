import { z } from 'zod';
import { BusError, RemoteError } from './errors.js';

/** The error part of a failed reply: a stable code, a message that says what to do, and facts. */
export interface ReplyError {
  code: string;
  message: string;
  retryable: boolean;
  details: Record<string, unknown>;
}

/** A command's reply: `{ ok: true, result }` or `{ ok: false, error }`. */
export type Reply<R = unknown> = { ok: true; result: R } | { ok: false; error: ReplyError };

/** Validates a reply on the requester's side. */
export const replySchema = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    ok: z.literal(false),
    error: z.strictObject({
      code: z.string().min(1),
      message: z.string(),
      retryable: z.boolean(),
      details: z.record(z.string(), z.unknown()),
    }),
  }),
]);

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
