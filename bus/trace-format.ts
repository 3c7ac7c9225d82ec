import { decode, traceIdOf } from './envelope.js';
import type { AnyEnvelope } from './envelope.js';
import { parseSubject } from './subjects.js';

/** One message an observer saw: decoded when it is a valid envelope, else the reason it is not. */
export type Observed =
  | { subject: string; ok: true; envelope: AnyEnvelope; seq?: number }
  | { subject: string; ok: false; reason: string; raw: string; seq?: number };

/** Decodes raw bytes seen on `subject`; never throws (an observer must show invalid traffic too). */
export function observe(subject: string, data: Uint8Array, headerTraceparent?: string): Observed {
  const d = decode(data, headerTraceparent);
  if (d.ok) return { subject, ok: true, envelope: d.envelope };
  return { subject, ok: false, reason: d.error.message, raw: new TextDecoder().decode(data) };
}

/** The 32-hex trace id of an observed envelope, or null. */
export function traceOf(o: Observed): string | null {
  return o.ok && o.envelope.traceparent !== undefined ? traceIdOf(o.envelope.traceparent) : null;
}

const PROBLEM_EVENTS = new Set([
  'stalled',
  'dead',
  'crashed',
  'escalated',
  'failed',
  'rejected',
  'conflict',
  'blocked',
  'error',
]);

/**
 * True for what a person must look at (`gt feed --problems`): an invalid message, an event whose event
 * token is one of stalled, dead, crashed, escalated, failed, rejected, conflict, blocked, error, or an
 * envelope whose body carries `severity: "error"` or `"warn"`.
 */
export function isProblem(o: Observed): boolean {
  if (!o.ok) return true;
  const parsed = parseSubject(o.subject);
  if (parsed?.kind === 'evt' && PROBLEM_EVENTS.has(parsed.event)) return true;
  const severity = (o.envelope.body as { severity?: unknown }).severity;
  return severity === 'error' || severity === 'warn';
}

/** The JSON line of `--json` output: subject, then the envelope (or `invalid` and the raw text). */
export function observedJson(o: Observed): string {
  const base = { subject: o.subject, ...(o.seq === undefined ? {} : { seq: o.seq }) };
  return JSON.stringify(
    o.ok ? { ...base, envelope: o.envelope } : { ...base, invalid: o.reason, raw: o.raw },
  );
}

function summary(e: AnyEnvelope): string {
  switch (e.type) {
    case 'bead.created':
    case 'bead.updated': {
      const b = e.body.bead;
      const changes = e.type === 'bead.updated' && e.body.changes ? ` [${e.body.changes.join(',')}]` : '';
      return `${b.id} ${JSON.stringify(b.title)}${b.status === undefined ? '' : ` ${b.status}`}${changes}`;
    }
    case 'bead.create':
      return `${JSON.stringify(e.body.input.title)} by ${e.body.actor}`;
    case 'bead.update':
    case 'bead.claim':
      return `${e.body.id} by ${e.body.actor}`;
    case 'bead.close':
      return `${e.body.id} by ${e.body.actor}${e.body.options.reason === undefined ? '' : ` (${e.body.options.reason})`}`;
    case 'mail.send':
      return `to ${e.body.to}: ${JSON.stringify(e.body.subject)}`;
    case 'mail.delivered':
      return `${e.body.id} ${e.body.from} → ${e.body.to}: ${JSON.stringify(e.body.subject)}`;
    case 'mail.read':
      return e.body.id;
    case 'nudge':
      return JSON.stringify(e.body.text);
    case 'heartbeat':
      return `${e.body.actor} #${e.body.seq}${e.body.state === undefined ? '' : ` ${e.body.state}`}`;
    case 'town.status':
    case 'town.stop':
      return JSON.stringify(e.body);
  }
}

/**
 * One readable line: `13:02:11.402 evt  bead.created  alpha/store → alpha  demo-a1b2 "Fix the door"
 * open  trace 4bf92f35`, cut to `width` characters. Invalid messages are marked `INVALID` with the reason.
 */
export function formatObserved(o: Observed, width = 160): string {
  const parsed = parseSubject(o.subject);
  const kind = (parsed?.kind ?? 'raw').padEnd(5);
  let line: string;
  if (o.ok) {
    const e = o.envelope;
    const time = e.at.slice(11, 23);
    const trace = traceOf(o);
    line = `${time} ${kind}${e.type.padEnd(15)} ${e.from} → ${e.to}  ${summary(e)}${trace === null ? '' : `  trace ${trace.slice(0, 8)}`}`;
  } else {
    line = `${new Date().toISOString().slice(11, 23)} ${kind}INVALID on ${o.subject}: ${o.reason}  ${o.raw.replace(/\s+/g, ' ')}`;
  }
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/**
 * Parses `--since`: an ISO 8601 time, or a duration back from `now` (`90s`, `10m`, `2h`, `1d`).
 * Returns null when it is neither.
 */
export function parseSince(text: string, now: Date): Date | null {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (m) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(m[1]) * unit);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : new Date(t);
}
