import path from 'node:path';
import { GitCommitDebouncer } from '../../beads/git-sync.js';
import { readMail, sendMail } from '../../beads/mail.js';
import type { BeadStore, CloseOptions, CreateInput, UpdateInput } from '../../beads/store.types.js';
import type { Bead } from '../../beads/types.js';
import { formatAddress, parseAddress } from '../../bus/address.js';
import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import type { MessageBody, MessageType } from '../../bus/messages.js';
import { unwrapReply } from '../../bus/reply.js';
import { cmd } from '../../bus/subjects.js';
import { connectToTown, daemonPid } from '../daemon/daemon-control.js';
import { findTownRoot, readTownConfig, townPaths } from '../town/town-config.js';

/** The store mutations a client makes, the same whether the daemon applies them or the client does. */
export interface StoreWriter {
  /** `daemon`: commands go over the bus to the store actor; `direct`: this process writes the store. */
  readonly via: 'daemon' | 'direct';
  create(input: CreateInput, actor: string): Promise<Bead>;
  update(id: string, input: UpdateInput, actor: string): Promise<Bead>;
  close(id: string, options: CloseOptions, actor: string): Promise<Bead>;
  claim(id: string, actor: string): Promise<Bead>;
  /** Sends mail from `from` (an address) to `to` (an address; bare paths are the local town). */
  sendMail(input: {
    from: string;
    to: string;
    subject: string;
    body: string;
    priority?: number;
    replyTo?: string;
  }): Promise<Bead>;
  /** Marks a mail bead read; `reader` must be its recipient. */
  readMail(id: string, reader: string): Promise<Bead>;
  /** Releases the connection (daemon) or flushes and commits the JSONL (direct). */
  close(): Promise<void>;
}

/** Sends store commands to the town daemon's store actor and returns its replies. */
export class DaemonStoreWriter implements StoreWriter {
  readonly via = 'daemon';
  constructor(
    private readonly town: string,
    private readonly bus: BusConnection,
    private readonly options: { timeoutMs?: number; closeBus?: boolean } = {},
  ) {}

  private async send<T extends MessageType>(type: T, from: string, body: MessageBody<T>): Promise<Bead> {
    const envelope = createEnvelope(type, {
      from: formatAddress(parseAddress(from, this.town)),
      to: `${this.town}/store`,
      body,
    });
    const reply = await this.bus.request<Bead>(cmd(this.town, type), envelope, {
      timeoutMs: this.options.timeoutMs ?? 10_000,
    });
    return unwrapReply(reply);
  }

  create(input: CreateInput, actor: string): Promise<Bead> {
    return this.send('bead.create', `${this.town}/overseer`, { actor, input });
  }
  update(id: string, input: UpdateInput, actor: string): Promise<Bead> {
    return this.send('bead.update', `${this.town}/overseer`, { actor, id, input });
  }
  close(id: string, options: CloseOptions, actor: string): Promise<Bead>;
  close(): Promise<void>;
  async close(id?: string, options?: CloseOptions, actor?: string): Promise<Bead | void> {
    if (id === undefined) {
      if (this.options.closeBus !== false) await this.bus.close(2_000);
      return;
    }
    return this.send('bead.close', `${this.town}/overseer`, {
      actor: actor ?? 'unknown',
      id,
      options: options ?? {},
    });
  }
  claim(id: string, actor: string): Promise<Bead> {
    return this.send('bead.claim', `${this.town}/overseer`, { actor, id });
  }
  sendMail(input: Parameters<StoreWriter['sendMail']>[0]): Promise<Bead> {
    return this.send('mail.send', input.from, {
      to: input.to,
      subject: input.subject,
      body: input.body,
      ...(input.priority === undefined ? {} : { priority: input.priority }),
      ...(input.replyTo === undefined ? {} : { reply_to: input.replyTo }),
    });
  }
  readMail(id: string, reader: string): Promise<Bead> {
    return this.send('mail.read', reader, { id });
  }
}

/** Writes the store in this process (no daemon): each change then flushes and commits the JSONL. */
export class DirectStoreWriter implements StoreWriter {
  readonly via = 'direct';
  private readonly debouncer: GitCommitDebouncer;
  constructor(
    private readonly store: BeadStore,
    beadsDir: string,
    private readonly town: string | null,
  ) {
    this.debouncer = new GitCommitDebouncer(store, beadsDir, { message: () => 'bd: store changes' });
  }

  private address(text: string): string {
    return this.town === null ? text : formatAddress(parseAddress(text, this.town));
  }
  create(input: CreateInput, actor: string): Promise<Bead> {
    return Promise.resolve(this.store.create(input, actor));
  }
  update(id: string, input: UpdateInput, actor: string): Promise<Bead> {
    return Promise.resolve(this.store.update(id, input, actor));
  }
  close(id: string, options: CloseOptions, actor: string): Promise<Bead>;
  close(): Promise<void>;
  async close(id?: string, options?: CloseOptions, actor?: string): Promise<Bead | void> {
    if (id === undefined) {
      await this.debouncer.close();
      this.store.close();
      return;
    }
    return this.store.close(id, options ?? {}, actor ?? 'unknown');
  }
  claim(id: string, actor: string): Promise<Bead> {
    return Promise.resolve(this.store.claim(id, actor));
  }
  sendMail(input: Parameters<StoreWriter['sendMail']>[0]): Promise<Bead> {
    return Promise.resolve(
      sendMail(this.store, { ...input, from: this.address(input.from), to: this.address(input.to) }),
    );
  }
  readMail(id: string, reader: string): Promise<Bead> {
    return Promise.resolve(readMail(this.store, id, this.address(reader)));
  }
}

/**
 * The town whose beads store is `beadsDir` and whose daemon is running, or null. A store inside a
 * town (`<town>/beads/.beads`) with a live daemon must be written through the daemon: it is the
 * single writer.
 */
export function runningTownOf(beadsDir: string): { root: string; town: string } | null {
  const root = findTownRoot(path.dirname(path.dirname(path.resolve(beadsDir))), undefined, {});
  if (root === null || townPaths(root).beadsDir !== path.resolve(beadsDir)) return null;
  if (daemonPid(root) === null) return null;
  return { root, town: readTownConfig(root).name };
}

/** Connects a DaemonStoreWriter to a running town. */
export async function daemonWriter(root: string): Promise<DaemonStoreWriter> {
  const config = readTownConfig(root);
  return new DaemonStoreWriter(config.name, await connectToTown(config, 'gt-store-client'));
}
