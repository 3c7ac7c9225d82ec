import { assign, fromPromise, setup } from 'xstate';

/** What one pass of the merge queue did. */
export type MergeOutcome =
  | { kind: 'none' }
  | { kind: 'merged'; mr: string; bead: string; sha: string }
  | { kind: 'rejected'; mr: string; bead: string; gate: string }
  | { kind: 'conflict'; mr: string; bead: string; conflictBead: string }
  | { kind: 'retry'; mr: string; reason: string }
  /** A batch pass: how many merge requests merged, were rejected, conflicted, or wait for the next. */
  | { kind: 'batch'; merged: number; rejected: number; conflicts: number; deferred: number };

/** Events of a refinery. */
export type RefineryEvent =
  /** The queue may have changed: a merge request was submitted or unblocked. */
  { type: 'queue.changed' };

/**
 * A rig's merge queue (DESIGN.md 5): idle until the queue changes, then `merging` runs one merge
 * request at a time (`mergeNext`: pick the next ready one by priority then age, rebase onto the target,
 * run the rig's gates, fast-forward push, verify the pushed SHA, and record the outcome) until nothing
 * is ready. `mergeNext` is provided by the hosting actor and must be idempotent: a restored snapshot in
 * `merging` runs it again, and a merge request whose commits already reached the target is finished,
 * not merged twice. A red gate is never overridden.
 */
export const refineryMachine = setup({
  types: {
    context: {} as { rig: string; merged: number; rejected: number; conflicts: number },
    events: {} as RefineryEvent,
    input: {} as { rig: string },
  },
  actors: {
    mergeNext: fromPromise<MergeOutcome, { rig: string }>(() =>
      Promise.reject(new Error('mergeNext not provided')),
    ),
  },
  actions: {
    /** Publish the outcome (`mr.merged`, `mr.rejected`, `mr.conflict`) and tell the polecat. */
    report: (_, _params: { outcome: MergeOutcome }) => undefined,
    /** Log a pass that failed outright (git broke); the queue is tried again on its next change. */
    failed: (_, _params: { error: unknown }) => undefined,
  },
}).createMachine({
  id: 'refinery',
  context: ({ input }) => ({ rig: input.rig, merged: 0, rejected: 0, conflicts: 0 }),
  initial: 'idle',
  states: {
    idle: {
      on: { 'queue.changed': 'merging' },
    },
    merging: {
      invoke: {
        src: 'mergeNext',
        input: ({ context }) => ({ rig: context.rig }),
        onDone: [
          { guard: ({ event }) => event.output.kind === 'none', target: 'idle' },
          {
            target: 'merging',
            reenter: true,
            actions: [
              { type: 'report', params: ({ event }) => ({ outcome: event.output }) },
              assign(({ context, event }) => {
                const o = event.output;
                const n = (
                  kind: 'merged' | 'rejected' | 'conflict',
                  field: 'merged' | 'rejected' | 'conflicts',
                ) => (o.kind === 'batch' ? o[field] : o.kind === kind ? 1 : 0);
                return {
                  merged: context.merged + n('merged', 'merged'),
                  rejected: context.rejected + n('rejected', 'rejected'),
                  conflicts: context.conflicts + n('conflict', 'conflicts'),
                };
              }),
            ],
          },
        ],
        // An unexpected failure (git itself broke): wait for the next change rather than spin.
        onError: {
          target: 'idle',
          actions: { type: 'failed', params: ({ event }) => ({ error: event.error }) },
        },
      },
      on: { 'queue.changed': {} },
    },
  },
});
