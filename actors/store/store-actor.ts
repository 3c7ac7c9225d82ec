import type { BeadStore } from '../../beads/store.types.js';
import type { Bead } from '../../beads/types.js';
import { readMail, sendMail } from '../../beads/mail.js';
import { addToConvoy, createConvoy, landConvoy, landConvoysOf } from '../../beads/convoy.js';
import type { ConvoyProgress } from '../../beads/convoy.js';
import { GitCommitDebouncer } from '../../beads/git-sync.js';
import { addressToSubjectTokens, formatAddress, parseAddress } from '../../bus/address.js';
import type { BusConnection, BusSubscription } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import type { AnyEnvelope } from '../../bus/envelope.js';
import { InvalidMessageError } from '../../bus/errors.js';
import { JsonResult } from '../../bus/reply.js';
import type { MessageBody, MessageType } from '../../bus/messages.js';
import { cmd, evt, mail } from '../../bus/subjects.js';
import type { Logger } from '../logger.js';

/** Options of the store actor. */
export interface StoreActorOptions {
  town: string;
  store: BeadStore;
  bus: BusConnection;
  log: Logger;
  /** The `.beads` directory whose issues.jsonl is flushed and committed after changes. */
  beadsDir: string;
  /** Quiet period before the JSONL is flushed and committed; default 2000 ms. */
  commitDebounceMs?: number;
}

/** The running store actor. */
export interface StoreActor {
  readonly address: string;
  /** Commands handled since start (replays of a handled message id included). */
  handled(): number;
  /** Stops taking commands (in-flight ones finish), then flushes and commits the JSONL. */
  stop(graceMs: number): Promise<void>;
}

/** An event to publish once the change is committed and the reply has left. */
type PendingEvent = { subject: string; envelope: () => AnyEnvelope };
type Handled = { result: unknown; events: PendingEvent[] };

/** The verbs the store actor serves, each `gt.<town>.cmd.<verb>`. */
export const STORE_VERBS = [
  'bead.create',
  'bead.update',
  'bead.close',
  'bead.claim',
  'mail.send',
  'mail.read',
  'convoy.create',
  'convoy.add',
  'convoy.land',
] as const;

/**
 * The town's single writer of the Beads store while the daemon runs. Each command is applied in one
 * transaction together with the record of its message id, so a redelivered message gets the first
 * reply and changes nothing. After the commit it publishes the facts (`bead.created`, `bead.updated`,
 * and `mail.delivered` on the recipient's mail subject) and schedules the JSONL commit.
 */
export function startStoreActor(options: StoreActorOptions): StoreActor {
  const { town, store, bus, log } = options;
  const address = `${town}/store`;
  const debouncer = new GitCommitDebouncer(store, options.beadsDir, {
    debounceMs: options.commitDebounceMs ?? 2_000,
    message: () => `gt: store changes (${town})`,
    onError: (err) => log.error({ err }, 'JSONL flush or commit failed'),
  });
  let count = 0;

  /** The envelope is made when it is published: after the reply, off the command's critical path. */
  const event = <T extends MessageType>(
    subject: string,
    type: T,
    body: MessageBody<T>,
    cause: AnyEnvelope,
    to = '*',
  ): PendingEvent => ({
    subject,
    envelope: () =>
      createEnvelope(type, {
        from: address,
        to: to === '*' ? town : to,
        body,
        traceparent: cause.traceparent,
      }) as AnyEnvelope,
  });
  const beadEvent = (
    type: 'bead.created' | 'bead.updated',
    bead: Bead,
    cause: AnyEnvelope,
    changes?: string[],
  ) =>
    type === 'bead.created'
      ? event(evt(town, 'bead', 'created'), 'bead.created', { bead }, cause)
      : event(
          evt(town, 'bead', 'updated'),
          'bead.updated',
          { bead, ...(changes === undefined ? {} : { changes }) },
          cause,
        );

  /** The facts of convoys that landed: the convoy bead's update, then `convoy.landed`. */
  const landedEvents = (landed: readonly ConvoyProgress[], cause: AnyEnvelope) =>
    landed.flatMap((p) => {
      const convoy = store.get(p.id);
      const body = { convoy: p.id, title: p.title, beads: p.beads.map((b) => b.id) };
      return [
        ...(convoy === null ? [] : [beadEvent('bead.updated', convoy, cause, ['status'])]),
        event(evt(town, 'convoy', 'landed'), 'convoy.landed', body, cause),
      ];
    });

  const apply = (env: AnyEnvelope): Handled => {
    switch (env.type) {
      case 'bead.create': {
        const bead = store.create(env.body.input, env.body.actor);
        return { result: bead, events: [beadEvent('bead.created', bead, env)] };
      }
      case 'bead.update': {
        const bead = store.update(env.body.id, env.body.input, env.body.actor);
        const landed = env.body.input.status === 'closed' ? landConvoysOf(store, bead.id, address) : [];
        return {
          result: bead,
          events: [
            beadEvent('bead.updated', bead, env, Object.keys(env.body.input)),
            ...landedEvents(landed, env),
          ],
        };
      }
      case 'bead.close': {
        const bead = store.close(env.body.id, env.body.options, env.body.actor);
        const landed = landConvoysOf(store, bead.id, address);
        return {
          result: bead,
          events: [beadEvent('bead.updated', bead, env, ['status']), ...landedEvents(landed, env)],
        };
      }
      case 'bead.claim': {
        const bead = store.claim(env.body.id, env.body.actor);
        return { result: bead, events: [beadEvent('bead.updated', bead, env, ['status', 'assignee'])] };
      }
      case 'mail.send': {
        const to = parseAddress(env.body.to, town);
        const recipient = formatAddress(to);
        const bead = sendMail(store, {
          from: env.from,
          to: recipient,
          subject: env.body.subject,
          body: env.body.body,
          ...(env.body.priority === undefined ? {} : { priority: env.body.priority }),
          ...(env.body.reply_to === undefined ? {} : { replyTo: env.body.reply_to }),
        });
        const delivered = event(
          mail(to.town, addressToSubjectTokens(to)),
          'mail.delivered',
          { id: bead.id, from: env.from, to: recipient, subject: bead.title, priority: bead.priority },
          env,
          recipient,
        );
        return { result: bead, events: [beadEvent('bead.created', bead, env), delivered] };
      }
      case 'mail.read': {
        const reader = formatAddress(parseAddress(env.from, town));
        const bead = readMail(store, env.body.id, reader);
        return { result: bead, events: [beadEvent('bead.updated', bead, env, ['status'])] };
      }
      case 'convoy.create': {
        const bead = createConvoy(store, {
          title: env.body.title,
          beads: env.body.beads,
          ...(env.body.owned === undefined ? {} : { owned: env.body.owned }),
          actor: env.body.actor,
        });
        return { result: bead, events: [beadEvent('bead.created', bead, env)] };
      }
      case 'convoy.add': {
        const progress = addToConvoy(store, env.body.id, env.body.beads, env.body.actor);
        const convoy = store.get(progress.id);
        return {
          result: progress,
          events: convoy === null ? [] : [beadEvent('bead.updated', convoy, env, ['dependencies'])],
        };
      }
      case 'convoy.land': {
        const { landed, progress } = landConvoy(store, env.body.id, env.body.actor);
        return { result: progress, events: landed ? landedEvents([progress], env) : [] };
      }
      default:
        throw new InvalidMessageError('type', `"${env.type}" is not a store command`);
    }
  };

  const handle = (verb: string) => (env: AnyEnvelope) => {
    if (env.type !== verb)
      throw new InvalidMessageError('type', `is "${env.type}" but the subject's verb is "${verb}"`);
    count++;
    // The replay check and the change share one transaction: a single lock and commit per command.
    // The reply is serialised once: the text recorded for replays is the text sent.
    const done = store.transaction((): (Handled & { json: string }) | { replay: string } => {
      const replay = store.handledReply(env.id);
      if (replay !== null) return { replay };
      const h = apply(env);
      const json = JSON.stringify(h.result);
      store.recordHandled(env.id, json);
      return { ...h, json };
    });
    if ('replay' in done) return new JsonResult(done.replay);
    // The change is committed. Its events are made and published once the reply has left (setImmediate
    // runs after the bus's flush of the reply, a microtask): building and encoding them does not delay
    // the answer, and the server routes the reply before it stores the events in the JetStream feed. A
    // failed publication is logged, never turned into an error reply.
    setImmediate(() => {
      for (const e of done.events) {
        let envelope: AnyEnvelope | undefined;
        try {
          envelope = e.envelope();
          bus.publish(e.subject, envelope);
        } catch (err) {
          log.error({ err, subject: e.subject, id: envelope?.id }, 'event not published');
        }
      }
    });
    debouncer.schedule();
    return new JsonResult(done.json);
  };

  const subs: BusSubscription[] = STORE_VERBS.map((verb) =>
    bus.subscribe(cmd(town, verb), handle(verb), {
      onInvalid: (bad) => log.warn({ subject: bad.subject, err: bad.error }, 'invalid command refused'),
    }),
  );
  log.info({ verbs: STORE_VERBS }, 'store actor serving');

  return {
    address,
    handled: () => count,
    async stop() {
      await Promise.all(subs.map((s) => s.unsubscribe()));
      await debouncer.close();
      log.info('store actor stopped');
    },
  };
}
