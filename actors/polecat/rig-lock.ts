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
/** When the last fetch of each rig that succeeded started. */
const fetchedAt = new Map<string, number>();

/**
 * How old a rig's last fetch may be for a sling to start its branch from it. The rig's own pushes
 * (polecats' branches, the refinery's merges) move its remote-tracking refs without a fetch, so only
 * a push from outside the town is seen this much later; the refinery merges onto the current target
 * whatever a branch started from.
 */
export const SLING_FETCH_MAX_AGE_MS = 5_000;

/**
 * `git fetch --prune origin` in a rig's bare clone, under the rig lock; callers that arrive while one
 * is queued share it (thirty polecats starting at once cost one fetch, not thirty). With `maxAgeMs`,
 * nothing is fetched when the last fetch of the rig started less than that long ago.
 */
export function fetchRig(rig: RigPaths, options: { maxAgeMs?: number } = {}): Promise<void> {
  const last = fetchedAt.get(rig.dir);
  if (options.maxAgeMs !== undefined && last !== undefined && Date.now() - last < options.maxAgeMs)
    return Promise.resolve();
  const queued = fetches.get(rig.dir);
  if (queued !== undefined) return queued;
  const p = withRigLock(rig.dir, async () => {
    fetches.delete(rig.dir);
    const started = Date.now();
    await git(['fetch', '--prune', 'origin'], { cwd: rig.mirror });
    fetchedAt.set(rig.dir, started);
  });
  fetches.set(rig.dir, p);
  return p;
}
