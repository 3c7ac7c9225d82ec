import { z } from 'zod';
import type { Bead } from '../beads/types.js';
import type { CloseOptions, CreateInput, UpdateInput } from '../beads/store.types.js';
import { compileBodyCheck } from './body-check.js';
import type { BodyCheck } from './body-check.js';

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
  prefix: optStr,
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
  /**
   * `gt sling`: hook beads (or a convoy's beads) to a target: a rig (`web`: a polecat of its pool),
   * `web/nux` (that polecat), `web/crew/max`, or `mayor`. Beads beyond the rig's capacity, or not yet
   * ready, wait slung to the rig and are dispatched as polecats free up and blockers close.
   */
  sling: z.strictObject({
    actor: z.string().min(1),
    beads: z.array(z.string().min(1)).min(1),
    target: z.string().min(1),
    agent: optStr,
    no_convoy: z.boolean().exactOptional(),
  }),
  /** `gt done` inside a polecat's sandbox: submit the hooked bead's branch to the merge queue. */
  'polecat.done': z.strictObject({ agent: addressTextSchema }),
  /** `gt handoff`: end the agent's session with a handoff mail to itself; a new session continues. */
  'agent.handoff': z.strictObject({
    agent: addressTextSchema,
    subject: optStr,
    message: optStr,
  }),
  /** Creates idle polecat identities in a rig's pool (named, or the next `count` free names). */
  'polecat.add': z.strictObject({
    rig: z.string().min(1),
    names: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lowercase letters, digits and dashes'))
      .exactOptional(),
    count: z.number().int().min(1).max(100).exactOptional(),
  }),
  /** Re-reads the rigs (after `gt rig add` or `remove` while the town runs). */
  'rig.reload': z.strictObject({}),
  /** Starts (or, with `stop`, stops) the long-lived session of the mayor or a crew member. */
  'session.start': z.strictObject({ agent: addressTextSchema, preset: optStr }),
  'session.stop': z.strictObject({ agent: addressTextSchema }),
  /** Convoys: a bead of type convoy that tracks beads (`tracks` dependencies). */
  'convoy.create': z.strictObject({
    actor: z.string().min(1),
    title: z.string().min(1),
    beads: z.array(z.string().min(1)),
    owned: z.boolean().exactOptional(),
  }),
  'convoy.add': z.strictObject({
    actor: z.string().min(1),
    id: z.string().min(1),
    beads: z.array(z.string().min(1)).min(1),
  }),
  'convoy.land': z.strictObject({ actor: z.string().min(1), id: z.string().min(1) }),
  /** Events of the work loop, on `gt.<town>.evt.<entity>.<event>`. */
  'polecat.state': z.strictObject({
    agent: addressTextSchema,
    state: z.string().min(1),
    bead: str.nullable(),
  }),
  'bead.slung': z.strictObject({
    bead: z.string().min(1),
    target: z.string().min(1),
    agent: addressTextSchema.nullable(),
    convoy: str.nullable(),
  }),
  'mr.submitted': z.strictObject({
    mr: z.string().min(1),
    bead: z.string().min(1),
    rig: z.string().min(1),
    branch: z.string().min(1),
    sha: z.string().min(1),
    worker: addressTextSchema,
  }),
  'mr.merged': z.strictObject({
    mr: z.string().min(1),
    bead: z.string().min(1),
    rig: z.string().min(1),
    sha: z.string().min(1),
  }),
  'mr.rejected': z.strictObject({
    mr: z.string().min(1),
    bead: z.string().min(1),
    rig: z.string().min(1),
    gate: z.string(),
    output: z.string(),
  }),
  'mr.conflict': z.strictObject({
    mr: z.string().min(1),
    bead: z.string().min(1),
    rig: z.string().min(1),
    conflict_bead: z.string().min(1),
    files: z.array(z.string()),
  }),
  'convoy.landed': z.strictObject({
    convoy: z.string().min(1),
    title: z.string(),
    beads: z.array(z.string()),
  }),
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

/**
 * The plain checks compiled from `messageSchemas` (bus/body-check.ts): a body they accept is valid as
 * it is; any other goes to its zod schema, which decides and words the error. Null for a schema the
 * compiler does not cover (test/bus/body-check.test.ts holds every registered type to having one).
 */
export const bodyChecks: { readonly [T in MessageType]: BodyCheck | null } = Object.fromEntries(
  MESSAGE_TYPES.map((type) => [type, compileBodyCheck(messageSchemas[type])]),
) as { [T in MessageType]: BodyCheck | null };
