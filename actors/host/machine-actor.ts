import { createActor } from 'xstate';
import type { AnyActor, AnyStateMachine, EventFromLogic, Snapshot } from 'xstate';
import type { BeadStore } from '../../beads/store.types.js';
import type { Logger } from '../logger.js';

/** A machine hosted by the town: its snapshot is restored on start and persisted with every change. */
export interface MachineActor<TMachine extends AnyStateMachine> {
  readonly address: string;
  readonly role: string;
  /** The current state value, dotted (`working.waiting`). */
  state(): string;
  /** The machine's context. */
  context(): unknown;
  /**
   * Applies `change` to the store (if given), sends `event`, and persists the new snapshot, all in one
   * store transaction: after a crash the machine and the store agree.
   */
  send(event: EventFromLogic<TMachine>, change?: () => void): void;
  stop(): void;
}

/** The state value as dotted text: `idle`, `working.waiting`, `a.b|c.d` for parallel regions. */
export function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => {
      const inner = stateText(v);
      return inner === '' || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)
        ? k
        : `${k}.${inner}`;
    })
    .join('|');
}

/**
 * Starts `machine` as the actor at `address`, resuming the snapshot persisted in the store (a
 * snapshot the machine can no longer read is logged and replaced by a fresh start).
 */
export function startMachineActor<TMachine extends AnyStateMachine>(options: {
  address: string;
  role: string;
  machine: TMachine;
  store: BeadStore;
  log: Logger;
}): MachineActor<TMachine> {
  const { address, role, machine, store, log } = options;
  const saved = store.actorState(address);
  const logic: AnyStateMachine = machine;
  let actor: AnyActor;
  try {
    actor =
      saved === null
        ? createActor(logic)
        : createActor(logic, { snapshot: JSON.parse(saved.snapshot) as Snapshot<unknown> });
    actor.start();
  } catch (err) {
    log.warn({ err, address }, 'persisted snapshot could not be restored: starting fresh');
    actor = createActor(logic);
    actor.start();
  }
  if (saved !== null)
    log.info(
      { address, state: stateText((actor.getSnapshot() as { value: unknown }).value) },
      'actor resumed',
    );
  const persist = () => store.saveActorState(address, role, JSON.stringify(actor.getPersistedSnapshot()));
  store.transaction(persist);
  return {
    address,
    role,
    state: () => stateText((actor.getSnapshot() as { value: unknown }).value),
    context: () => (actor.getSnapshot() as { context: unknown }).context,
    send(event, change) {
      store.transaction(() => {
        change?.();
        actor.send(event);
        persist();
      });
    },
    stop() {
      store.transaction(persist);
      actor.stop();
    },
  };
}
