import { assign, fromPromise, setup } from 'xstate';

/**
 * What a polecat is working on: plain JSON, persisted with the snapshot. `session` is the runtime's
 * handle (opaque here), so a restarted daemon finds the agent process again.
 */
export interface PolecatContext {
  /** `alpha/web/polecats/nux`. */
  address: string;
  rig: string;
  name: string;
  /** The work bead on the hook, or null when idle. */
  bead: string | null;
  /** Why the session runs: first attempt, fixing a red gate, resolving a conflict. */
  kind: 'work' | 'fix' | 'conflict';
  /** `polecat/<name>/<bead>`. */
  branch: string | null;
  /** The bead's merge request once submitted. */
  mr: string | null;
  /** The conflict-resolution bead while kind is `conflict`. */
  conflictBead: string | null;
  /** Agent preset of this assignment (`--agent`), or null for the rig's / town's default. */
  agent: string | null;
  session: unknown;
  /** Sessions started for the current bead (restarts included). */
  sessions: number;
  /** Session restarts after the session died without `gt done`, for the current bead. */
  restarts: number;
  lastError: string | null;
}

/** What the polecat is given by the dispatcher or the refinery. */
export interface Assignment {
  bead: string;
  kind: 'work' | 'fix' | 'conflict';
  agent?: string | null;
  conflictBead?: string | null;
}

/** Events of a polecat. */
export type PolecatEvent =
  /** Hook a bead (the dispatcher, with the bead hooked in the same store transaction). */
  | { type: 'assign'; assignment: Assignment }
  /** The session died (or exited) without `gt done` completing. */
  | { type: 'session.exited' }
  /** The session is up but idle with work on its hook: nudge it (GUPP). */
  | { type: 'session.idle' }
  /** `gt done`. */
  | { type: 'done.requested' }
  /** `gt handoff`: a fresh session continues the same hook. */
  | { type: 'handoff' }
  /** The refinery merged the merge request. */
  | { type: 'mr.merged' }
  /** The gates were red: back to work with the output. */
  | { type: 'mr.rejected' }
  /** Rebasing onto the target conflicted: resolve it (the conflict bead is hooked too). */
  | { type: 'mr.conflict'; conflictBead: string }
  /** A person (or the mayor) releases a stuck polecat: the bead goes back to the queue. */
  | { type: 'release' };

/** Session restarts of one bead before the polecat is stuck and the mayor is told. */
export const MAX_RESTARTS = 3;

const IDLE: Pick<
  PolecatContext,
  | 'bead'
  | 'kind'
  | 'branch'
  | 'mr'
  | 'conflictBead'
  | 'agent'
  | 'session'
  | 'sessions'
  | 'restarts'
  | 'lastError'
> = {
  bead: null,
  kind: 'work',
  branch: null,
  mr: null,
  conflictBead: null,
  agent: null,
  session: null,
  sessions: 0,
  restarts: 0,
  lastError: null,
};

/**
 * A polecat: a persistent identity with a reusable sandbox and ephemeral sessions (DESIGN.md 5).
 *
 * idle → spawning → working → submitting → awaiting_merge → cleaning → idle. The machine owns every
 * transition; the work itself is done by invoked actors the hosting actor provides (`spawn`: sandbox
 * on the bead's branch and a session; `submit`: push, verify, merge request, read back; `cleanup`:
 * back to a clean sandbox once merged). They are idempotent, because a restored snapshot runs the
 * invoked actor of its state again. A bead closes only when the refinery has merged it, never here.
 */
export const polecatMachine = setup({
  types: {
    context: {} as PolecatContext,
    events: {} as PolecatEvent,
    input: {} as { address: string; rig: string; name: string },
  },
  actors: {
    spawn: fromPromise<unknown, PolecatContext>(() => Promise.reject(new Error('spawn not provided'))),
    submit: fromPromise<{ mr: string }, PolecatContext>(() =>
      Promise.reject(new Error('submit not provided')),
    ),
    cleanup: fromPromise<void, PolecatContext>(() => Promise.reject(new Error('cleanup not provided'))),
  },
  actions: {
    /** Stop the agent's session (it has handed in its work, or is replaced). */
    stopSession: (_, _params: { session: unknown }) => undefined,
    /** Type a nudge into the session: work is on the hook. */
    nudge: (_, _params: { bead: string | null }) => undefined,
    /** Tell the mayor a person is needed (restart cap reached, sandbox refused). */
    escalate: (_, _params: { bead: string | null; reason: string }) => undefined,
    /** Publish `polecat.state`. */
    announce: () => undefined,
  },
  guards: {
    canRestart: ({ context }) => context.restarts < MAX_RESTARTS,
  },
  delays: {
    /** Before a session is started again after a failed start. */
    RESTART_DELAY: ({ context }) => 1_000 * 2 ** Math.min(context.restarts, 5),
  },
}).createMachine({
  id: 'polecat',
  context: ({ input }) => ({ address: input.address, rig: input.rig, name: input.name, ...IDLE }),
  initial: 'idle',
  states: {
    idle: {
      entry: 'announce',
      on: {
        assign: {
          target: 'spawning',
          actions: assign(({ context, event }) => ({
            ...IDLE,
            bead: event.assignment.bead,
            kind: event.assignment.kind,
            agent: event.assignment.agent ?? null,
            conflictBead: event.assignment.conflictBead ?? null,
            branch: `polecat/${context.name}/${event.assignment.bead}`,
          })),
        },
      },
    },
    spawning: {
      entry: 'announce',
      invoke: {
        src: 'spawn',
        input: ({ context }) => context,
        onDone: {
          target: 'working',
          actions: assign(({ context, event }) => ({
            session: event.output,
            sessions: context.sessions + 1,
            lastError: null,
          })),
        },
        onError: [
          {
            guard: 'canRestart',
            target: 'backoff',
            actions: assign({
              lastError: ({ event }) => errorText(event.error),
              restarts: ({ context }) => context.restarts + 1,
            }),
          },
          {
            target: 'stuck',
            actions: [
              assign({ lastError: ({ event }) => errorText(event.error) }),
              {
                type: 'escalate',
                params: ({ context, event }) => ({
                  bead: context.bead,
                  reason: `cannot start a session: ${errorText(event.error)}`,
                }),
              },
            ],
          },
        ],
      },
    },
    /** A session could not start: try again after a pause (it counts as a restart). */
    backoff: {
      entry: 'announce',
      after: { RESTART_DELAY: 'spawning' },
    },
    working: {
      entry: 'announce',
      on: {
        'done.requested': 'submitting',
        'session.idle': {
          actions: { type: 'nudge', params: ({ context }) => ({ bead: context.bead }) },
        },
        handoff: {
          target: 'spawning',
          actions: { type: 'stopSession', params: ({ context }) => ({ session: context.session }) },
        },
        'session.exited': [
          {
            guard: 'canRestart',
            target: 'spawning',
            actions: assign({ restarts: ({ context }) => context.restarts + 1, session: () => null }),
          },
          {
            target: 'stuck',
            actions: [
              assign({
                session: () => null,
                lastError: ({ context }) => `the session died ${context.restarts + 1} times without gt done`,
              }),
              {
                type: 'escalate',
                params: ({ context }) => ({
                  bead: context.bead,
                  reason: `the session died ${context.restarts + 1} times without gt done`,
                }),
              },
            ],
          },
        ],
      },
    },
    submitting: {
      entry: 'announce',
      invoke: {
        src: 'submit',
        input: ({ context }) => context,
        onDone: {
          target: 'awaiting_merge',
          actions: assign({ mr: ({ event }) => event.output.mr, lastError: () => null }),
        },
        onError: {
          target: 'working',
          actions: assign({ lastError: ({ event }) => errorText(event.error) }),
        },
      },
    },
    awaiting_merge: {
      entry: [
        'announce',
        { type: 'stopSession', params: ({ context }) => ({ session: context.session }) },
        assign({ session: () => null, restarts: () => 0 }),
      ],
      on: {
        'mr.merged': 'cleaning',
        'mr.rejected': {
          target: 'spawning',
          actions: assign({ kind: () => 'fix' as const, conflictBead: () => null }),
        },
        'mr.conflict': {
          target: 'spawning',
          actions: assign({
            kind: () => 'conflict' as const,
            conflictBead: ({ event }) => event.conflictBead,
          }),
        },
      },
    },
    cleaning: {
      entry: 'announce',
      invoke: {
        src: 'cleanup',
        input: ({ context }) => context,
        onDone: { target: 'idle', actions: assign(() => ({ ...IDLE })) },
        onError: {
          target: 'stuck',
          actions: [
            assign({ lastError: ({ event }) => errorText(event.error) }),
            {
              type: 'escalate',
              params: ({ context, event }) => ({
                bead: context.bead,
                reason: `cannot clean the sandbox after the merge: ${errorText(event.error)}`,
              }),
            },
          ],
        },
      },
    },
    /** A person must look: the hook and the sandbox are kept as they are; nothing is destroyed. */
    stuck: {
      entry: 'announce',
      on: {
        release: {
          target: 'idle',
          actions: [
            { type: 'stopSession', params: ({ context }) => ({ session: context.session }) },
            assign(() => ({ ...IDLE })),
          ],
        },
        'mr.merged': 'cleaning',
      },
    },
  },
});

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
