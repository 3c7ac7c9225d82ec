import { GitCommitDebouncer } from '../../beads/git-sync.js';
import { readMail, sendMail } from '../../beads/mail.js';
import type { BeadStore, CloseOptions, CreateInput, UpdateInput } from '../../beads/store.types.js';
import type { Bead } from '../../beads/types.js';
import { formatAddress, parseAddress } from '../../bus/address.js';
import type { StoreWriter } from './store-client.js';

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
