import { GuardError, ValidationError, NotFoundError } from './errors.js';
import type { BeadStore } from './store.types.js';
import type { Bead } from './types.js';

/**
 * Mail is beads (reference/beads.md 3.6): a message is a bead of type `message` with title = subject,
 * description = body, `sender` = author, `assignee` = recipient, status open = unread, closed = read.
 * Replies carry a `replies-to` edge to the message they answer, with `thread_id` = the thread's root,
 * and the label `thread:<root>`.
 *
 * Unlike Beads, where messages are ephemeral wisps, our mail is durable: it is exported to the canonical
 * JSONL so it survives a crash and merges across nodes.
 */

/** Input of `sendMail`. */
export interface SendMailInput {
  from: string;
  to: string;
  subject: string;
  body: string;
  /** 0 (urgent) to 4; default 2. */
  priority?: number;
  /** Id of the message this one answers. */
  replyTo?: string;
}

/** Input of `replyMail`: the recipient is the original sender. */
export interface ReplyMailInput {
  from: string;
  body: string;
  /** Default: `Re: <original subject>` (not doubled). */
  subject?: string;
  priority?: number;
}

const MESSAGE_TYPE = 'message';
const REPLIES_TO = 'replies-to';

/** Throws ValidationError unless `address` is non-empty and has no whitespace. */
export function validateAddress(address: string, role: string): void {
  if (address.length === 0 || /\s/.test(address)) {
    throw new ValidationError(
      `${role} address ${JSON.stringify(address)} is invalid: give a non-empty address without whitespace (e.g. "gastown/crew/max")`,
      { field: role, value: address },
    );
  }
}

/** The message bead `id` (a prefix is resolved); NotFoundError, or ValidationError when not a message. */
export function getMessage(store: BeadStore, id: string): Bead {
  const resolved = store.resolveId(id);
  const bead = store.get(resolved);
  if (bead === null) throw new NotFoundError(id);
  if (bead.issue_type !== MESSAGE_TYPE) {
    throw new ValidationError(
      `${resolved} is a ${bead.issue_type}, not a message: give the id of a message`,
      {
        id: resolved,
        issue_type: bead.issue_type,
      },
    );
  }
  return bead;
}

function repliesToEdge(bead: Bead): { depends_on_id: string; thread_id?: string } | undefined {
  return bead.dependencies?.find((d) => d.type === REPLIES_TO);
}

/** The root message of the thread `bead` belongs to (the bead itself when it answers nothing). */
function threadRoot(store: BeadStore, bead: Bead): string {
  const seen = new Set<string>([bead.id]);
  let current = bead;
  for (;;) {
    const edge = repliesToEdge(current);
    if (edge === undefined) return current.id;
    if (edge.thread_id !== undefined && edge.thread_id !== '') return edge.thread_id;
    const parent = store.get(edge.depends_on_id);
    if (parent === null || seen.has(parent.id)) return edge.depends_on_id;
    seen.add(parent.id);
    current = parent;
  }
}

/** Creates a message bead (and, for a reply, its `replies-to` edge and thread label) in one transaction. */
export function sendMail(store: BeadStore, input: SendMailInput): Bead {
  validateAddress(input.from, 'sender');
  validateAddress(input.to, 'recipient');
  if (input.subject.trim() === '') {
    throw new ValidationError('mail subject is empty: give a subject', { field: 'subject' });
  }
  return store.transaction(() => {
    let root: string | undefined;
    let repliedId: string | undefined;
    if (input.replyTo !== undefined) {
      const replied = getMessage(store, input.replyTo);
      repliedId = replied.id;
      root = threadRoot(store, replied);
    }
    const created = store.create(
      {
        title: input.subject,
        description: input.body,
        issue_type: MESSAGE_TYPE,
        priority: input.priority ?? 2,
        sender: input.from,
        assignee: input.to,
        ...(root === undefined ? {} : { labels: [`thread:${root}`] }),
      },
      input.from,
    );
    if (repliedId === undefined || root === undefined) return created;
    store.addDependency(created.id, repliedId, REPLIES_TO, input.from, { thread_id: root });
    return store.get(created.id) ?? created;
  });
}

function newestFirst(a: Bead, b: Bead): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Messages to `recipient`, newest first: unread (open) ones, or every one with `includeRead`. */
export function inbox(store: BeadStore, recipient: string, options: { includeRead?: boolean } = {}): Bead[] {
  validateAddress(recipient, 'recipient');
  const messages = store.list({
    status: options.includeRead === true ? 'all' : ['open'],
    type: [MESSAGE_TYPE],
    assignee: recipient,
    include_ephemeral: true,
  });
  return messages.sort(newestFirst);
}

/**
 * Marks a message read (closes it with reason "read"). Idempotent: an already-read message is returned
 * unchanged. Only the recipient may mark it read (GuardError `mail.not_recipient`).
 */
export function readMail(store: BeadStore, id: string, reader: string): Bead {
  validateAddress(reader, 'reader');
  return store.transaction(() => {
    const message = getMessage(store, id);
    if (message.assignee !== reader) {
      throw new GuardError(
        'mail.not_recipient',
        `${message.id} is addressed to ${message.assignee ?? '(nobody)'}, not ${reader}: only the recipient can mark it read`,
        { id: message.id, recipient: message.assignee ?? null, reader },
      );
    }
    if (message.status === 'closed') return message;
    return store.close(message.id, { reason: 'read' }, reader);
  });
}

/** Answers a message: to = its sender, subject `Re: <subject>` unless given. */
export function replyMail(store: BeadStore, id: string, input: ReplyMailInput): Bead {
  const original = getMessage(store, id);
  if (original.sender === undefined || original.sender === '') {
    throw new ValidationError(`${original.id} has no sender to reply to: send a new message instead`, {
      id: original.id,
    });
  }
  const subject =
    input.subject ?? (/^re:\s/i.test(original.title) ? original.title : `Re: ${original.title}`);
  return sendMail(store, {
    from: input.from,
    to: original.sender,
    subject,
    body: input.body,
    replyTo: original.id,
    ...(input.priority === undefined ? {} : { priority: input.priority }),
  });
}

/**
 * The whole thread `id` belongs to: the root first, then every reply (found through `replies-to` edges)
 * in the order they were written (created_at; a reply always after the message it answers).
 */
export function mailThread(store: BeadStore, id: string): Bead[] {
  const start = getMessage(store, id);
  const rootId = threadRoot(store, start);
  const root = store.get(rootId);
  if (root === null) throw new NotFoundError(rootId);
  const depth = new Map<string, number>([[root.id, 0]]);
  const order = new Map<string, number>([[root.id, 0]]);
  const replies: Bead[] = [];
  const queue: string[] = [root.id];
  for (let head = 0; head < queue.length; head++) {
    const current = queue[head] as string;
    const children = store
      .dependencies(current, 'up', REPLIES_TO)
      .map((d) => d.issue_id)
      .filter((child) => !depth.has(child));
    for (const bead of store.getMany(children)) {
      if (depth.has(bead.id)) continue;
      depth.set(bead.id, (depth.get(current) ?? 0) + 1);
      order.set(bead.id, order.size);
      replies.push(bead);
      queue.push(bead.id);
    }
  }
  replies.sort((a, b) => {
    if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
    const byDepth = (depth.get(a.id) ?? 0) - (depth.get(b.id) ?? 0);
    if (byDepth !== 0) return byDepth;
    return (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0);
  });
  return [root, ...replies];
}
