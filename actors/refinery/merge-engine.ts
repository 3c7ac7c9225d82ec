import { CodedError } from '../coded-error.js';
import fs from 'node:fs';
import path from 'node:path';
import { git, GitError, gitOk, type GitOptions } from '../git/git.js';
import { DEFAULT_GATE_OUTPUT_BYTES, runGate, type GateSpec } from './gates.js';

/** One merge request for `mergeOnce`. */
export interface MergeInput {
  /** The refinery worktree (`<town>/rigs/<rig>/refinery/rig`); it belongs to the refinery alone. */
  worktree: string;
  /** The branch on origin, e.g. `polecat/nux/web-a1`. */
  branch: string;
  /** The target branch on origin, e.g. `main`. */
  target: string;
  /** The sha the polecat submitted; when origin's branch differs, origin's is merged (and logged). */
  expectedSha?: string;
  /** The rig's gates, run in order; none: straight to the push. */
  gates: GateSpec[];
  /** Extra environment of the gates (not of git). */
  env?: Record<string, string>;
  /** Progress lines (one per step). */
  log?: (line: string) => void;
}

/** What `mergeOnce` did. */
export type MergeResult =
  /**
   * The branch's work is on the target. `sha`: the target's head (the pushed commit, or origin's head
   * when `alreadyMerged`). `commits`: commits landed by this run (0 when `alreadyMerged`).
   */
  | { kind: 'merged'; sha: string; alreadyMerged: boolean; commits: number }
  /** The rebase onto `onto` (the sha of origin/<target>) stopped on these files; nothing was pushed. */
  | { kind: 'conflict'; files: string[]; onto: string }
  /** A gate failed or timed out; nothing was pushed. `output`: the last 8 KiB of its stdout+stderr. */
  | { kind: 'rejected'; gate: string; output: string; exitCode: number | null; timedOut: boolean }
  /** The branch is not on origin. */
  | { kind: 'missing'; reason: string }
  /** The target moved while the gates ran (the push was not a fast-forward): run again. */
  | { kind: 'retry'; reason: string };

/** The merge engine hit something it cannot handle (codes `refinery.*`). */
export class MergeEngineError extends CodedError {}

/** Committer of rebased commits when the repository has no identity configured. */
export const REFINERY_GIT_IDENTITY = { name: 'gt refinery', email: 'refinery@gt.localhost' } as const;

/** Config for every rebase: nothing interactive, nothing from the user's config that would change it. */
export const REBASE_CONFIG = [
  '-c',
  'rerere.enabled=false',
  '-c',
  'commit.gpgSign=false',
  '-c',
  'rebase.autoStash=false',
  '-c',
  'rebase.autoSquash=false',
];

/** The push lost a race: the target moved (a later run rebases onto the new head). */
export const NON_FAST_FORWARD = /\(fetch first\)|\(non-fast-forward\)|but expected|incorrect old value/;

export const remoteRef = (branch: string): string => `refs/remotes/origin/${branch}`;

export async function resolve(ref: string, options: GitOptions): Promise<string | null> {
  const r = await gitOk(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], options);
  return r.code === 0 && r.stdout !== '' ? r.stdout : null;
}

/** Every commit of `source` missing from `onto` has an equivalent patch in `onto` (`git cherry`). */
export async function hasAllPatches(onto: string, source: string, options: GitOptions): Promise<boolean> {
  const out = await git(['cherry', onto, source], options);
  return !out.split('\n').some((line) => line.startsWith('+'));
}

async function rebaseInProgress(options: GitOptions): Promise<boolean> {
  const out = await git(['rev-parse', '--git-path', 'rebase-merge', '--git-path', 'rebase-apply'], options);
  return out.split('\n').some((p) => p !== '' && fs.existsSync(path.resolve(options.cwd, p)));
}

/** Aborts a rebase left over (a crash), then drops every change and untracked file. */
export async function cleanWorktree(options: GitOptions): Promise<void> {
  if (await rebaseInProgress(options)) await git(['rebase', '--abort'], options);
  await git(['reset', '--quiet', '--hard'], options);
  await git(['clean', '-q', '-fdx'], options);
}

/** GIT_COMMITTER_* of the refinery unless the repository (or the user) has an identity. */
export async function committerEnv(options: GitOptions): Promise<Record<string, string>> {
  const r = await gitOk(['config', '--get-regexp', '^user\\.(name|email)$'], options);
  const keys = new Set(r.code === 0 ? r.stdout.split('\n').map((l) => l.split(' ')[0]) : []);
  if (keys.has('user.name') && keys.has('user.email')) return {};
  return { GIT_COMMITTER_NAME: REFINERY_GIT_IDENTITY.name, GIT_COMMITTER_EMAIL: REFINERY_GIT_IDENTITY.email };
}

export async function remoteHead(target: string, options: GitOptions): Promise<string | null> {
  const out = await git(['ls-remote', 'origin', `refs/heads/${target}`], options);
  const line = out.split('\n').find((l) => l.endsWith(`\trefs/heads/${target}`));
  return line?.split('\t')[0] ?? null;
}

/**
 * Lands one branch on the target, in the refinery worktree: fetch; stop if the branch is missing or
 * already merged (patch-equivalent, `git cherry`); clean the worktree; rebase the branch onto
 * origin/<target> (authors kept); run the gates in order (the first red one rejects: never
 * overridden); push HEAD to the target WITHOUT force; verify the upstream has it; fetch again.
 *
 * Every step is idempotent: after a crash anywhere, running it again either finishes the work or finds
 * it already merged, and never pushes twice. One call at a time per worktree. Throws GitError when git
 * fails unexpectedly (a push refused for another reason than a race included), and MergeEngineError
 * `refinery.no_target` when origin has no target branch, `refinery.rebase_failed` when the rebase stopped
 * without a conflicting file, `refinery.push_not_landed` when the push reported success but the
 * upstream does not have the commit. The gates run on the rebased commit; what they change in the
 * worktree is never pushed (the next run cleans it).
 */
export async function mergeOnce(input: MergeInput): Promise<MergeResult> {
  const log = input.log ?? (() => undefined);
  const at: GitOptions = { cwd: input.worktree };
  const { branch, target } = input;

  await git(['fetch', '--quiet', '--prune', 'origin'], at);
  const source = await resolve(remoteRef(branch), at);
  if (source === null) return { kind: 'missing', reason: `branch ${branch} is not on origin` };
  const onto = await resolve(remoteRef(target), at);
  if (onto === null)
    throw new MergeEngineError(
      'refinery.no_target',
      `origin has no branch ${target} to merge ${branch} into: check the rig's default_branch`,
      { details: { worktree: input.worktree, branch, target } },
    );
  if (input.expectedSha !== undefined && input.expectedSha !== source)
    log(`origin/${branch} is at ${source}, not at the submitted ${input.expectedSha}: merging origin's`);

  if (await hasAllPatches(onto, source, at)) {
    log(`${branch} is already on ${target} (${onto})`);
    return { kind: 'merged', sha: onto, alreadyMerged: true, commits: 0 };
  }

  await cleanWorktree(at);
  await git(['checkout', '--quiet', '--detach', source], at);
  log(`rebasing ${branch} (${source}) onto origin/${target} (${onto})`);
  const rebaseArgs = [...REBASE_CONFIG, 'rebase', '--quiet', '--no-autosquash', onto];
  const rebase = await gitOk(rebaseArgs, { ...at, env: await committerEnv(at) });
  if (rebase.code !== 0) {
    if (!(await rebaseInProgress(at)))
      throw new GitError(
        `git rebase ${onto} (in ${input.worktree}) exited ${rebase.code}: ${rebase.stderr}`,
        {
          args: rebaseArgs,
          cwd: input.worktree,
          exitCode: rebase.code,
          stderr: rebase.stderr,
          timedOut: false,
        },
      );
    const out = await git(['diff', '--name-only', '--diff-filter=U'], at);
    const files = [...new Set(out.split('\n').filter((f) => f !== ''))];
    await git(['rebase', '--abort'], at);
    await cleanWorktree(at);
    if (files.length === 0)
      throw new MergeEngineError(
        'refinery.rebase_failed',
        `rebasing ${branch} onto origin/${target} stopped without a conflicting file: ${rebase.stderr || `git exited ${rebase.code}`}`,
        { details: { worktree: input.worktree, branch, target, onto, stderr: rebase.stderr } },
      );
    log(`conflict rebasing ${branch} onto ${target}: ${files.join(', ')}`);
    return { kind: 'conflict', files, onto };
  }

  const head = await git(['rev-parse', 'HEAD'], at);
  const commits = Number(await git(['rev-list', '--count', `${onto}..${head}`], at));
  if (commits === 0) {
    log(`${branch} adds nothing to ${target} once rebased: already merged`);
    return { kind: 'merged', sha: onto, alreadyMerged: true, commits: 0 };
  }

  for (const gate of input.gates) {
    log(`gate ${gate.name}: ${gate.cmd}`);
    const r = await runGate(gate, {
      cwd: input.worktree,
      ...(input.env === undefined ? {} : { env: input.env }),
      maxOutputBytes: DEFAULT_GATE_OUTPUT_BYTES,
    });
    log(
      `gate ${gate.name}: ${r.ok ? 'passed' : r.timedOut ? 'timed out' : `failed (${r.exitCode})`} in ${r.durationMs} ms`,
    );
    if (!r.ok)
      return {
        kind: 'rejected',
        gate: gate.name,
        output: r.output,
        exitCode: r.exitCode,
        timedOut: r.timedOut,
      };
  }

  log(`pushing ${head} to ${target} (${commits} commit${commits === 1 ? '' : 's'})`);
  const pushArgs = ['push', '--porcelain', 'origin', `${head}:refs/heads/${target}`];
  const push = await gitOk(pushArgs, at);
  const said = `${push.stdout}\n${push.stderr}`;
  if (push.code !== 0 && NON_FAST_FORWARD.test(said)) {
    const reason = `${target} moved on origin while ${branch} was being merged (the push was not a fast-forward)`;
    log(reason);
    return { kind: 'retry', reason };
  }
  if (push.code !== 0)
    throw new GitError(
      `git push origin ${head}:refs/heads/${target} (in ${input.worktree}) exited ${push.code}: ${said.trim()}`,
      { args: pushArgs, cwd: input.worktree, exitCode: push.code, stderr: push.stderr, timedOut: false },
    );

  const landed = await remoteHead(target, at);
  await git(['fetch', '--quiet', '--prune', 'origin'], at);
  if (landed !== head) {
    // Someone may have pushed on top of us between the push and ls-remote: that still counts.
    const onTop =
      landed !== null &&
      (await gitOk(['merge-base', '--is-ancestor', head, remoteRef(target)], at)).code === 0;
    if (!onTop)
      throw new MergeEngineError(
        'refinery.push_not_landed',
        `pushed ${head} to ${target} but origin's ${target} is at ${landed ?? 'nothing'}: the push did not land; check the upstream (hooks, protection) and run the merge again`,
        { details: { worktree: input.worktree, branch, target, head, landed } },
      );
  }
  log(`merged ${branch} into ${target} at ${head}`);
  return { kind: 'merged', sha: head, alreadyMerged: false, commits };
}

/** Options of `deleteRemoteBranch`. */
export interface DeleteBranchOptions {
  /** When given, the branch is kept unless its work is on origin/<target> (`isMergedInto`). */
  target?: string;
  /** Why a delete did not happen. */
  log?: (line: string) => void;
}

/**
 * Deletes `branch` on origin and its remote-tracking ref (after a verified merge). Best effort: never
 * rejects, an absent branch is fine, and a failure is passed to `log`. Deletes only the sha just
 * fetched (a lease), so commits pushed meanwhile are never lost; with `target`, an unmerged branch is
 * kept.
 */
export async function deleteRemoteBranch(
  worktree: string,
  branch: string,
  options: DeleteBranchOptions = {},
): Promise<void> {
  const log = options.log ?? (() => undefined);
  const at: GitOptions = { cwd: worktree };
  try {
    await git(['fetch', '--quiet', '--prune', 'origin'], at);
    const sha = await resolve(remoteRef(branch), at);
    if (sha === null) return;
    if (options.target !== undefined) {
      const onto = await resolve(remoteRef(options.target), at);
      if (onto === null || !(await hasAllPatches(onto, sha, at))) {
        log(`not deleting ${branch} on origin: it has work that is not on ${options.target}`);
        return;
      }
    }
    const ref = `refs/heads/${branch}`;
    const r = await gitOk(
      ['push', '--porcelain', `--force-with-lease=${ref}:${sha}`, 'origin', `:${ref}`],
      at,
    );
    const said = `${r.stdout}\n${r.stderr}`;
    if (r.code !== 0 && !/remote ref does not exist/.test(said)) {
      log(`could not delete ${branch} on origin: ${said.trim()}`);
      return;
    }
    await gitOk(['update-ref', '-d', remoteRef(branch)], at);
  } catch (error) {
    log(`could not delete ${branch} on origin: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Whether the work of `branch` is on `target`, on origin (fetched first): every commit of
 * origin/<branch> missing from origin/<target> has an equivalent patch there. `branch` may also be a
 * commit sha known to the repository (a branch deleted after its merge). False when neither resolves.
 */
export async function isMergedInto(worktree: string, branch: string, target: string): Promise<boolean> {
  const at: GitOptions = { cwd: worktree };
  await git(['fetch', '--quiet', '--prune', 'origin'], at);
  const onto = await resolve(remoteRef(target), at);
  if (onto === null) return false;
  const source =
    (await resolve(remoteRef(branch), at)) ??
    (/^[0-9a-f]{7,64}$/.test(branch) ? await resolve(branch, at) : null);
  if (source === null) return false;
  return hasAllPatches(onto, source, at);
}
