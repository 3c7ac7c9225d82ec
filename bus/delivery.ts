import { decode } from './envelope.js';
import type { DecodeResult } from './envelope.js';
import { MESSAGE_TYPES } from './messages.js';
import type { MessageType } from './messages.js';

/** The envelope's own fields, without its body. */
export interface EnvelopeHeader {
  readonly id: string;
  readonly type: string;
  readonly from: string;
  readonly to: string;
  readonly at: string;
  readonly traceparent: string;
}

/**
 * The canonical serialisation (`encode`) writes the header fields first, in this order, with no
 * escapes (their formats exclude quotes and backslashes), and the body last. `peekHeader` reads that
 * prefix byte by byte: no string is made until a field is known to be valid.
 */
const enc = new TextEncoder();
const KEY_ID = enc.encode('{"id":"');
const KEY_TYPE = enc.encode('","type":"');
const KEY_FROM = enc.encode('","from":"');
const KEY_TO = enc.encode('","to":"');
const KEY_AT = enc.encode('","at":"');
const KEY_TRACE = enc.encode('","traceparent":"');
const KEY_BODY = enc.encode('","body":');

/** Byte classes: 1 digit, 2 a-f, 4 g-z, 8 `_`, 16 `-`. */
const CLASS = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = 1;
for (let c = 0x61; c <= 0x66; c++) CLASS[c] = 2;
for (let c = 0x67; c <= 0x7a; c++) CLASS[c] = 4;
CLASS[0x5f] = 8;
CLASS[0x2d] = 16;
const DIGIT = 1;
const HEX = 1 | 2;
const LOWER = 2 | 4;
const TYPE_CHAR = 1 | 2 | 4 | 8;
const ADDRESS_CHAR = 1 | 2 | 4 | 8 | 16;
const isDigit = (c: number) => (CLASS[c] ?? 0) & DIGIT;

function literal(d: Uint8Array, i: number, lit: Uint8Array): number {
  if (i < 0 || i + lit.length > d.length) return -1;
  for (let k = 0; k < lit.length; k++) if (d[i + k] !== lit[k]) return -1;
  return i + lit.length;
}

/** `n` lowercase hex digits, not all zero when `nonZero`. */
function hexRun(d: Uint8Array, i: number, n: number, nonZero: boolean): number {
  if (i < 0 || i + n > d.length) return -1;
  let any = 0;
  for (let k = i; k < i + n; k++) {
    const c = d[k] as number;
    if (((CLASS[c] as number) & HEX) === 0) return -1;
    any |= c ^ 0x30;
  }
  return nonZero && any === 0 ? -1 : i + n;
}

/** Dot- or slash-separated segments up to the closing quote: the first byte of a segment in `first`, the rest in `rest`. */
function segmentsRun(d: Uint8Array, i: number, separator: number, first: number, rest: number): number {
  if (i < 0) return -1;
  let start = true;
  for (; i < d.length; i++) {
    const c = d[i] as number;
    if (c === 0x22) return start ? -1 : i;
    if (start) {
      if (((CLASS[c] as number) & first) === 0) return -1;
      start = false;
    } else if (c === separator) start = true;
    else if (((CLASS[c] as number) & rest) === 0) return -1;
  }
  return -1;
}

/** `[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*` up to the closing quote. */
const typeRun = (d: Uint8Array, i: number) => segmentsRun(d, i, 0x2e, LOWER, TYPE_CHAR);

/** An address `[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*` up to the closing quote. */
const addressRun = (d: Uint8Array, i: number) => segmentsRun(d, i, 0x2f, LOWER | DIGIT, ADDRESS_CHAR);

function digits(d: Uint8Array, i: number, n: number, max: number, min = 0): number {
  if (i < 0 || i + n > d.length) return -1;
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = d[k] ?? 0;
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v > max || v < min ? -1 : i + n;
}

/** `YYYY-MM-DDTHH:MM:SS(.f{1,9})?Z` with the field ranges a real date has. */
function timeRun(d: Uint8Array, i: number): number {
  i = digits(d, i, 4, 9999);
  i = literal(d, i, DASH);
  i = digits(d, i, 2, 12, 1);
  i = literal(d, i, DASH);
  i = digits(d, i, 2, 31, 1);
  i = literal(d, i, T);
  i = digits(d, i, 2, 23);
  i = literal(d, i, COLON);
  i = digits(d, i, 2, 59);
  i = literal(d, i, COLON);
  i = digits(d, i, 2, 59);
  if (i < 0) return -1;
  if (d[i] === 0x2e) {
    let k = i + 1;
    while (k < d.length && k - i <= 9 && isDigit(d[k] ?? 0)) k++;
    if (k === i + 1 || k - i > 10) return -1;
    i = k;
  }
  return d[i] === 0x5a ? i + 1 : -1;
}
const DASH = enc.encode('-');
const T = enc.encode('T');
const COLON = enc.encode(':');

/** `00-<32 hex, not all zero>-<16 hex, not all zero>-<2 hex>`. */
function traceRun(d: Uint8Array, i: number): number {
  i = literal(d, i, TRACE_VERSION);
  i = hexRun(d, i, 32, true);
  i = literal(d, i, DASH);
  i = hexRun(d, i, 16, true);
  i = literal(d, i, DASH);
  return hexRun(d, i, 2, false);
}
const TRACE_VERSION = enc.encode('00-');

/**
 * The header of a canonically encoded envelope, read and validated from its first bytes without
 * parsing the body; null when the bytes are not in canonical form or a field is invalid (decode them
 * to learn why). A header read here passes the checks `decode` makes on those fields.
 */
export function peekHeader(data: Uint8Array): EnvelopeHeader | null {
  const id0 = literal(data, 0, KEY_ID);
  const id1 = hexRun(data, id0, 32, false);
  const type0 = literal(data, id1, KEY_TYPE);
  const type1 = typeRun(data, type0);
  const from0 = literal(data, type1, KEY_FROM);
  const from1 = addressRun(data, from0);
  const to0 = literal(data, from1, KEY_TO);
  const to1 = addressRun(data, to0);
  const at0 = literal(data, to1, KEY_AT);
  const at1 = timeRun(data, at0);
  const tp0 = literal(data, at1, KEY_TRACE);
  const tp1 = traceRun(data, tp0);
  if (literal(data, tp1, KEY_BODY) < 0) return null;
  const type = typeAt(data, type0, type1);
  if (type === null) return null;
  return new PeekedHeader(data, type, from0, to0, at0, tp0);
}

/** The registered types' bytes by length: a type is recognised without making a string. */
const TYPES_BY_LENGTH = new Map<number, { bytes: Uint8Array; type: MessageType }[]>();
for (const type of MESSAGE_TYPES) {
  const bytes = enc.encode(type);
  const list = TYPES_BY_LENGTH.get(bytes.length) ?? [];
  list.push({ bytes, type });
  TYPES_BY_LENGTH.set(bytes.length, list);
}

function typeAt(d: Uint8Array, start: number, end: number): MessageType | null {
  const candidates = TYPES_BY_LENGTH.get(end - start);
  if (candidates === undefined) return null;
  next: for (const { bytes, type } of candidates) {
    for (let k = bytes.length - 1; k >= 0; k--) if (d[start + k] !== bytes[k]) continue next;
    return type;
  }
  return null;
}

/** A header read in place: each field is made into a string when it is first read. */
class PeekedHeader implements EnvelopeHeader {
  private buf: Buffer | undefined;
  /** Where the from, to, at and traceparent values start; each ends where the next key begins. */
  constructor(
    private readonly data: Uint8Array,
    readonly type: MessageType,
    private readonly from0: number,
    private readonly to0: number,
    private readonly at0: number,
    private readonly tp0: number,
  ) {}
  private slice(start: number, end: number): string {
    this.buf ??= Buffer.isBuffer(this.data)
      ? this.data
      : Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return this.buf.toString('latin1', start, end);
  }
  get id(): string {
    return this.slice(KEY_ID.length, KEY_ID.length + 32);
  }
  get from(): string {
    return this.slice(this.from0, this.to0 - KEY_TO.length);
  }
  get to(): string {
    return this.slice(this.to0, this.at0 - KEY_AT.length);
  }
  get at(): string {
    return this.slice(this.at0, this.tp0 - KEY_TRACE.length);
  }
  get traceparent(): string {
    return this.slice(this.tp0, this.tp0 + TRACEPARENT_LENGTH);
  }
}

/** `00-` + 32 hex + `-` + 16 hex + `-` + 2 hex. */
const TRACEPARENT_LENGTH = 55;

/** What a Delivery is made from: a NATS message, or the same three fields. */
export interface DeliveredMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Empty or absent when the sender expects no reply. */
  readonly reply?: string | undefined;
}

/**
 * One message as an observer receives it: the bytes, the header read cheaply (`header()`), and the
 * whole envelope decoded and validated on demand (`decode()`, computed once). Observers see every
 * message, valid or not, and most of them filter on the header before they look at a body.
 */
export class Delivery {
  private decoded: DecodeResult | undefined;
  private peeked: EnvelopeHeader | null | undefined;
  private bytes: Uint8Array | undefined;

  /** `message` is read lazily: a NATS message decodes its subject and slices its data on access. */
  constructor(private readonly message: DeliveredMessage) {}

  get subject(): string {
    return this.message.subject;
  }

  get data(): Uint8Array {
    this.bytes ??= this.message.data;
    return this.bytes;
  }

  /** The sender's reply subject, or undefined. */
  get reply(): string | undefined {
    return this.message.reply || undefined;
  }

  /** The envelope header, or null when the message is not a valid envelope. */
  header(): EnvelopeHeader | null {
    if (this.peeked === undefined) {
      this.peeked = peekHeader(this.data);
      if (this.peeked === null) {
        const d = this.decode();
        this.peeked = d.ok ? d.envelope : null;
      }
    }
    return this.peeked;
  }

  /** The whole envelope, validated; never throws. */
  decode(): DecodeResult {
    this.decoded ??= decode(this.data);
    return this.decoded;
  }
}
