// The refinery's git steps shared by its merge pass (merge-batch.ts): patch equivalence, crash
// recovery of the worktree, the committer identity, the upstream's head. What git keeps in files
// (HEAD, rebase state, loose refs) is read directly where that saves a git run.
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

/** Where a work tree's git files live: its own git dir (HEAD, rebase state) and the shared one (refs). */
interface RepoLayout {
  gitDir: string;
  commonDir: string;
}

/**
 * The layout read from the files git itself keeps (`.git` of the work tree: a directory, or a file
 * `gitdir: <path>` for a linked worktree, whose `commondir` names the shared repository), so a pass
 * needs no git run for it; anything else asks `git rev-parse`.
 */
async function repoLayout(options: GitOptions): Promise<RepoLayout> {
  const dotGit = path.join(options.cwd, '.git');
  try {
    if (fs.statSync(dotGit).isDirectory()) return { gitDir: dotGit, commonDir: dotGit };
    const line = /^gitdir: (.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
    if (line?.[1] !== undefined) {
      const gitDir = path.resolve(options.cwd, line[1].trim());
      const common = fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim();
      return { gitDir, commonDir: path.resolve(gitDir, common) };
    }
  } catch {
    // Not a top-level work tree, or a layout this does not know: git knows.
  }
  const out = await git(['rev-parse', '--absolute-git-dir', '--git-common-dir'], options);
  const [gitDir = '', common = ''] = out.split('\n');
  return { gitDir, commonDir: path.resolve(options.cwd, common) };
}

const OBJECT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The commit HEAD points at: read from a detached HEAD's file, else resolved by git. */
export async function headCommit(options: GitOptions): Promise<string> {
  const { gitDir } = await repoLayout(options);
  const text = fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
  return OBJECT_ID.test(text) ? text : git(['rev-parse', 'HEAD'], options);
}

/** Whether the loose ref file of `ref` (a full refname) in the shared repository names `sha`. */
export async function looseRefIs(ref: string, sha: string, options: GitOptions): Promise<boolean> {
  const { commonDir } = await repoLayout(options);
  try {
    return fs.readFileSync(path.join(commonDir, ref), 'utf8').trim() === sha;
  } catch {
    return false;
  }
}

/**
 * Puts the work tree at `commit`, detached, with nothing else in it: a rebase or a cherry-pick left
 * over (a crash mid-pass) is aborted first, so the pass does not fail on "a cherry-pick is in
 * progress"; then every change and untracked file is dropped.
 */
export async function resetWorktree(commit: string, options: GitOptions): Promise<void> {
  const { gitDir } = await repoLayout(options);
  const left = (name: string): boolean => fs.existsSync(path.join(gitDir, name));
  if (left('rebase-merge') || left('rebase-apply')) await git(['rebase', '--abort'], options);
  if (left('sequencer') || left('CHERRY_PICK_HEAD')) {
    // --quit forgets the sequence even when --abort cannot restore it; the checkout below does the rest.
    await gitOk(['cherry-pick', '--abort'], options);
    await gitOk(['cherry-pick', '--quit'], options);
  }
  await git(['checkout', '--quiet', '--force', '--detach', commit], options);
  await git(['clean', '-q', '-fdx'], options);
}

/** The config files git reads for an identity, as far as the environment names them. */
function configFiles(commonDir: string, gitDir: string): string[] {
  const env = process.env;
  const home = env.HOME ?? '';
  const xdg = env.XDG_CONFIG_HOME ?? path.join(home, '.config');
  return [
    env.GIT_CONFIG_NOSYSTEM === undefined ? (env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig') : '',
    env.GIT_CONFIG_GLOBAL ?? path.join(home, '.gitconfig'),
    env.GIT_CONFIG_GLOBAL === undefined ? path.join(xdg, 'git', 'config') : '',
    path.join(commonDir, 'config'),
    path.join(gitDir, 'config.worktree'),
  ].filter((f) => f !== '');
}

const identities = new Map<string, { key: string; env: Record<string, string> }>();

/**
 * GIT_COMMITTER_* of the refinery unless the repository (or the user) has an identity. Asked of git
 * again only when one of the config files it reads has changed or the environment names others (a file
 * pulled in by `[include]` is not watched: touch the repository's config after changing one).
 */
export async function committerEnv(options: GitOptions): Promise<Record<string, string>> {
  const { commonDir, gitDir } = await repoLayout(options);
  const key = configFiles(commonDir, gitDir)
    .map((f) => {
      const st = fs.statSync(f, { throwIfNoEntry: false });
      return `${f}:${st === undefined ? '-' : `${st.ino}.${st.size}.${st.mtimeMs}`}`;
    })
    .join('|');
  const cached = identities.get(options.cwd);
  if (cached?.key === key) return cached.env;
  const r = await gitOk(['config', '--get-regexp', '^user\\.(name|email)$'], options);
  const keys = new Set(r.code === 0 ? r.stdout.split('\n').map((l) => l.split(' ')[0]) : []);
  const env: Record<string, string> =
    keys.has('user.name') && keys.has('user.email')
      ? {}
      : { GIT_COMMITTER_NAME: REFINERY_GIT_IDENTITY.name, GIT_COMMITTER_EMAIL: REFINERY_GIT_IDENTITY.email };
  identities.set(options.cwd, { key, env });
  return env;
}

export async function remoteHead(target: string, options: GitOptions): Promise<string | null> {
  const out = await git(['ls-remote', 'origin', `refs/heads/${target}`], options);
  const line = out.split('\n').find((l) => l.endsWith(`\trefs/heads/${target}`));
  return line?.split('\t')[0] ?? null;
}
