import { z } from 'zod';
import type { Bead } from '../beads/types.js';
import type { CloseOptions, CreateInput, UpdateInput } from '../beads/store.types.js';

/** Address text as carried on the wire: `/`-separated segments of `[a-z0-9_-]`. */
export const addressTextSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/, 'must be an address like alpha/web/witness');

const str = z.string();
const optStr = str.exactOptional();
const nullableStr = str.nullable().exactOptional();
const metadata = z.record(z.string(), z.unknown());

/** Mirrors beads/store.types.ts CreateInput. */
export const createInputSchema = z.strictObject({
  title: z.string().min(1),
  id: optStr,
  force: z.boolean().exactOptional(),
  description: optStr,
  design: optStr,
  acceptance_criteria: optStr,
  notes: optStr,
  spec_id: optStr,
  status: optStr,
  priority: z.number().int().exactOptional(),
  issue_type: optStr,
  assignee: optStr,
  owner: optStr,
  estimated_minutes: z.number().exactOptional(),
  due_at: optStr,
  defer_until: optStr,
  external_ref: optStr,
  source_system: optStr,
  metadata: metadata.exactOptional(),
  sender: optStr,
  ephemeral: z.boolean().exactOptional(),
  wisp_type: optStr,
  pinned: z.boolean().exactOptional(),
  labels: z.array(str).exactOptional(),
  parent: optStr,
  deps: z.array(z.strictObject({ type: str, id: str })).exactOptional(),
}) satisfies z.ZodType<CreateInput>;

/** Mirrors beads/store.types.ts UpdateInput. */
export const updateInputSchema = z.strictObject({
  title: optStr,
  description: optStr,
  design: optStr,
  acceptance_criteria: optStr,
  notes: optStr,
  append_notes: optStr,
  spec_id: nullableStr,
  status: optStr,
  priority: z.number().int().exactOptional(),
  issue_type: optStr,
  assignee: nullableStr,
  owner: nullableStr,
  estimated_minutes: z.number().nullable().exactOptional(),
  due_at: nullableStr,
  defer_until: nullableStr,
  external_ref: nullableStr,
  metadata: metadata.nullable().exactOptional(),
  add_labels: z.array(str).exactOptional(),
  remove_labels: z.array(str).exactOptional(),
  set_labels: z.array(str).exactOptional(),
  parent: nullableStr,
  ephemeral: z.boolean().exactOptional(),
  pinned: z.boolean().exactOptional(),
}) satisfies z.ZodType<UpdateInput>;

/** Mirrors beads/store.types.ts CloseOptions. */
export const closeOptionsSchema = z.strictObject({
  reason: optStr,
  force: z.boolean().exactOptional(),
  session: optStr,
}) satisfies z.ZodType<CloseOptions>;

/**
 * A bead as carried in events: Beads' JSON shape, checked for its identity fields only (a custom check:
 * an object schema would copy every field of every bead on every delivery).
 */
export const beadSchema = z.custom<Bead>(
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    typeof (v as { id?: unknown }).id === 'string' &&
    (v as { id: string }).id.length > 0 &&
    typeof (v as { title?: unknown }).title === 'string',
  { message: 'must be a bead with a non-empty string id and a string title' },
);

/**
 * One zod schema per message type: the body each `type` must carry.
 * Commands (`bead.*` verbs, `mail.send`) are requests; `bead.created`/`bead.updated` are events.
 */
export const messageSchemas = {
  'bead.create': z.strictObject({ actor: z.string().min(1), input: createInputSchema }),
  'bead.update': z.strictObject({
    actor: z.string().min(1),
    id: z.string().min(1),
    input: updateInputSchema,
  }),
  'bead.close': z.strictObject({
    actor: z.string().min(1),
    id: z.string().min(1),
    options: closeOptionsSchema,
  }),
  'bead.claim': z.strictObject({ actor: z.string().min(1), id: z.string().min(1) }),
  'mail.send': z.strictObject({
    to: addressTextSchema,
    subject: z.string().min(1),
    body: z.string(),
    thread_id: optStr,
    reply_to: optStr,
    priority: z.number().int().min(0).max(4).exactOptional(),
  }),
  /** Marks a mail bead read (closed); the reader is the envelope's `from`, who must be its recipient. */
  'mail.read': z.strictObject({ id: z.string().min(1) }),
  nudge: z.strictObject({ text: z.string().min(1) }),
  heartbeat: z.strictObject({
    actor: addressTextSchema,
    state: optStr,
    seq: z.number().int().nonnegative(),
    uptime_ms: z.number().nonnegative().exactOptional(),
  }),
  'bead.created': z.strictObject({ bead: beadSchema }),
  /** On the recipient's mail subject: a mail bead was stored for it (read it from the store). */
  'mail.delivered': z.strictObject({
    id: z.string().min(1),
    from: addressTextSchema,
    to: addressTextSchema,
    subject: z.string(),
    priority: z.number().int().min(0).max(4),
  }),
  'bead.updated': z.strictObject({ bead: beadSchema, changes: z.array(z.string()).exactOptional() }),
  /** `gt.<town>.cmd.town.status`: the daemon replies with its pid, NATS URL and actors. */
  'town.status': z.strictObject({}),
  /** `gt.<town>.cmd.town.stop`: the daemon replies, then shuts down within `grace_ms`. */
  'town.stop': z.strictObject({ grace_ms: z.number().int().positive().exactOptional() }),
} as const;

/** Every registered message type. */
export type MessageType = keyof typeof messageSchemas;

/** The body type of a message type. */
export type MessageBody<T extends MessageType> = z.output<(typeof messageSchemas)[T]>;

/** The registered message types, in registry order. */
export const MESSAGE_TYPES = Object.keys(messageSchemas) as MessageType[];

/** True when `type` is a registered message type. */
export function isMessageType(type: string): type is MessageType {
  return Object.prototype.hasOwnProperty.call(messageSchemas, type);
}
