const chains = new Map<string, Promise<unknown>>();

/**
 * Runs `work` after every earlier `withRigLock` of the same rig has settled: operations on a rig's bare
 * clone (fetch, worktree add, branch changes) take git's ref locks, and two at once in one repository
 * fail. All of a town's actors live in one daemon process, so an in-process chain suffices.
 */
export function withRigLock<T>(rigDir: string, work: () => Promise<T>): Promise<T> {
  const previous = chains.get(rigDir) ?? Promise.resolve();
  const next = previous.then(work, work);
  const tail = next.catch(() => undefined);
  chains.set(rigDir, tail);
  void tail.then(() => {
    if (chains.get(rigDir) === tail) chains.delete(rigDir);
  });
  return next;
}

const fetches = new Map<string, Promise<void>>();

/**
 * `git fetch --prune origin` in a rig's bare clone, under the rig lock; callers that arrive while one
 * is queued share it (thirty polecats starting at once cost one fetch, not thirty).
 */
export function fetchRig(rigDir: string, fetch: () => Promise<unknown>): Promise<void> {
  const queued = fetches.get(rigDir);
  if (queued !== undefined) return queued;
  const p = withRigLock(rigDir, async () => {
    fetches.delete(rigDir);
    await fetch();
  });
  fetches.set(rigDir, p);
  return p;
}
