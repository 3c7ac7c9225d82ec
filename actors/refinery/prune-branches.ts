import { gitOk } from '../git/git.js';
import type { GitResult } from '../git/git.js';

/**
 * Deletes merged branches on origin in one push, each with a lease on the commit it merged at: a branch
 * pushed again since (new work under the same name) is refused by the remote and kept. `code` is
 * non-zero when any was kept or the push failed; `stderr` says which.
 */
export function deleteMergedBranches(
  worktree: string,
  branches: ReadonlyArray<readonly [branch: string, sha: string]>,
): Promise<GitResult> {
  return gitOk(
    [
      'push',
      '--quiet',
      ...branches.map(([b, sha]) => `--force-with-lease=refs/heads/${b}:${sha}`),
      'origin',
      ...branches.map(([b]) => `:refs/heads/${b}`),
    ],
    { cwd: worktree },
  );
}
