/**
 * The effects a host's actors have under way (a sandbox being made, a merge pass, a branch pruned).
 * Stopping an XState actor only drops the result of what it invoked; the work itself runs on. Shutdown
 * waits here for it, before the git runner and the store close under it.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** Runs `work`, kept until it settles; its outcome is the caller's. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const p = work();
    this.running.add(p);
    const forget = () => this.running.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** How many are under way. */
  get size(): number {
    return this.running.size;
  }

  /**
   * Resolves once nothing is under way (work that starts meanwhile included), or at `deadline` (epoch
   * ms). Returns how many were still running then.
   */
  async settled(deadline: number): Promise<number> {
    while (this.running.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.running]),
        new Promise((resolve) => (timer = setTimeout(resolve, left))),
      ]);
      clearTimeout(timer);
    }
    return this.running.size;
  }
}
