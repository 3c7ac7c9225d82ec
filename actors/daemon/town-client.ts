import { errors as natsErrors } from '@nats-io/transport-node';
import { connectBus } from '../../bus/connection.js';
import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import { TownNotRunningError } from '../../bus/errors.js';
import { unwrapReply } from '../../bus/reply.js';
import { cmd } from '../../bus/subjects.js';
import { townNats, townPaths } from '../town/town-config.js';
import type { TownConfig } from '../town/town-config.js';
import { TownError } from '../town/town-errors.js';
import type { TownStatusReply } from './daemon.js';
import { DAEMON_MARKER, isAlive, readPid } from './pid-files.js';

// The client side of a running town: what every `gt` and `bd` command needs, and nothing that
// starts processes (daemon-control.ts), so a short-lived CLI does not load what it never runs.

/** The live daemon's pid from `.gt/daemon.pid`, or null (no file, or a dead or reused pid). */
export function daemonPid(root: string): number | null {
  const pid = readPid(townPaths(root).pidFile);
  return pid !== null && isAlive(pid, DAEMON_MARKER) ? pid : null;
}

/**
 * Connects to the town's bus. A managed town whose nats-server refuses the connection is
 * TownNotRunningError ("start it with `gt up`").
 */
export async function connectToTown(config: TownConfig, name: string): Promise<BusConnection> {
  try {
    return await connectBus({ ...townNats(config), name, timeoutMs: 3_000 });
  } catch (error) {
    if (error instanceof natsErrors.ConnectionError && /refused/i.test(error.message))
      throw new TownNotRunningError(config.name, { cause: error });
    throw new TownError(
      'town.connect_failed',
      `cannot connect to the bus of town ${config.name}: ${(error as Error).message}; check \`gt status\``,
      { cause: error },
    );
  }
}

/** Asks the daemon for `town.status`. Throws TownNotRunningError when nobody answers. */
export async function requestTownStatus(
  bus: BusConnection,
  town: string,
  timeoutMs = 5_000,
): Promise<TownStatusReply> {
  const envelope = createEnvelope('town.status', { from: `${town}/overseer`, to: town, body: {} });
  return unwrapReply(await bus.request<TownStatusReply>(cmd(town, 'town.status'), envelope, { timeoutMs }));
}
