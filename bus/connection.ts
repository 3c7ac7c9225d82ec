import { connect, errors } from '@nats-io/transport-node';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { Delivery } from './delivery.js';
import { decode, encode } from './envelope.js';
import type { AnyEnvelope, Envelope } from './envelope.js';
import {
  BusClosedError,
  BusError,
  InvalidMessageError,
  RequestFailedError,
  RequestTimeoutError,
  TownNotRunningError,
} from './errors.js';
import { checkReply, errorReply, JsonResult, okReply } from './reply.js';
import type { Reply } from './reply.js';
import { parseSubject } from './subjects.js';

/** A log callback: level, message, structured fields. */
export type BusLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** Options of `connectBus`. */
export interface ConnectBusOptions {
  servers: string | string[];
  user?: string;
  pass?: string;
  /** Client name, shown by the server (`gt-daemon alpha`). */
  name: string;
  log?: BusLog;
  /** Base wait between reconnect attempts; default 250 ms (plus jitter). */
  reconnectTimeWaitMs?: number;
  /** Random extra wait per attempt; default 250 ms. */
  reconnectJitterMs?: number;
  /** Initial connect timeout; default 5000 ms. */
  timeoutMs?: number;
}

/** What a handler learns about the message besides its envelope. */
export interface MessageContext {
  subject: string;
  /** The reply subject when the sender expects a reply. */
  reply: string | undefined;
  headers: MsgHdrs | undefined;
}

/** An invalid message that reached a subscription (answered with an error reply if it had a reply subject). */
export interface InvalidMessage {
  subject: string;
  reply: string | undefined;
  error: InvalidMessageError;
  data: Uint8Array;
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** Queue group: each message goes to one member. */
  queue?: string;
  /** Called for each invalid message; never throws into the connection. */
  onInvalid?: (invalid: InvalidMessage) => void;
  /** Called when a handler throws on a message with no reply subject. */
  onError?: (error: unknown, envelope: AnyEnvelope) => void;
}

/**
 * Handles a valid envelope. For a request, the returned value becomes `{ ok: true, result }` and a
 * thrown error becomes `{ ok: false, error }`.
 */
export type MessageHandler = (envelope: AnyEnvelope, context: MessageContext) => unknown;

/** A subscription; `unsubscribe` drains it (pending messages are still handled). */
export interface BusSubscription {
  readonly subject: string;
  unsubscribe(): Promise<void>;
}

/** A bus connection on the NATS v3 client. */
export interface BusConnection extends AsyncDisposable {
  /** The underlying client, for JetStream and observers. */
  readonly nats: NatsConnection;
  /**
   * Sends a command and waits for its reply. Throws TownNotRunningError when nobody serves a
   * `gt.<town>.cmd.*` subject, RequestTimeoutError on timeout, InvalidMessageError on a bad reply.
   * Neither carries NATS headers: the request's trace is in its envelope, the reply's in its JSON.
   */
  request<R = unknown>(
    subject: string,
    envelope: Envelope,
    options?: { timeoutMs?: number },
  ): Promise<Reply<R>>;
  /**
   * Validates and publishes an envelope (an event, mail delivery, nudge or heartbeat). No NATS
   * headers: the envelope carries its own traceparent, and every receiver reads it from there.
   */
  publish(subject: string, envelope: Envelope): void;
  /** Subscribes with decoded, validated envelopes; invalid ones are answered and reported, never thrown. */
  subscribe(subject: string, handler: MessageHandler, options?: SubscribeOptions): BusSubscription;
  /**
   * Attaches an observer to a subject pattern: every message, valid or not, as a Delivery whose header
   * is read cheaply and whose envelope is decoded on demand. Observers never answer or reject.
   */
  observe(pattern: string, onDelivery: (delivery: Delivery) => void): BusSubscription;
  /** Flushes pending publications to the server. */
  flush(): Promise<void>;
  /**
   * Ordered shutdown: drain every subscription, wait for handlers in flight (up to `graceMs`,
   * default 5000), drain the connection, close. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
  /** True once close has started. */
  readonly isClosing: boolean;
}

const encoder = new TextEncoder();

/** Connects to NATS with endless reconnect (backoff with jitter) and returns a BusConnection. */
export async function connectBus(options: ConnectBusOptions): Promise<BusConnection> {
  const nc = await connect({
    servers: options.servers,
    name: options.name,
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.pass === undefined ? {} : { pass: options.pass }),
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
    reconnectJitter: options.reconnectJitterMs ?? 250,
    timeout: options.timeoutMs ?? 5_000,
    noRandomize: true,
    ignoreClusterUpdates: true,
  });
  return new NatsBus(nc, options.log);
}

class NatsBus implements BusConnection {
  private readonly subs = new Set<Subscription>();
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(
    readonly nats: NatsConnection,
    private readonly log: BusLog | undefined,
  ) {
    void this.watchStatus();
  }

  get isClosing(): boolean {
    return this.closing !== undefined;
  }

  async request<R = unknown>(
    subject: string,
    envelope: Envelope,
    options: { timeoutMs?: number } = {},
  ): Promise<Reply<R>> {
    if (this.closing) throw new BusClosedError(`request ${subject}`);
    const timeoutMs = options.timeoutMs ?? 5_000;
    const data = encode(envelope);
    let msg: Msg;
    try {
      msg = await this.nats.request(subject, data, { timeout: timeoutMs });
    } catch (error) {
      throw mapRequestError(error, subject, timeoutMs);
    }
    let value: unknown;
    try {
      value = msg.json();
    } catch (cause) {
      throw new InvalidMessageError('reply', 'is not valid JSON', { cause });
    }
    const reply = checkReply(value);
    if ('field' in reply) throw new InvalidMessageError(reply.field, reply.reason);
    // The traceparent is the request's own: the caller gets the answer alone.
    return (reply.ok ? { ok: true, result: reply.result } : { ok: false, error: reply.error }) as Reply<R>;
  }

  publish(subject: string, envelope: Envelope): void {
    if (this.closing) throw new BusClosedError(`publish on ${subject}`);
    this.nats.publish(subject, encode(envelope));
  }

  subscribe(subject: string, handler: MessageHandler, options: SubscribeOptions = {}): BusSubscription {
    if (this.closing) throw new BusClosedError(`subscribe to ${subject}`);
    const sub = this.nats.subscribe(subject, {
      ...(options.queue === undefined ? {} : { queue: options.queue }),
      callback: (err, msg) => {
        if (err) {
          this.log?.('error', 'subscription failed', { subject, error: err.message });
          return;
        }
        this.dispatch(msg, handler, options);
      },
    });
    return this.trackSubscription(sub, subject);
  }

  private trackSubscription(sub: Subscription, subject: string): BusSubscription {
    this.subs.add(sub);
    void sub.closed.then(
      () => this.subs.delete(sub),
      () => this.subs.delete(sub),
    );
    return {
      subject,
      unsubscribe: async () => {
        this.subs.delete(sub);
        if (!sub.isClosed() && !this.nats.isClosed()) await sub.drain();
      },
    };
  }

  observe(pattern: string, onDelivery: (delivery: Delivery) => void): BusSubscription {
    if (this.closing) throw new BusClosedError(`observe ${pattern}`);
    const sub = this.nats.subscribe(pattern, {
      callback: (err, msg) => {
        if (err) {
          this.log?.('error', 'observer subscription failed', { pattern, error: err.message });
          return;
        }
        try {
          onDelivery(new Delivery(msg));
        } catch (error) {
          this.log?.('error', 'observer threw', { pattern, error: (error as Error).message });
        }
      },
    });
    return this.trackSubscription(sub, pattern);
  }

  flush(): Promise<void> {
    return this.nats.flush();
  }

  close(graceMs = 5_000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async shutdown(graceMs: number): Promise<void> {
    if (this.nats.isClosed()) return;
    const deadline = Date.now() + graceMs;
    try {
      await withDeadline(
        Promise.all([...this.subs].filter((s) => !s.isClosed()).map((s) => s.drain().catch(() => undefined))),
        deadline,
      );
      await withDeadline(Promise.all([...this.inFlight]), deadline);
      if (!this.nats.isClosed() && !this.nats.isDraining()) {
        await withDeadline(this.nats.drain(), deadline);
      }
    } catch (error) {
      this.log?.('warn', 'bus drain failed; closing', { error: (error as Error).message });
    }
    if (!this.nats.isClosed()) await this.nats.close();
    await this.nats.closed();
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /**
   * Decodes, validates and hands one message to its handler. Synchronous handlers are answered in the
   * same tick; a handler that returns a promise is tracked until it settles (shutdown waits for it).
   * The reply carries the request's `traceparent` in its JSON. Headers a sender added anyway are not
   * parsed here (header parsing costs more than the whole decode); a handler may read them.
   */
  private dispatch(msg: Msg, handler: MessageHandler, options: SubscribeOptions): void {
    const replyTo = msg.reply || undefined;
    const decoded = decode(msg.data);
    if (!decoded.ok) {
      this.log?.('warn', 'invalid message', {
        subject: msg.subject,
        field: decoded.error.field,
        error: decoded.error.message,
      });
      this.respond(msg, errorReply(decoded.error), undefined);
      try {
        options.onInvalid?.({ subject: msg.subject, reply: replyTo, error: decoded.error, data: msg.data });
      } catch (error) {
        this.log?.('error', 'onInvalid threw', { error: (error as Error).message });
      }
      return;
    }
    const envelope = decoded.envelope;
    const context: MessageContext = {
      subject: msg.subject,
      reply: replyTo,
      get headers() {
        return msg.headers;
      },
    };
    let result: unknown;
    try {
      result = handler(envelope, context);
    } catch (error) {
      this.failed(msg, envelope, error, options);
      return;
    }
    if (result instanceof Promise) {
      this.track(
        result.then(
          (value: unknown) => this.respond(msg, okReply(value), envelope.traceparent),
          (error: unknown) => this.failed(msg, envelope, error, options),
        ),
      );
      return;
    }
    this.respond(msg, okReply(result), envelope.traceparent);
  }

  private failed(msg: Msg, envelope: AnyEnvelope, error: unknown, options: SubscribeOptions): void {
    if (!msg.reply) {
      this.log?.('error', 'handler failed', { subject: msg.subject, id: envelope.id, error: String(error) });
      try {
        options.onError?.(error, envelope);
      } catch {
        // a failing error callback must not reach the client
      }
    }
    this.respond(msg, errorReply(error), envelope.traceparent);
  }

  private respond(msg: Msg, reply: Reply, traceparent: string | undefined): void {
    if (!msg.reply || this.nats.isClosed()) return;
    let data: Uint8Array;
    try {
      // A traceparent is one a decoded envelope carried: its format needs no JSON escaping.
      const tail = traceparent === undefined ? '}' : `,"traceparent":"${traceparent}"}`;
      const text =
        reply.ok && reply.result instanceof JsonResult
          ? `{"ok":true,"result":${reply.result.json}${tail}`
          : JSON.stringify(traceparent === undefined ? reply : { ...reply, traceparent });
      data = encoder.encode(text);
    } catch (error) {
      data = encoder.encode(
        JSON.stringify(errorReply(new BusError('bus.unserialisable_result', String(error)))),
      );
    }
    try {
      msg.respond(data);
    } catch (error) {
      this.log?.('error', 'reply failed', { subject: msg.subject, error: (error as Error).message });
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nats.status()) {
      const level = s.type === 'disconnect' || s.type === 'error' ? 'warn' : 'debug';
      this.log?.(level, `nats ${s.type}`, { status: s as unknown as Record<string, unknown> });
    }
  }
}

function mapRequestError(error: unknown, subject: string, timeoutMs: number): BusError {
  if (error instanceof BusError) return error;
  const noResponders =
    error instanceof errors.NoRespondersError ||
    (error instanceof errors.RequestError && error.isNoResponders());
  if (noResponders) {
    const parsed = parseSubject(subject);
    if (parsed?.kind === 'cmd') return new TownNotRunningError(parsed.town, { cause: error });
    return new RequestFailedError(subject, 'no responders', { cause: error, retryable: true });
  }
  if (
    error instanceof errors.TimeoutError ||
    (error instanceof Error && error.cause instanceof errors.TimeoutError)
  ) {
    return new RequestTimeoutError(subject, timeoutMs, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RequestFailedError(subject, message, { cause: error, retryable: true });
}

async function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
