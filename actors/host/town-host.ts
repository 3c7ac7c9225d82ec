import { startCheckpointer } from '../../beads/checkpointer.js';
import { inbox } from '../../beads/mail.js';
import { SqliteBeadStore } from '../../beads/store.js';
import { addressToSubjectTokens, parseAddress } from '../../bus/address.js';
import type { BusSubscription } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import { evt, hb, mail } from '../../bus/subjects.js';
import { mailboxMachine } from '../../machines/mailbox.machine.js';
import { startStoreActor } from '../store/store-actor.js';
import type { ActorStatus, TownHost, TownHostOptions } from './contract.js';
import { startMachineActor } from './machine-actor.js';
import type { MachineActor } from './machine-actor.js';

/** Default period of every actor's heartbeat. */
export const DEFAULT_HEARTBEAT_MS = 5_000;

/** The town-level roles hosted from issue 3 on; rig roles join as rigs are added. */
const TOWN_ROLES = [
  { path: 'mayor', role: 'mayor' },
  { path: 'deacon', role: 'deacon' },
] as const;

interface Hosted {
  address: string;
  role: string;
  state(): string;
  lastBeat: string | null;
  seq: number;
}

/**
 * Hosts the town's actors on the bus: the store actor (single writer of the Beads store) and the
 * town roles, each a machine whose snapshot is restored from and persisted to the store. Role actors
 * subscribe to their mail subject, and on start they sync with the store, so mail that arrived while
 * they were down is seen. Every actor publishes a heartbeat on `gt.<town>.hb.<actor>`.
 */
export function startTownHost(options: TownHostOptions): Promise<TownHost> {
  const { town, paths, config, bus, log } = options;
  const store = SqliteBeadStore.open(paths.dbPath);
  const checkpointer = startCheckpointer(paths.dbPath, {
    onError: (message) => log.warn({ err: message }, 'background checkpoint failed'),
  });
  const storeActor = startStoreActor({
    town,
    store,
    bus,
    log: log.child({ actor: `${town}/store` }),
    beadsDir: paths.beadsDir,
  });
  const hosted: Hosted[] = [
    { address: storeActor.address, role: 'store', state: () => 'serving', lastBeat: null, seq: 0 },
  ];
  const roles: Array<MachineActor<typeof mailboxMachine>> = [];
  const subs: BusSubscription[] = [];
  for (const r of TOWN_ROLES) {
    const address = `${town}/${r.path}`;
    const actorLog = log.child({ actor: address });
    const actor = startMachineActor({ address, role: r.role, machine: mailboxMachine, store, log: actorLog });
    const sync = () =>
      actor.send({
        type: 'mail.synced',
        unread: inbox(store, address)
          .map((b) => b.id)
          .reverse(),
      });
    sync();
    subs.push(
      bus.subscribe(mail(town, addressToSubjectTokens(parseAddress(address, town))), (env) => {
        if (env.type === 'mail.delivered') actor.send({ type: 'mail.arrived', id: env.body.id });
      }),
      bus.subscribe(evt(town, 'bead', 'updated'), (env) => {
        if (
          env.type === 'bead.updated' &&
          env.body.bead.assignee === address &&
          env.body.bead.issue_type === 'message'
        )
          sync();
      }),
    );
    roles.push(actor);
    hosted.push({ address, role: r.role, state: () => actor.state(), lastBeat: null, seq: 0 });
  }

  const started = Date.now();
  const beat = () => {
    for (const h of hosted) {
      h.seq++;
      h.lastBeat = new Date().toISOString();
      const token = h.address.slice(town.length + 1).replace(/\//g, '-');
      bus.publish(
        hb(town, token),
        createEnvelope('heartbeat', {
          from: h.address,
          to: town,
          body: { actor: h.address, state: h.state(), seq: h.seq, uptime_ms: Date.now() - started },
        }),
      );
    }
  };
  beat();
  const timer = setInterval(beat, config.timing?.heartbeat_ms ?? DEFAULT_HEARTBEAT_MS);
  timer.unref();
  log.info({ actors: hosted.map((h) => h.address) }, 'actor host started');

  return Promise.resolve({
    status: (): ActorStatus[] =>
      hosted
        .map((h) => ({ address: h.address, role: h.role, state: h.state(), last_heartbeat_at: h.lastBeat }))
        .sort((a, b) => (a.address < b.address ? -1 : 1)),
    async stop(graceMs: number) {
      clearInterval(timer);
      await Promise.all(subs.map((s) => s.unsubscribe()));
      await storeActor.stop(graceMs);
      for (const r of roles) r.stop();
      await checkpointer.stop();
      store.close();
      log.info('actor host stopped');
    },
  });
}
