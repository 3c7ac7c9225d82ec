import fs from 'node:fs';
import path from 'node:path';
import { git, gitOk, gitRetry } from '../git/git.js';
import type { RigPaths } from '../rig/rig-config.js';
import { PolecatError } from './polecat-errors.js';
import { fetchRig, SLING_FETCH_MAX_AGE_MS } from './rig-lock.js';

/** A polecat's sandbox: its worktree of the rig's bare clone. */
export interface Sandbox {
  dir: string;
  branch: string;
}

/** The sandbox directory of polecat `name`. */
export function sandboxDir(rig: RigPaths, name: string): string {
  return path.join(rig.polecats, name);
}

/** Uncommitted changes in a worktree (`git status --porcelain`), empty when clean. */
export async function dirtyFiles(dir: string): Promise<string[]> {
  const out = await git(['status', '--porcelain', '--untracked-files=all'], { cwd: dir });
  return out === '' ? [] : out.split('\n');
}

/** A worktree's branch, HEAD and cleanliness, from one `git status --porcelain=v2 --branch`. */
export interface SandboxStatus {
  /** The checked-out branch, or null when HEAD is detached. */
  branch: string | null;
  /** HEAD's commit, or null before the first commit. */
  head: string | null;
  /** Uncommitted changes (untracked files included). */
  dirty: boolean;
}

export async function sandboxStatus(dir: string): Promise<SandboxStatus> {
  const lines = (
    await git(['status', '--porcelain=v2', '--branch', '--untracked-files=all'], { cwd: dir })
  ).split('\n');
  const header = (key: string) =>
    lines.find((l) => l.startsWith(`# branch.${key} `))?.slice(`# branch.${key} `.length);
  const branch = header('head');
  const oid = header('oid');
  return {
    branch: branch === undefined || branch === '(detached)' ? null : branch,
    head: oid === undefined || oid === '(initial)' ? null : oid,
    dirty: lines.some((l) => l !== '' && !l.startsWith('# ')),
  };
}

const provisioning = new Map<string, Promise<void>>();

/**
 * Creates polecat `name`'s worktree ahead of its first bead, detached at `origin/<target>`, so a sling
 * only switches branches (what a reused sandbox does). An existing worktree, or a directory that is
 * not one, is left alone: prepareSandbox deals with it. A prepareSandbox of the same polecat waits for it.
 */
export function provisionSandbox(rig: RigPaths, options: { name: string; target: string }): Promise<void> {
  const dir = sandboxDir(rig, options.name);
  const pending = provisioning.get(dir);
  if (pending !== undefined) return pending;
  const p = (async () => {
    if (fs.existsSync(dir)) return;
    await fetchRig(rig);
    if (fs.existsSync(dir)) return;
    await gitRetry(['worktree', 'prune'], { cwd: rig.mirror });
    await gitRetry(['worktree', 'add', '--detach', dir, `origin/${options.target}`], { cwd: rig.mirror });
  })().finally(() => provisioning.delete(dir));
  provisioning.set(dir, p);
  return p;
}

/**
 * Puts the polecat's worktree on `branch`. A branch that already exists (the same bead back for a fix
 * or a conflict) is kept as it is, commits and all. A new bead's branch starts from `origin/<target>`
 * as of a fetch at most SLING_FETCH_MAX_AGE_MS old, and the worktree leaves its previous branch only
 * when that one is clean and contained in the remote (nothing unpushed is ever thrown away: the
 * polecat is stuck instead).
 */
export async function prepareSandbox(
  rig: RigPaths,
  options: { name: string; branch: string; target: string },
): Promise<Sandbox> {
  const dir = sandboxDir(rig, options.name);
  await provisioning.get(dir)?.catch(() => undefined);
  await fetchRig(rig, { maxAgeMs: SLING_FETCH_MAX_AGE_MS });
  return (async () => {
    const start = `origin/${options.target}`;
    const branchExists = async () =>
      (await gitOk(['rev-parse', '--verify', '--quiet', `refs/heads/${options.branch}`], { cwd: rig.mirror }))
        .code === 0;
    if (!fs.existsSync(path.join(dir, '.git'))) {
      const exists = await branchExists();
      if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0)
        throw new PolecatError(
          'polecat.sandbox_foreign',
          `${dir} exists but is not a worktree: move it away, then release the polecat`,
          { details: { dir } },
        );
      fs.rmSync(dir, { recursive: true, force: true });
      await gitRetry(['worktree', 'prune'], { cwd: rig.mirror });
      const args = exists
        ? ['worktree', 'add', dir, options.branch]
        : ['worktree', 'add', '--no-track', '-b', options.branch, dir, start];
      await gitRetry(args, { cwd: rig.mirror });
      return { dir, branch: options.branch };
    }
    // One status gives both the branch and whether anything is uncommitted.
    const status = await sandboxStatus(dir);
    const current = status.branch ?? 'HEAD';
    if (current === options.branch) return { dir, branch: options.branch };
    const dirty = status.dirty ? await dirtyFiles(dir) : [];
    if (dirty.length > 0)
      throw new PolecatError(
        'polecat.sandbox_dirty',
        `the sandbox ${dir} has uncommitted changes on ${current}: commit or stash them, then release the polecat`,
        { details: { dir, files: dirty } },
      );
    if (current !== 'HEAD') {
      const unpushed = await git(['rev-list', '--count', `${current}`, '--not', '--remotes=origin'], {
        cwd: dir,
      });
      if (unpushed !== '0')
        throw new PolecatError(
          'polecat.sandbox_unpushed',
          `the sandbox ${dir} has ${unpushed} unpushed commit(s) on ${current}: push or merge them first`,
          { details: { dir, branch: current } },
        );
    }
    // A new bead's branch (the common case) is made in one run; only when that fails is the branch
    // looked for: it exists (the bead is back), or the failure is retried or reported as it was.
    // --no-track: a polecat branch has no upstream, and writing one would lock the shared config.
    const create = ['checkout', '--no-track', '-b', options.branch, start];
    if ((await gitOk(create, { cwd: dir })).code === 0) return { dir, branch: options.branch };
    if (await branchExists()) await gitRetry(['checkout', options.branch], { cwd: dir });
    else await gitRetry(create, { cwd: dir });
    return { dir, branch: options.branch };
  })();
}

/**
 * After the merge: the worktree goes back to a detached `origin/<target>` and the merged branch is
 * deleted, only when the tree is clean and the branch's commits are on the remote.
 */
export async function cleanSandbox(
  rig: RigPaths,
  options: { name: string; branch: string; target: string },
): Promise<void> {
  const dir = sandboxDir(rig, options.name);
  if (!fs.existsSync(path.join(dir, '.git'))) return;
  await (async () => {
    const dirty = await dirtyFiles(dir);
    if (dirty.length > 0)
      throw new PolecatError(
        'polecat.sandbox_dirty',
        `the sandbox ${dir} has uncommitted changes after the merge: look at them before the polecat is reused`,
        { details: { dir, files: dirty } },
      );
    await gitRetry(['checkout', '--detach', `origin/${options.target}`], { cwd: dir });
    // update-ref, not `branch -D`: that also edits the shared config, which thirty polecats lock at once.
    // Deleting a branch that is already gone succeeds (a second cleanup after a crash).
    await gitRetry(['update-ref', '-d', `refs/heads/${options.branch}`], { cwd: dir });
  })();
}
