// The refinery's git steps shared by its merge pass (merge-batch.ts): resolving refs, patch
// equivalence, crash recovery of the worktree, the committer identity, the upstream's head.
import { CodedError } from '../coded-error.js';
import fs from 'node:fs';
import path from 'node:path';
import { git, gitOk, type GitOptions } from '../git/git.js';

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

/**
 * The commits of `source` that are not in `onto`, oldest first, merges left out (what `rev-list
 * --reverse --no-merges onto..source` lists), and whether any of them has no equivalent patch in
 * `onto` yet: one `git cherry`, which marks each `+` (to apply) or `-` (already there).
 */
export async function branchCommits(
  onto: string,
  source: string,
  options: GitOptions,
): Promise<{ commits: string[]; pending: boolean }> {
  const lines = (await git(['cherry', onto, source], options)).split('\n').filter((l) => l !== '');
  return { commits: lines.map((l) => l.slice(2)), pending: lines.some((l) => l.startsWith('+')) };
}

/** What a crash can leave half done in the worktree: a rebase, or a (multi-commit) cherry-pick. */
async function leftOver(options: GitOptions): Promise<{ rebase: boolean; cherryPick: boolean }> {
  const paths = ['rebase-merge', 'rebase-apply', 'sequencer', 'CHERRY_PICK_HEAD'];
  const out = await git(['rev-parse', ...paths.flatMap((p) => ['--git-path', p])], options);
  const exists = out.split('\n').map((p) => p !== '' && fs.existsSync(path.resolve(options.cwd, p)));
  return {
    rebase: exists[0] === true || exists[1] === true,
    cherryPick: exists[2] === true || exists[3] === true,
  };
}

/**
 * Aborts a rebase or a cherry-pick left over (a crash mid-pass), then drops every change and untracked
 * file, so the next pass starts from a clean tree instead of failing on "a cherry-pick is in progress".
 */
export async function cleanWorktree(options: GitOptions): Promise<void> {
  const left = await leftOver(options);
  if (left.rebase) await git(['rebase', '--abort'], options);
  if (left.cherryPick) {
    // --quit forgets the sequence even when --abort cannot restore it; the reset below does the rest.
    await gitOk(['cherry-pick', '--abort'], options);
    await gitOk(['cherry-pick', '--quit'], options);
  }
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
