/**
 * The logic of the observers `gt trace` and `gt feed` (docs/observers.md): turning what a raw NATS
 * subscription sees into a readable line or a JSON record, following one trace, merging a replay with
 * the live feed, and explaining why the bus cannot be reached. No process I/O here: the CLI
 * (cli/gt/commands/observe.ts) subscribes, prints and exits.
 */
import { JetStreamApiError } from '@nats-io/jetstream';
import { errors as natsErrors } from '@nats-io/transport-node';
import { decode, TRACEPARENT_RE, traceIdOf } from './envelope.js';
import type { AnyEnvelope } from './envelope.js';
import { BusError } from './errors.js';
import type { InvalidMessageError } from './errors.js';
import type { ReplayedEvent } from './event-stream.js';
import { problemReason } from './problems.js';
import { SUBJECT_ROOT, parseSubject } from './subjects.js';

/** What an observer knows about every message, valid or not. */
interface ObservedCommon {
  subject: string;
  /** The reply subject, when the sender expects an answer (a command). */
  reply?: string;
  /** The event stream sequence, for replayed events. */
  seq?: number;
  /** When the observer got it. */
  receivedAt: Date;
  /** The `traceparent` NATS header, when there was one. */
  headerTraceparent?: string;
}

/** A valid envelope. */
export interface ValidObserved extends ObservedCommon {
  status: 'valid';
  envelope: AnyEnvelope;
}

/**
 * Not a valid envelope. `invalid`: on a town subject (`gt.…`), where only envelopes belong: a broken
 * sender. `raw`: anywhere else (request replies on `_INBOX.…`, foreign traffic), shown as it is.
 */
export interface InvalidObserved extends ObservedCommon {
  status: 'invalid' | 'raw';
  error: InvalidMessageError;
  /** The bytes as they came (absent for replayed events, whose bytes the replay does not keep). */
  data?: Uint8Array;
}

/** One message an observer saw. Observers never drop a message because it is invalid. */
export type Observed = ValidObserved | InvalidObserved;

/** A message as a raw NATS subscription delivers it. */
export interface RawMessage {
  subject: string;
  data: Uint8Array;
  /** The reply subject; empty means none. */
  reply?: string;
  /** The `traceparent` header; empty means none. */
  traceparent?: string;
}

/** True when `subject` is under the town root `gt.`, where every message must be an envelope. */
export function isTownSubject(subject: string): boolean {
  return subject.startsWith(`${SUBJECT_ROOT}.`);
}

/** Decodes what a raw subscription saw; never throws. */
export function observeMessage(msg: RawMessage, receivedAt: Date = new Date()): Observed {
  const header = msg.traceparent === undefined || msg.traceparent === '' ? undefined : msg.traceparent;
  const common: ObservedCommon = {
    subject: msg.subject,
    receivedAt,
    ...(msg.reply === undefined || msg.reply === '' ? {} : { reply: msg.reply }),
    ...(header === undefined ? {} : { headerTraceparent: header }),
  };
  const decoded = decode(msg.data, header);
  if (decoded.ok) return { ...common, status: 'valid', envelope: decoded.envelope };
  return {
    ...common,
    status: isTownSubject(msg.subject) ? 'invalid' : 'raw',
    error: decoded.error,
    data: msg.data,
  };
}

/** An event replayed from the town's event stream, as an observed message. */
export function observeReplayed(event: ReplayedEvent, receivedAt: Date = new Date()): Observed {
  const common = { subject: event.subject, seq: event.seq, receivedAt };
  return event.ok
    ? { ...common, status: 'valid', envelope: event.envelope }
    : { ...common, status: 'invalid', error: event.error };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

function textOf(data: Uint8Array): string | null {
  try {
    return utf8.decode(data);
  } catch {
    return null;
  }
}

/**
 * The 32-hex trace id of a message: from its envelope, else (not a valid envelope) from its
 * `traceparent` header, else from a `traceparent` field in its JSON. Null when it has none.
 */
export function traceIdOfObserved(o: Observed): string | null {
  if (o.status === 'valid') return traceIdOf(o.envelope.traceparent);
  if (o.headerTraceparent !== undefined) {
    const id = traceIdOf(o.headerTraceparent);
    if (id !== null) return id;
  }
  const text = o.data === undefined ? null : textOf(o.data);
  if (text === null || !text.includes('traceparent')) return null;
  try {
    const value = JSON.parse(text) as unknown;
    const tp =
      value !== null && typeof value === 'object' ? (value as { traceparent?: unknown }).traceparent : null;
    return typeof tp === 'string' ? traceIdOf(tp) : null;
  } catch {
    return null;
  }
}

/**
 * Parses a `--trace` argument: a trace id (32 hex), a prefix of one of at least 8 hex digits (the
 * `trace 4bf92f35` shown on readable lines), or a whole traceparent. Returns the lowercase id or prefix,
 * or null when it is none of these.
 */
export function parseTraceArg(text: string): string | null {
  const t = text.trim().toLowerCase();
  if (TRACEPARENT_RE.test(t)) return traceIdOf(t);
  return /^[0-9a-f]{8,32}$/.test(t) ? t : null;
}

/** A filter keeping the messages of one trace (`id` is a trace id or a prefix from `parseTraceArg`). */
export function traceFilter(id: string): (o: Observed) => boolean {
  return (o) => traceIdOfObserved(o)?.startsWith(id) === true;
}

/**
 * Why `pattern` is not a NATS subject pattern (dot-separated non-empty tokens, `*` a whole token, `>`
 * only as the last token, no whitespace), or null when it is one.
 */
export function patternProblem(pattern: string): string | null {
  if (pattern === '') return 'it is empty';
  if (/\s/.test(pattern)) return 'it contains whitespace';
  const tokens = pattern.split('.');
  for (const [i, t] of tokens.entries()) {
    if (t === '') return 'it has an empty token';
    if (t.includes('>') && (t !== '>' || i !== tokens.length - 1)) return '">" may only be the last token';
    if (t.includes('*') && t !== '*') return '"*" must be a whole token';
  }
  return null;
}

/** True when `pattern` can match subjects outside `gt.` (replies on `_INBOX.`, foreign traffic). */
export function patternIncludesRaw(pattern: string): boolean {
  const first = pattern.split('.')[0];
  return first === '*' || first === '>';
}

/** The JSON record of one message, one per line with `--json`. */
export type ObservedRecord = Record<string, unknown> & {
  subject: string;
  status: Observed['status'];
};

/**
 * The `--json` record: `subject`, `status` (`valid`, `invalid`, `raw`), `received_at`, `reply` and
 * `seq` when known, `trace_id`, `problem` (why it is one, when it is); then `envelope` for a valid
 * message, or `error` (`{ code, field, message }`) and the bytes as `raw` (UTF-8 text) or `raw_base64`.
 */
export function observedRecord(o: Observed): ObservedRecord {
  const traceId = traceIdOfObserved(o);
  const problem = o.status === 'raw' ? null : problemReason(candidateOf(o));
  const base: ObservedRecord = {
    subject: o.subject,
    status: o.status,
    received_at: o.receivedAt.toISOString(),
    ...(o.reply === undefined ? {} : { reply: o.reply }),
    ...(o.seq === undefined ? {} : { seq: o.seq }),
    ...(traceId === null ? {} : { trace_id: traceId }),
    ...(problem === null ? {} : { problem }),
  };
  if (o.status === 'valid') return { ...base, envelope: o.envelope };
  const detail = o.error.details as { reason?: unknown };
  const record: ObservedRecord = {
    ...base,
    error: {
      code: o.error.code,
      field: o.error.field,
      message:
        typeof detail.reason === 'string' ? `field "${o.error.field}" ${detail.reason}` : o.error.message,
    },
  };
  if (o.data === undefined) return record;
  const text = textOf(o.data);
  return text === null
    ? { ...record, raw_base64: Buffer.from(o.data).toString('base64') }
    : { ...record, raw: text };
}

/** The problem candidate of an observed message (see bus/problems.ts). */
export function candidateOf(o: Observed): { subject: string; envelope: AnyEnvelope | null } {
  return { subject: o.subject, envelope: o.status === 'valid' ? o.envelope : null };
}

/** Why this message is a problem for `gt feed --problems`, or null (raw traffic never is). */
export function observedProblem(o: Observed): string | null {
  return o.status === 'raw' ? null : problemReason(candidateOf(o));
}

const q = (s: string): string => JSON.stringify(s);

function compactJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function fieldList(input: Record<string, unknown>): string {
  return Object.entries(input)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : compactJson(v)}`)
    .join(' ');
}

/**
 * A compact summary of an envelope's body: bead id and title for bead events, recipient and subject
 * line for mail, the text of a nudge, actor and sequence of a heartbeat; compact JSON otherwise.
 */
export function summarize(e: AnyEnvelope): string {
  switch (e.type) {
    case 'bead.created': {
      const b = e.body.bead;
      return `${b.id} ${q(b.title)}`;
    }
    case 'bead.updated': {
      const b = e.body.bead;
      const status = typeof b.status === 'string' ? ` ${b.status}` : '';
      const changes =
        e.body.changes !== undefined && e.body.changes.length > 0 ? ` (${e.body.changes.join(', ')})` : '';
      return `${b.id} ${q(b.title)}${status}${changes}`;
    }
    case 'bead.create':
      return `${q(e.body.input.title)} by ${e.body.actor}`;
    case 'bead.update': {
      const fields = fieldList(e.body.input);
      return `${e.body.id} by ${e.body.actor}${fields === '' ? '' : `: ${fields}`}`;
    }
    case 'bead.close':
      return `${e.body.id} by ${e.body.actor}${e.body.options.reason === undefined ? '' : ` ${q(e.body.options.reason)}`}`;
    case 'bead.claim':
      return `${e.body.id} by ${e.body.actor}`;
    case 'mail.send':
      return `to ${e.body.to}: ${q(e.body.subject)}`;
    case 'mail.read':
      return e.body.id;
    case 'mail.delivered':
      return `${e.body.id} ${q(e.body.subject)} P${e.body.priority}`;
    case 'nudge':
      return q(e.body.text);
    case 'heartbeat': {
      const state = e.body.state === undefined ? '' : ` ${e.body.state}`;
      const up = e.body.uptime_ms === undefined ? '' : ` up ${Math.round(e.body.uptime_ms / 1000)}s`;
      return `${e.body.actor} #${e.body.seq}${state}${up}`;
    }
    case 'town.status':
      return 'status?';
    case 'town.stop':
      return e.body.grace_ms === undefined ? 'stop' : `stop (grace ${e.body.grace_ms} ms)`;
    default:
      return compactJson((e as { body: unknown }).body);
  }
}

/** The column naming a subject's kind: `cmd`, `evt`, `mail`, `nudge`, `hb`, `gt` (malformed), `reply`, `raw`. */
export function kindOf(subject: string): string {
  const parsed = parseSubject(subject);
  if (parsed !== null) return parsed.kind;
  if (isTownSubject(subject)) return 'gt';
  return subject.startsWith('_INBOX.') ? 'reply' : 'raw';
}

/** True when the type alone does not say which subject the envelope came on (so the line shows it). */
function subjectIsNews(subject: string, type: string): boolean {
  const parsed = parseSubject(subject);
  switch (parsed?.kind) {
    case 'cmd':
      return parsed.verb !== type;
    case 'evt':
      return `${parsed.entity}.${parsed.event}` !== type;
    case 'mail':
      return !type.startsWith('mail.');
    case 'hb':
      return type !== 'heartbeat';
    case 'nudge':
      return type !== 'nudge';
    case undefined:
      return true;
  }
}

/** Options of `formatObserved`. */
export interface FormatOptions {
  /** Cut the line to this many characters (the terminal width; 160 when not a TTY). Default 160. */
  width?: number;
  /** ANSI colors (only on a TTY, and not with NO_COLOR). Default false. */
  color?: boolean;
  /** Times in local time (default) or UTC. */
  clock?: 'local' | 'utc';
}

type Style = 'dim' | 'bold' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'plain';
const ANSI: Record<Style, string> = {
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  red: '\x1b[1;31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
  plain: '',
};
const KIND_STYLE: Record<string, Style> = {
  cmd: 'cyan',
  evt: 'green',
  mail: 'magenta',
  nudge: 'yellow',
  hb: 'blue',
  gt: 'red',
  reply: 'dim',
  raw: 'dim',
};

/** `HH:MM:SS.mmm` of a time, local or UTC. */
export function clockTime(at: Date, clock: 'local' | 'utc' = 'local'): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return clock === 'utc'
    ? `${p(at.getUTCHours())}:${p(at.getUTCMinutes())}:${p(at.getUTCSeconds())}.${p(at.getUTCMilliseconds(), 3)}`
    : `${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}.${p(at.getMilliseconds(), 3)}`;
}

function preview(data: Uint8Array | undefined): string {
  if (data === undefined) return '';
  if (data.length === 0) return '(empty)';
  const head = data.subarray(0, 4096);
  const text = textOf(data);
  if (text === null) {
    const hex = Buffer.from(data.subarray(0, 24)).toString('hex');
    return `(${data.length} bytes, not UTF-8) ${hex}${data.length > 24 ? '…' : ''}`;
  }
  return (head.length < data.length ? lenient.decode(head) : text).replace(/\s+/g, ' ').trim();
}

/** Joins styled segments, cutting the visible text to `width` characters (with `…`), then colors them. */
function render(segments: ReadonlyArray<[string, Style]>, width: number, color: boolean): string {
  let room = Math.max(1, width);
  let out = '';
  const total = segments.reduce((n, [s]) => n + s.length, 0);
  if (total > room) room -= 1;
  for (const [text, style] of segments) {
    if (room <= 0) break;
    const part = text.length > room ? text.slice(0, room) : text;
    room -= part.length;
    out += color && style !== 'plain' && part !== '' ? `${ANSI[style]}${part}\x1b[0m` : part;
  }
  return total > width ? `${out}…` : out;
}

/**
 * One readable line per message:
 *
 * ```
 * 13:02:11.402 evt   bead.created   alpha/store → alpha  demo-a1b2 "Fix the door"  trace 4bf92f35
 * 13:02:12.010 evt   INVALID on gt.alpha.evt.thing.failed: field "$" is not valid JSON  not json
 * 13:02:12.200 reply _INBOX.Kq3….1  {"ok":true,"result":{"id":"demo-a1b2"}}  trace 4bf92f35
 * ```
 *
 * Time (the envelope's `at`; when it arrived for anything else), kind, type, sender → recipient, a
 * summary of the body (`summarize`), `on <subject>` when the type does not say it, the first 8 hex of
 * the trace id. Cut to `width` characters; problems (bus/problems.ts) have their type in red.
 */
export function formatObserved(o: Observed, options: FormatOptions = {}): string {
  const width = options.width ?? 160;
  const color = options.color ?? false;
  const kind = kindOf(o.subject);
  const traceId = traceIdOfObserved(o);
  const trace: Array<[string, Style]> = traceId === null ? [] : [[`  trace ${traceId.slice(0, 8)}`, 'dim']];
  const head: Array<[string, Style]> = [
    [clockTime(o.status === 'valid' ? new Date(o.envelope.at) : o.receivedAt, options.clock), 'dim'],
    [' ', 'plain'],
    [kind.padEnd(5), KIND_STYLE[kind] ?? 'plain'],
    [' ', 'plain'],
  ];
  if (o.status === 'valid') {
    const e = o.envelope;
    const problem = observedProblem(o) !== null;
    return render(
      [
        ...head,
        [e.type.padEnd(14), problem ? 'red' : 'bold'],
        [` ${e.from} → ${e.to}  `, 'plain'],
        [summarize(e), 'plain'],
        ...(subjectIsNews(o.subject, e.type)
          ? ([[`  on ${o.subject}`, 'dim']] as Array<[string, Style]>)
          : []),
        ...trace,
      ],
      width,
      color,
    );
  }
  const data = preview(o.data);
  if (o.status === 'raw') {
    return render([...head, [o.subject, 'plain'], [`  ${data}`, 'plain'], ...trace], width, color);
  }
  const reason = (o.error.details as { reason?: unknown }).reason;
  const why = typeof reason === 'string' ? `field "${o.error.field}" ${reason}` : o.error.message;
  return render(
    [
      ...head,
      ['INVALID', 'red'],
      [` on ${o.subject}: ${why}`, 'plain'],
      ...(data === '' ? [] : ([[`  ${data}`, 'dim']] as Array<[string, Style]>)),
      ...trace,
    ],
    width,
    color,
  );
}

/**
 * Merges a replay of the event stream with the live subscription started before it (`gt feed
 * --since`): live messages are held while the replay runs, then released; a message seen in both is
 * shown once (by envelope id). Without a replay (`replaying: false`), live messages pass straight on.
 */
export class FeedMerger {
  private replaying: boolean;
  private held: Observed[] = [];
  private replayedIds = new Set<string>();

  constructor(options: { replaying: boolean }) {
    this.replaying = options.replaying;
  }

  /** A replayed event: returns what to print now. */
  replayed(o: Observed): Observed[] {
    if (o.status === 'valid') {
      if (this.replayedIds.has(o.envelope.id)) return [];
      this.replayedIds.add(o.envelope.id);
    }
    return [o];
  }

  /** A live message: returns what to print now (nothing while the replay runs). */
  live(o: Observed): Observed[] {
    if (this.replaying) {
      this.held.push(o);
      return [];
    }
    return this.fresh(o) ? [o] : [];
  }

  /** The replay is over: returns the held live messages not already replayed, in arrival order. */
  endReplay(): Observed[] {
    this.replaying = false;
    const held = this.held;
    this.held = [];
    return held.filter((o) => this.fresh(o));
  }

  /** Forgets the replayed ids (once a late duplicate can no longer arrive). */
  forgetReplayed(): void {
    this.replayedIds.clear();
  }

  /** Live messages held now. */
  get heldCount(): number {
    return this.held.length;
  }

  private fresh(o: Observed): boolean {
    return o.status !== 'valid' || !this.replayedIds.delete(o.envelope.id);
  }
}

/** Where an observer tried to attach: a town's bus (`town` set) or any NATS server (`--server`). */
export interface ObserverTarget {
  url: string;
  town?: string;
  /** For a town: whether it runs its own nats-server (`gt up` starts it) or uses external NATS. */
  mode?: 'managed' | 'external';
  /** For a town: its town.json (where the credentials are). */
  configFile?: string;
}

/**
 * The bus could not be reached: code `bus.unreachable` (connection refused, host down, timeout) or
 * `bus.unauthorized` (the credentials were refused). The message says what to do.
 */
export class BusUnreachableError extends BusError {
  constructor(
    message: string,
    code: 'bus.unreachable' | 'bus.unauthorized',
    options: { cause?: unknown; details: Record<string, unknown> },
  ) {
    super(code, message, { ...options, retryable: code === 'bus.unreachable' });
  }
}

/** Turns a failed first connect into a BusUnreachableError that names the town and URL and says what to do. */
export function unreachableError(error: unknown, target: ObserverTarget): BusUnreachableError {
  const where =
    target.town === undefined ? `NATS at ${target.url}` : `the bus of town ${target.town} at ${target.url}`;
  const details = { url: target.url, ...(target.town === undefined ? {} : { town: target.town }) };
  const text = error instanceof Error ? error.message : String(error);
  const auth =
    error instanceof natsErrors.AuthorizationError ||
    error instanceof natsErrors.UserAuthenticationExpiredError ||
    /authori[sz]ation/i.test(text);
  if (auth) {
    const fix =
      target.town === undefined
        ? 'check --user and --password'
        : `check nats.user and nats.password in ${target.configFile ?? 'town.json'}`;
    return new BusUnreachableError(
      `cannot reach ${where}: authorization failed; ${fix}`,
      'bus.unauthorized',
      {
        cause: error,
        details: { ...details, reason: text },
      },
    );
  }
  let fix: string;
  if (target.town === undefined) fix = `${text}; check the URL, or start that server`;
  else if (target.mode === 'external')
    fix = `start its NATS server (the town uses external NATS, listed in ${target.configFile ?? 'town.json'}), then \`gt up\``;
  else fix = 'start it with `gt up`';
  return new BusUnreachableError(`cannot reach ${where}: ${fix}`, 'bus.unreachable', {
    cause: error,
    details: { ...details, reason: text },
  });
}

const STREAM_NOT_FOUND = 10059;

/**
 * Turns a failed replay of the event stream into a BusError that says what to do: `bus.no_event_stream`
 * when the town's stream does not exist (the daemon creates it), `bus.replay_failed` otherwise.
 */
export function replayError(error: unknown, town: string, stream: string): BusError {
  const text = error instanceof Error ? error.message : String(error);
  const notFound =
    error instanceof JetStreamApiError ? error.code === STREAM_NOT_FOUND : /stream not found/i.test(text);
  if (notFound)
    return new BusError(
      'bus.no_event_stream',
      `town ${town} has no event stream ${stream} to replay: \`gt up\` creates it; without --since the feed is live only`,
      { cause: error, details: { town, stream } },
    );
  return new BusError('bus.replay_failed', `cannot replay the events of town ${town}: ${text}`, {
    cause: error,
    retryable: true,
    details: { town, stream },
  });
}
