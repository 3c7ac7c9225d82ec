import { startCheckpointer } from '../../beads/checkpointer.js';
import { inbox, sendMail } from '../../beads/mail.js';
import { SqliteBeadStore } from '../../beads/store.js';
import { addressToSubjectTokens, parseAddress } from '../../bus/address.js';
import type { BusSubscription } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import { cmd, evt, hb, mail } from '../../bus/subjects.js';
import { mailboxMachine } from '../../machines/mailbox.machine.js';
import { startStoreActor } from '../store/store-actor.js';
import type { ActorStatus, TownHost, TownHostOptions } from './contract.js';
import { startMachineActor } from './machine-actor.js';
import { RigHosts } from './rig-hosts.js';
import { startSessionKeepers } from '../session/session-keeper.js';
import { PolecatError } from '../polecat/polecat-errors.js';
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

  const rigs = new RigHosts({ town, paths, config, store, bus, log });
  const sessions = startSessionKeepers({
    town,
    paths,
    config,
    bus,
    store,
    log: log.child({ actor: `${town}/sessions` }),
  });
  const polecatAt = (agent: string) => {
    const p = rigs.polecat(agent.includes('/') && agent.split('/').length === 3 ? `${town}/${agent}` : agent);
    if (p === null)
      throw new PolecatError(
        'polecat.not_found',
        `${agent} is not a polecat of this town: gt done runs inside a polecat's sandbox`,
      );
    return p;
  };
  /** Runs a command once per message id: a replayed id gets the first reply and changes nothing. */
  const once = (id: string, fn: () => unknown): unknown => {
    const replay = store.handledReply(id);
    if (replay !== null) return JSON.parse(replay) as unknown;
    return store.transaction(() => {
      const result = fn();
      store.recordHandled(id, JSON.stringify(result));
      return result;
    });
  };
  subs.push(
    bus.subscribe(cmd(town, 'sling'), (env) => {
      if (env.type !== 'sling') throw new PolecatError('bus.wrong_type', `expected sling, got ${env.type}`);
      return once(env.id, () => rigs.dispatcher.sling(env.body));
    }),
    bus.subscribe(cmd(town, 'polecat.done'), (env) => {
      if (env.type !== 'polecat.done')
        throw new PolecatError('bus.wrong_type', `expected polecat.done, got ${env.type}`);
      return polecatAt(env.body.agent).done();
    }),
    bus.subscribe(cmd(town, 'agent.handoff'), (env) => {
      if (env.type !== 'agent.handoff')
        throw new PolecatError('bus.wrong_type', `expected agent.handoff, got ${env.type}`);
      const body = env.body;
      return once(env.id, () => {
        const p = polecatAt(body.agent);
        if (p.state() !== 'working')
          throw new PolecatError(
            'handoff.not_working',
            `${p.address} is ${p.state()}: only a working session hands off`,
          );
        const note = sendMail(store, {
          from: p.address,
          to: p.address,
          subject: body.subject ?? `Handoff: ${p.context().bead ?? ''}`,
          body: body.message ?? 'Continue the work on your hook where the last session left it.',
        });
        p.handoff();
        return { agent: p.address, mail: note.id };
      });
    }),
    bus.subscribe(cmd(town, 'polecat.add'), (env) => {
      if (env.type !== 'polecat.add')
        throw new PolecatError('bus.wrong_type', `expected polecat.add, got ${env.type}`);
      const body = env.body;
      const added = once(env.id, () => ({
        rig: body.rig,
        polecats: rigs.addPolecats(body.rig, body.names, body.count),
      })) as { rig: string; polecats: string[] };
      return rigs.provisionSandboxes(added.rig, added.polecats).then(() => added);
    }),
    bus.subscribe(cmd(town, 'rig.reload'), () => rigs.reload()),
  );

  const started = Date.now();
  const everyone = () => [
    ...hosted,
    ...rigs.actors().map((a) => {
      const h = rigBeats.get(a.address) ?? {
        address: a.address,
        role: a.role,
        state: a.state,
        lastBeat: null,
        seq: 0,
      };
      rigBeats.set(a.address, h);
      return h;
    }),
  ];
  const rigBeats = new Map<string, Hosted>();
  const beat = () => {
    for (const h of everyone()) {
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
      [
        ...everyone().map((h) => ({
          address: h.address,
          role: h.role,
          state: h.state(),
          last_heartbeat_at: h.lastBeat,
        })),
        ...sessions.status(),
      ].sort((a, b) => (a.address < b.address ? -1 : 1)),
    async stop(graceMs: number) {
      const deadline = Date.now() + graceMs;
      clearInterval(timer);
      await Promise.all(subs.map((s) => s.unsubscribe()));
      await sessions.stop(graceMs);
      // The rigs' work under way finishes first: its store writes go into the store actor's last flush.
      const left = await rigs.stop(deadline);
      if (left > 0) log.warn({ running: left }, 'rig work still under way at the end of the grace period');
      await storeActor.stop(Math.max(0, deadline - Date.now()));
      for (const r of roles) r.stop();
      await checkpointer.stop();
      store.close();
      log.info('actor host stopped');
    },
  });
}
