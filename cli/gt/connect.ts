import { createEnvelope } from '../../bus/envelope.js';
import type { MessageBody, MessageType } from '../../bus/messages.js';
import { unwrapReply } from '../../bus/reply.js';
import { cmd } from '../../bus/subjects.js';
import { TownNotRunningError } from '../../bus/errors.js';
import type { BusConnection } from '../../bus/connection.js';
import { connectToTown, daemonPid } from '../../actors/daemon/town-client.js';
import { readTownConfig } from '../../actors/town/town-config.js';
import type { TownConfig } from '../../actors/town/town-config.js';

/** A `gt` command's connection to its town. */
export interface TownConnection {
  config: TownConfig;
  bus: BusConnection;
}

/**
 * Reads `town.json` at `root` and connects to the town's bus as `gt-cli`. A managed town whose
 * daemon is not running is TownNotRunningError: "town alpha is not running: start it with `gt up`".
 * Close the bus when done.
 */
export async function connectTown(root: string): Promise<TownConnection> {
  const config = readTownConfig(root);
  if (config.nats.mode === 'managed' && daemonPid(root) === null) throw new TownNotRunningError(config.name);
  return { config, bus: await connectToTown(config, 'gt-cli') };
}

/**
 * Sends one command to the running town at `root` and returns its result (an error reply is thrown
 * with its code). `from` defaults to `<town>/overseer`.
 */
export async function townRequest<T extends MessageType, R = unknown>(
  root: string,
  type: T,
  body: MessageBody<T>,
  options: { from?: string | null; timeoutMs?: number } = {},
): Promise<R> {
  const { config, bus } = await connectTown(root);
  try {
    const envelope = createEnvelope(type, {
      from: options.from ?? `${config.name}/overseer`,
      to: `${config.name}/deacon`,
      body,
    });
    return unwrapReply(
      await bus.request<R>(cmd(config.name, type), envelope, { timeoutMs: options.timeoutMs ?? 15_000 }),
    );
  } finally {
    await bus.close(1_000);
  }
}
