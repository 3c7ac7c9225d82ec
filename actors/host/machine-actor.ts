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
 * snapshot the machine can no longer read is logged and replaced by a fresh start). Every change of
 * snapshot is persisted: inside `send`, in the same transaction as the store change; after an invoked
 * actor settles, on its own (a restored snapshot runs that invoked actor again, so invoked work is
 * written to be idempotent).
 */
export function startMachineActor<TMachine extends AnyStateMachine>(options: {
  address: string;
  role: string;
  machine: TMachine;
  store: BeadStore;
  log: Logger;
  /** The machine's input for a fresh start. */
  input?: unknown;
  /** Called after every snapshot change (already persisted). */
  onChange?: (state: string, context: unknown) => void;
}): MachineActor<TMachine> {
  const { address, role, machine, store, log } = options;
  const saved = store.actorState(address);
  const logic: AnyStateMachine = machine;
  const fresh = () =>
    options.input === undefined ? createActor(logic) : createActor(logic, { input: options.input });
  let actor: AnyActor;
  let restored = false;
  try {
    actor =
      saved === null
        ? fresh()
        : createActor(logic, {
            snapshot: JSON.parse(saved.snapshot) as Snapshot<unknown>,
            ...(options.input === undefined ? {} : { input: options.input }),
          });
    restored = saved !== null;
  } catch (err) {
    log.warn({ err, address }, 'persisted snapshot could not be restored: starting fresh');
    actor = fresh();
  }
  let last = '';
  let stopped = false;
  const persist = () => store.saveActorState(address, role, JSON.stringify(actor.getPersistedSnapshot()));
  const wire = (a: AnyActor) =>
    a.subscribe({
      next: () => {
        if (stopped) return;
        const json = JSON.stringify(a.getPersistedSnapshot());
        if (json === last) return;
        last = json;
        store.saveActorState(address, role, json);
        const snap = a.getSnapshot() as { value: unknown; context: unknown };
        try {
          options.onChange?.(stateText(snap.value), snap.context);
        } catch (err) {
          log.error({ err, address }, 'state change handler failed');
        }
      },
      error: (err) => log.error({ err, address }, 'actor failed'),
    });
  wire(actor);
  try {
    actor.start();
  } catch (err) {
    log.warn({ err, address }, 'persisted snapshot could not be started: starting fresh');
    actor = fresh();
    wire(actor);
    actor.start();
    restored = false;
  }
  if (restored)
    log.info(
      { address, state: stateText((actor.getSnapshot() as { value: unknown }).value) },
      'actor resumed',
    );
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
      if (stopped) return;
      store.transaction(persist);
      stopped = true;
      actor.stop();
    },
  };
}
