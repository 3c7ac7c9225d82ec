import { assign, setup } from 'xstate';
import type { SessionHandle } from '../actors/runtime/provider.js';

/** What the keeper of one long-lived session (mayor, crew member) persists. */
export interface SessionContext {
  /** The agent preset asked for (`--agent`), or null for the town's default. */
  preset: string | null;
  /** The live (or last) session; null before the first launch and after a stop. */
  handle: SessionHandle | null;
  /** Restarts since the session was last up for long enough (drives the backoff). */
  restarts: number;
  /** ISO time of the last launch, or null. */
  launchedAt: string | null;
}

/** Events of the session machine. */
export type SessionEvent =
  /** `session.start`: the session should run (with `preset`, when given). */
  | { type: 'start'; preset?: string | undefined }
  /** `session.stop`: the session should not run. */
  | { type: 'stop' }
  /** The keeper launched a session. `restart`: it replaces one that died. */
  | { type: 'launched'; handle: SessionHandle; restart: boolean }
  /** The session was up long enough: the backoff starts over. */
  | { type: 'stable' };

/**
 * The desired state of one long-lived, attachable session: `stopped` or `running`. The keeper
 * (actors/session/session-keeper.ts) makes the world match it: while `running` it restarts a session
 * whose process died, with a backoff counted by `restarts`. The handle is persisted so that a
 * restarted daemon adopts a session that is still alive.
 */
export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
  },
}).createMachine({
  id: 'session',
  context: { preset: null, handle: null, restarts: 0, launchedAt: null },
  initial: 'stopped',
  states: {
    stopped: {
      on: {
        start: {
          target: 'running',
          actions: assign({
            preset: ({ context, event }) => event.preset ?? context.preset,
            restarts: () => 0,
          }),
        },
      },
    },
    running: {
      on: {
        start: {
          actions: assign({ preset: ({ context, event }) => event.preset ?? context.preset }),
        },
        launched: {
          actions: assign({
            handle: ({ event }) => event.handle,
            launchedAt: ({ event }) => event.handle.startedAt,
            restarts: ({ context, event }) => (event.restart ? context.restarts + 1 : 0),
          }),
        },
        stable: { actions: assign({ restarts: () => 0 }) },
        stop: { target: 'stopped', actions: assign({ handle: () => null }) },
      },
    },
  },
});
