import { createActor, fromPromise, SimulatedClock } from 'xstate';
import type { AnyActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { MAX_RESTARTS, polecatMachine } from '../../machines/polecat.machine.js';
import type { PolecatContext } from '../../machines/polecat.machine.js';

/** A polecat whose invoked work is settled by the test, one call at a time. */
function harness(options: { failSpawns?: number; clock?: SimulatedClock } = {}) {
  const calls: string[] = [];
  const stopped: unknown[] = [];
  const escalations: string[] = [];
  let spawns = 0;
  const machine = polecatMachine.provide({
    actors: {
      spawn: fromPromise<unknown, PolecatContext>(({ input }) => {
        calls.push(`spawn ${input.kind} ${input.bead ?? ''}`);
        if (++spawns <= (options.failSpawns ?? 0)) return Promise.reject(new Error('no session'));
        return Promise.resolve({ session: spawns });
      }),
      submit: fromPromise<{ mr: string }, PolecatContext>(({ input }) => {
        calls.push(`submit ${input.bead ?? ''}`);
        return Promise.resolve({ mr: 'app-mr1' });
      }),
      cleanup: fromPromise<void, PolecatContext>(({ input }) => {
        calls.push(`cleanup ${input.branch ?? ''}`);
        return Promise.resolve();
      }),
    },
    actions: {
      stopSession: (_, p: { session: unknown }) => void stopped.push(p.session),
      escalate: (_, p: { reason: string }) => void escalations.push(p.reason),
    },
  });
  const actor = createActor(machine, {
    input: { address: 'alpha/app/polecats/nux', rig: 'app', name: 'nux' },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  }).start();
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return { actor, calls, stopped, escalations, settle, machine };
}

const state = (a: AnyActor) => a.getSnapshot().value as string;
const ctx = (a: AnyActor) => a.getSnapshot().context as PolecatContext;

describe('polecat machine', () => {
  it('goes idle → spawning → working → submitting → awaiting_merge → cleaning → idle', async () => {
    const h = harness();
    expect(state(h.actor)).toBe('idle');
    h.actor.send({ type: 'assign', assignment: { bead: 'app-a1', kind: 'work' } });
    expect(state(h.actor)).toBe('spawning');
    expect(ctx(h.actor).branch).toBe('polecat/nux/app-a1');
    await h.settle();
    expect(state(h.actor)).toBe('working');
    h.actor.send({ type: 'done.requested' });
    await h.settle();
    expect(state(h.actor)).toBe('awaiting_merge');
    expect(ctx(h.actor).mr).toBe('app-mr1');
    expect(h.stopped).toEqual([{ session: 1 }]);
    h.actor.send({ type: 'mr.merged' });
    await h.settle();
    expect(state(h.actor)).toBe('idle');
    expect(ctx(h.actor).bead).toBeNull();
    expect(h.calls).toEqual(['spawn work app-a1', 'submit app-a1', 'cleanup polecat/nux/app-a1']);
  });

  it('takes the bead back for a fix and for a conflict, on the same branch', async () => {
    const h = harness();
    h.actor.send({ type: 'assign', assignment: { bead: 'app-a1', kind: 'work' } });
    await h.settle();
    h.actor.send({ type: 'done.requested' });
    await h.settle();
    h.actor.send({ type: 'mr.rejected' });
    await h.settle();
    expect(state(h.actor)).toBe('working');
    expect(ctx(h.actor).kind).toBe('fix');
    h.actor.send({ type: 'done.requested' });
    await h.settle();
    h.actor.send({ type: 'mr.conflict', conflictBead: 'app-c9' });
    await h.settle();
    expect(ctx(h.actor)).toMatchObject({
      kind: 'conflict',
      conflictBead: 'app-c9',
      branch: 'polecat/nux/app-a1',
    });
    expect(h.calls).toContain('spawn conflict app-a1');
  });

  it('restarts a dead session from the hook, then is stuck and escalates', async () => {
    const h = harness();
    h.actor.send({ type: 'assign', assignment: { bead: 'app-a1', kind: 'work' } });
    await h.settle();
    for (let i = 0; i < MAX_RESTARTS; i++) {
      h.actor.send({ type: 'session.exited' });
      await h.settle();
      expect(state(h.actor)).toBe('working');
    }
    h.actor.send({ type: 'session.exited' });
    expect(state(h.actor)).toBe('stuck');
    expect(ctx(h.actor).bead).toBe('app-a1');
    expect(h.escalations).toHaveLength(1);
    // Stuck keeps the hook; a merge that still lands is finished; release gives the bead up.
    h.actor.send({ type: 'release' });
    expect(state(h.actor)).toBe('idle');
  });

  it('retries a failed start after a backoff on its clock, and ignores gt done while spawning', async () => {
    const clock = new SimulatedClock();
    const h = harness({ failSpawns: 1, clock });
    h.actor.send({ type: 'assign', assignment: { bead: 'app-a1', kind: 'work' } });
    await h.settle();
    expect(state(h.actor)).toBe('backoff');
    h.actor.send({ type: 'done.requested' });
    expect(state(h.actor)).toBe('backoff');
    clock.increment(2_000);
    await h.settle();
    expect(state(h.actor)).toBe('working');
    expect(ctx(h.actor).restarts).toBe(1);
  });

  it('resumes from a persisted snapshot in the state it had', async () => {
    const h = harness();
    h.actor.send({ type: 'assign', assignment: { bead: 'app-a1', kind: 'work' } });
    await h.settle();
    h.actor.send({ type: 'done.requested' });
    await h.settle();
    const saved = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot())) as never;
    h.actor.stop();
    const again = createActor(h.machine, {
      snapshot: saved,
      input: { address: 'alpha/app/polecats/nux', rig: 'app', name: 'nux' },
    }).start();
    expect(state(again)).toBe('awaiting_merge');
    expect(ctx(again)).toMatchObject({ bead: 'app-a1', mr: 'app-mr1' });
  });
});
