import { TownNotRunningError } from '../../bus/errors.js';
import type { BusConnection } from '../../bus/connection.js';
import { connectToTown, daemonPid } from '../../actors/daemon/daemon-control.js';
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
