import { describe, expect, it } from 'vitest';
import { InFlight } from '../../../actors/host/in-flight.js';

/** A promise settled by hand. */
function gate<T = void>() {
  let open: (value: T) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe('InFlight', () => {
  it('keeps work until it settles and hands the caller its outcome, value or error', async () => {
    const inFlight = new InFlight();
    const a = gate<number>();
    const b = gate();
    const ra = inFlight.run(() => a.promise);
    const rb = inFlight.run(() => b.promise);
    expect(inFlight.size).toBe(2);
    a.open(7);
    expect(await ra).toBe(7);
    expect(inFlight.size).toBe(1);
    b.fail(new Error('boom'));
    await expect(rb).rejects.toThrow('boom');
    expect(inFlight.size).toBe(0);
  });

  it('settled waits for work that starts while it waits, and gives up at the deadline', async () => {
    const inFlight = new InFlight();
    const first = gate();
    const second = gate();
    void inFlight.run(() => first.promise);
    let waited = false;
    const all = inFlight.settled(Date.now() + 10_000).then((left) => {
      waited = true;
      return left;
    });
    void inFlight.run(() => second.promise);
    first.open();
    await first.promise;
    await Promise.resolve();
    expect(waited).toBe(false);
    second.open();
    expect(await all).toBe(0);

    const stuck = gate();
    void inFlight.run(() => stuck.promise);
    const t = Date.now();
    expect(await inFlight.settled(Date.now() + 50)).toBe(1);
    expect(Date.now() - t).toBeGreaterThanOrEqual(49);
    expect(await inFlight.settled(Date.now() - 1)).toBe(1);
    stuck.open();
    expect(await inFlight.settled(Date.now() + 1_000)).toBe(0);
  });
});
