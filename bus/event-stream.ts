import {
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { StreamConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decode } from './envelope.js';
import type { AnyEnvelope } from './envelope.js';
import type { InvalidMessageError } from './errors.js';
import { assertTown, patterns } from './subjects.js';

/** Retention of a town's event stream. Defaults: 7 days, 100 000 messages, 256 MiB. */
export interface EventRetention {
  maxAgeMs?: number;
  maxMsgs?: number;
  maxBytes?: number;
}

/** One replayed event: its stream sequence and the decoded envelope, or why it did not decode. */
export type ReplayedEvent =
  | { seq: number; subject: string; ok: true; envelope: AnyEnvelope }
  | { seq: number; subject: string; ok: false; error: InvalidMessageError };

const STREAM_NOT_FOUND = 10059;

/** The JetStream stream that captures `gt.<town>.evt.>`. */
export function eventStreamName(town: string): string {
  assertTown(town);
  return `GT_${town.toUpperCase().replace(/-/g, '_')}_EVT`;
}

/** Creates (or updates the retention of) the town's event stream; file storage, oldest dropped first. */
export async function ensureEventStream(
  nc: NatsConnection,
  town: string,
  retention: EventRetention = {},
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config: Partial<StreamConfig> & { name: string } = {
    name: eventStreamName(town),
    subjects: [patterns.events(town)],
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: (retention.maxAgeMs ?? 7 * 24 * 3_600_000) * 1_000_000,
    max_msgs: retention.maxMsgs ?? 100_000,
    max_bytes: retention.maxBytes ?? 256 * 1024 * 1024,
  };
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) {
      await jsm.streams.add(config);
      return;
    }
    throw error;
  }
  await jsm.streams.update(config.name, config);
}

/**
 * Replays the town's captured events (all, or those stored at or after `since`), oldest first, then
 * ends. Events that fail validation are yielded with their error rather than dropped.
 */
export async function* replayEvents(
  nc: NatsConnection,
  town: string,
  options: { since?: Date; filter?: string } = {},
): AsyncGenerator<ReplayedEvent> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(eventStreamName(town), {
    filter_subjects: options.filter ?? patterns.events(town),
    ...(options.since === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: options.since.toISOString() }),
  });
  const info = await consumer.info(true);
  if (info.num_pending === 0) return;
  const messages = await consumer.consume({ max_messages: 256 });
  try {
    for await (const m of messages) {
      const decoded = decode(m.data, m.headers?.get('traceparent') || undefined);
      const base = { seq: m.seq, subject: m.subject };
      yield decoded.ok
        ? { ...base, ok: true, envelope: decoded.envelope }
        : { ...base, ok: false, error: decoded.error };
      if (m.info.pending === 0) break;
    }
  } finally {
    await messages.close();
  }
}
