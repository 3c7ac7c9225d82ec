import type { BeadStore } from '../../beads/store.types.js';
import { git, gitOk, gitRetry } from '../git/git.js';
import { pushTook } from '../git/push-report.js';
import type { RigConfig, RigPaths } from '../rig/rig-config.js';
import { mergeRequestOf, upsertMergeRequest } from '../refinery/merge-requests.js';
import type { MergeRequest } from '../refinery/merge-requests.js';
import { PolecatError } from './polecat-errors.js';
import { dirtyFiles, sandboxDir, sandboxStatus } from './sandbox.js';

/** What `gt done` submitted. */
export interface Submitted {
  mr: string;
  branch: string;
  sha: string;
  /** True when this exact commit was already submitted (a second `gt done`). */
  already: boolean;
}

/**
 * `gt done`, checkpointed by what it leaves behind, so it is safe to run twice or again after a crash
 * at any step: it refuses a dirty tree and a branch with no commits of its own; pushes the branch to the
 * rig's upstream (forced: the branch is this polecat's alone, and a conflict fix rebases it); verifies
 * the pushed SHA on the remote; creates the bead's one merge request or updates it (the same commit
 * twice changes nothing); reads it back. Telling the refinery is the caller's (an event, after this).
 */
export async function submitWork(input: {
  store: BeadStore;
  rig: RigConfig;
  rigPaths: RigPaths;
  name: string;
  address: string;
  bead: string;
  branch: string;
  actor: string;
}): Promise<Submitted> {
  const { store, rig } = input;
  const dir = sandboxDir(input.rigPaths, input.name);
  const source = store.get(input.bead);
  if (source === null)
    throw new PolecatError('done.no_bead', `the hooked bead ${input.bead} is gone: ask the mayor what to do`);
  const status = await sandboxStatus(dir);
  if (status.branch !== input.branch)
    throw new PolecatError(
      'done.wrong_branch',
      `the sandbox is on ${status.branch ?? 'a detached HEAD'}, not on ${input.branch}: check out ${input.branch}, then run gt done again`,
    );
  if (status.dirty) {
    const dirty = await dirtyFiles(dir);
    throw new PolecatError(
      'done.dirty_tree',
      `uncommitted changes in the sandbox (${dirty.slice(0, 5).join('; ')}): commit them (or remove them), then run gt done again`,
      { details: { files: dirty } },
    );
  }
  const sha = status.head;
  if (sha === null)
    throw new PolecatError(
      'done.no_commits',
      `${input.branch} has no commits yet: commit your work, then run gt done again`,
    );
  // Against the last fetched target: a branch ahead of an older target is ahead of the newer one too.
  const ahead = await git(['rev-list', '--count', `origin/${rig.default_branch}..HEAD`], { cwd: dir });
  if (ahead === '0')
    throw new PolecatError(
      'done.no_commits',
      `${input.branch} has no commits that are not on ${rig.default_branch}: commit your work, then run gt done again`,
    );

  const previous = mergeRequestOf(store, input.bead);
  const remoteSha = async () => {
    const r = await gitOk(['ls-remote', 'origin', `refs/heads/${input.branch}`], { cwd: dir });
    return r.code === 0 ? (r.stdout.split(/\s+/)[0] ?? '') : '';
  };
  // Pushing what the remote already has changes nothing, so a second `gt done` pushes again and
  // verifies, rather than asking the remote first. The remote's report of the ref is the verification;
  // when the report does not say, the remote is asked.
  const ref = `refs/heads/${input.branch}`;
  const report = await gitRetry(['push', '--porcelain', '--force', 'origin', `${sha}:${ref}`], { cwd: dir });
  const pushed = pushTook(report, ref) ? sha : await remoteSha();
  if (pushed !== sha)
    throw new PolecatError(
      'done.push_unverified',
      `pushed ${input.branch} but the remote has ${pushed === '' ? 'no such branch' : pushed}: run gt done again`,
    );

  let mr: MergeRequest | undefined;
  store.transaction(() => {
    mr = upsertMergeRequest(
      store,
      {
        source,
        rig: rig.name,
        prefix: rig.prefix,
        branch: input.branch,
        target: rig.default_branch,
        sha,
        worker: input.address,
      },
      input.actor,
    );
  });
  const written = mr === undefined ? null : store.get(mr.bead.id);
  const back = written === null ? null : mergeRequestOf(store, input.bead);
  if (back === null || back.bead.id !== mr?.bead.id || back.mr.sha !== sha)
    throw new PolecatError(
      'done.mr_unverified',
      `the merge request of ${input.bead} did not read back: run gt done again`,
    );
  return {
    mr: back.bead.id,
    branch: input.branch,
    sha,
    already: previous !== null && previous.mr.sha === sha && previous.mr.state === 'queued',
  };
}
