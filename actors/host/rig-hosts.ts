import fs from 'node:fs';
import path from 'node:path';
import type { BeadStore } from '../../beads/store.types.js';
import type { BusConnection } from '../../bus/connection.js';
import { Runtimes } from '../agent/launch-session.js';
import { InFlight } from './in-flight.js';
import { Dispatcher } from '../deacon/dispatcher.js';
import type { DispatchRig } from '../deacon/dispatcher.js';
import { nextPolecatName } from '../deacon/name-pool.js';
import type { Logger } from '../logger.js';
import { PolecatError } from '../polecat/polecat-errors.js';
import { provisionSandbox } from '../polecat/sandbox.js';
import { startPolecatActor } from '../polecat/polecat-actor.js';
import type { PolecatActor } from '../polecat/polecat-actor.js';
import { startRefineryActor } from '../refinery/refinery-actor.js';
import type { RefineryActor } from '../refinery/refinery-actor.js';
import { rigPaths } from '../rig/rig-config.js';
import type { RigConfig } from '../rig/rig-config.js';
import { listRigs } from '../rig/rig-registry.js';
import type { TownConfig, TownPaths } from '../town/town-config.js';

/** One rig's hosted actors. */
export interface RigHost extends DispatchRig {
  refinery: RefineryActor;
}

/** Options of the rigs' host. */
export interface RigHostsOptions {
  town: string;
  paths: TownPaths;
  config: TownConfig;
  store: BeadStore;
  bus: BusConnection;
  log: Logger;
}

/**
 * The rigs of a town and their actors: each rig's refinery and its polecats (every identity persisted
 * in the store comes back, idle or in the state it had), plus the deacon's dispatcher over them.
 */
export class RigHosts {
  readonly rigs = new Map<string, RigHost>();
  readonly dispatcher: Dispatcher;
  private readonly runtimes: Runtimes;
  private readonly inFlight = new InFlight();

  constructor(private readonly options: RigHostsOptions) {
    this.runtimes = new Runtimes(options.town);
    this.dispatcher = new Dispatcher({
      town: options.town,
      store: options.store,
      bus: options.bus,
      log: options.log.child({ actor: `${options.town}/deacon`, component: 'dispatch' }),
      rigs: () => this.rigs,
      createPolecat: (rig, name) => this.addPolecat(rig, name),
      hasCrew: (rig, name) => fs.existsSync(path.join(rigPaths(options.paths.root, rig).crew, name)),
    });
    this.reload();
  }

  /** Starts the actors of rigs added since the last call, stops those of removed rigs. */
  reload(): { added: string[]; removed: string[] } {
    const { rigs: configs, broken } = listRigs(this.options.paths.root);
    for (const b of broken) this.options.log.error({ rig: b.name, file: b.file }, b.message);
    const added: string[] = [];
    const removed: string[] = [];
    const names = new Set(configs.map((c) => c.name));
    for (const [name, host] of this.rigs)
      if (!names.has(name)) {
        host.refinery.stop();
        for (const p of host.polecats.values()) p.stop();
        this.rigs.delete(name);
        removed.push(name);
      }
    for (const config of configs) {
      if (this.rigs.has(config.name)) {
        const host = this.rigs.get(config.name);
        if (host !== undefined) host.config = config;
        continue;
      }
      this.startRig(config);
      added.push(config.name);
    }
    this.dispatcher.schedule();
    return { added, removed };
  }

  /** The polecat at an address, or null. */
  polecat(address: string): PolecatActor | null {
    const [, rig, kind, name] = address.split('/');
    if (kind !== 'polecats' || rig === undefined || name === undefined) return null;
    return this.rigs.get(rig)?.polecats.get(name) ?? null;
  }

  /** Creates idle polecat identities: the given names, or the next `count` of the pool. */
  addPolecats(rig: string, names: readonly string[] | undefined, count: number | undefined): string[] {
    const host = this.rigs.get(rig);
    if (host === undefined)
      throw new PolecatError('rig.not_found', `no rig ${rig}: add it with gt rig add, or see gt rig list`);
    const out: string[] = [];
    for (const n of names ?? []) {
      if (!host.polecats.has(n)) this.addPolecat(rig, n);
      out.push(n);
    }
    for (let i = 0; i < (count ?? 0); i++) {
      const n = nextPolecatName(rig, new Set(host.polecats.keys()));
      this.addPolecat(rig, n);
      out.push(n);
    }
    return out;
  }

  /**
   * Creates the sandboxes of these polecats of `rig` that have none yet, one after the other (each
   * takes the bare clone's locks). A polecat whose sandbox cannot be made gets it at its first bead.
   */
  async provisionSandboxes(rig: string, names: readonly string[]): Promise<void> {
    const host = this.rigs.get(rig);
    if (host === undefined) return;
    const paths = rigPaths(this.options.paths.root, rig);
    for (const name of names)
      await this.inFlight
        .run(() => provisionSandbox(paths, { name, target: host.config.default_branch }))
        .catch((err: unknown) =>
          this.options.log.warn(
            { err, rig, polecat: name },
            'sandbox not provisioned: made at its first bead',
          ),
        );
  }

  /** Every hosted actor of the rigs, for status and heartbeats. */
  actors(): Array<{ address: string; role: string; state: () => string }> {
    const out: Array<{ address: string; role: string; state: () => string }> = [];
    for (const host of this.rigs.values()) {
      out.push({ address: host.refinery.address, role: 'refinery', state: () => host.refinery.state() });
      for (const p of host.polecats.values())
        out.push({ address: p.address, role: 'polecat', state: () => p.state() });
    }
    return out;
  }

  /**
   * Stops every rig's actors, then waits (until `deadline`, epoch ms) for the work they had under way:
   * its git runs and store writes finish before the host closes what they use. Returns how many were
   * still running at the deadline.
   */
  async stop(deadline: number): Promise<number> {
    for (const host of this.rigs.values()) {
      host.refinery.stop();
      for (const p of host.polecats.values()) p.stop();
    }
    this.rigs.clear();
    return this.inFlight.settled(deadline);
  }

  private startRig(config: RigConfig): void {
    const { town, store, bus, log } = this.options;
    const paths = rigPaths(this.options.paths.root, config.name);
    const polecats = new Map<string, PolecatActor>();
    const refinery = startRefineryActor({
      town,
      townRoot: this.options.paths.root,
      rig: config,
      rigPaths: paths,
      store,
      bus,
      log: log.child({ actor: `${town}/${config.name}/refinery` }),
      polecat: (address) => this.polecat(address),
      onMerged: () => this.dispatcher.schedule(),
      inFlight: this.inFlight,
    });
    const host: RigHost = { config, polecats, refinery };
    this.rigs.set(config.name, host);
    const prefix = `${town}/${config.name}/polecats/`;
    for (const a of store.actorStates())
      if (a.role === 'polecat' && a.address.startsWith(prefix))
        this.addPolecat(config.name, a.address.slice(prefix.length));
    refinery.wake();
  }

  private addPolecat(rig: string, name: string): PolecatActor {
    const host = this.rigs.get(rig);
    if (host === undefined) throw new PolecatError('rig.not_found', `no rig ${rig}`);
    const existing = host.polecats.get(name);
    if (existing !== undefined) return existing;
    const { town } = this.options;
    const actor = startPolecatActor({
      town,
      paths: this.options.paths,
      config: this.options.config,
      rig: host.config,
      rigPaths: rigPaths(this.options.paths.root, rig),
      name,
      store: this.options.store,
      bus: this.options.bus,
      log: this.options.log.child({ actor: `${town}/${rig}/polecats/${name}` }),
      runtimes: this.runtimes,
      onFree: () => this.dispatcher.schedule(),
      onSubmitted: () => host.refinery.wake(),
      inFlight: this.inFlight,
    });
    host.polecats.set(name, actor);
    return actor;
  }
}
