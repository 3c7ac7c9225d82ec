import { daemonPid } from '../../actors/daemon/town-client.js';
import { readTownConfig, requireTownRoot, townPaths } from '../../actors/town/town-config.js';
import { SqliteBeadStore } from '../../beads/store.js';
import type { BeadStore } from '../../beads/store.types.js';
import { formatAddress, parseAddress } from '../../bus/address.js';

/**
 * The town a command runs in and who acts: `--as`, else the session's `$GT_AGENT_ADDRESS`, else
 * `$GT_ADDRESS`, else `<town>/overseer`.
 */
export function townContext(o: { town?: string; as?: string }): { root: string; town: string; me: string } {
  const root = requireTownRoot(process.cwd(), o.town);
  const town = readTownConfig(root).name;
  const who = o.as ?? process.env['GT_AGENT_ADDRESS'] ?? process.env['GT_ADDRESS'] ?? 'overseer';
  return { root, town, me: formatAddress(parseAddress(who, town)) };
}

/** Reads the town's store (read-only while the daemon, its writer, runs). */
export function withTownReader<T>(root: string, fn: (store: BeadStore) => T): T {
  const store = SqliteBeadStore.open(townPaths(root).dbPath, { readonly: daemonPid(root) !== null });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}
