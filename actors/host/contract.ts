import type { BusConnection } from '../../bus/connection.js';
import type { Logger } from '../logger.js';
import type { TownConfig, TownPaths } from '../town/town-config.js';

/** What the daemon gives the actor host: a town, its files, a connected bus, a logger. */
export interface TownHostOptions {
  town: string;
  paths: TownPaths;
  config: TownConfig;
  bus: BusConnection;
  log: Logger;
}

/** One hosted actor as `gt status` shows it. */
export interface ActorStatus {
  /** `alpha/deacon`, `alpha/store`, `alpha/web/polecats/nux`. */
  address: string;
  role: string;
  /** The machine's state value, dotted (`working.waiting`). */
  state: string;
  /** ISO time of the actor's last heartbeat, or null before the first. */
  last_heartbeat_at: string | null;
}

/** A running actor host. */
export interface TownHost {
  /** Every hosted actor, sorted by address. */
  status(): ActorStatus[];
  /** Stops taking commands, lets handlers in flight finish (up to `graceMs`), persists, stops actors. */
  stop(graceMs: number): Promise<void>;
}
