import { git } from '../git/git.js';
import type { RigPaths } from '../rig/rig-config.js';

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
export function fetchRig(rig: RigPaths): Promise<void> {
  const queued = fetches.get(rig.dir);
  if (queued !== undefined) return queued;
  const p = withRigLock(rig.dir, async () => {
    fetches.delete(rig.dir);
    await git(['fetch', '--prune', 'origin'], { cwd: rig.mirror });
  });
  fetches.set(rig.dir, p);
  return p;
}
