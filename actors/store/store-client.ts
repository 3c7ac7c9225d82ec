import type { CloseOptions, CreateInput, UpdateInput } from '../../beads/store.types.js';
import type { Bead } from '../../beads/types.js';
import { formatAddress, parseAddress } from '../../bus/address.js';
import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import type { MessageBody, MessageType } from '../../bus/messages.js';
import { unwrapReply } from '../../bus/reply.js';
import { cmd } from '../../bus/subjects.js';
import { connectToTown } from '../daemon/town-client.js';
import { readTownConfig } from '../town/town-config.js';

export { DirectStoreWriter } from './direct-store-writer.js';

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

/** Connects a DaemonStoreWriter to a running town. */
export async function daemonWriter(root: string): Promise<DaemonStoreWriter> {
  const config = readTownConfig(root);
  return new DaemonStoreWriter(config.name, await connectToTown(config, 'gt-store-client'));
}
