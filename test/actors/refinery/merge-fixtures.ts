import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { tempDir } from '../rig/rig-fixtures.js';

/** Identity of the upstream's own commits. */
export const UPSTREAM_IDENTITY = {
  GIT_AUTHOR_NAME: 'upstream dev',
  GIT_AUTHOR_EMAIL: 'dev@example.com',
  GIT_COMMITTER_NAME: 'upstream dev',
  GIT_COMMITTER_EMAIL: 'dev@example.com',
};

/** Identity of the polecat's commits (the author the refinery must keep). */
export const POLECAT_IDENTITY = {
  GIT_AUTHOR_NAME: 'nux polecat',
  GIT_AUTHOR_EMAIL: 'nux@example.com',
  GIT_COMMITTER_NAME: 'nux polecat',
  GIT_COMMITTER_EMAIL: 'nux@example.com',
};

/** Runs real git in `cwd` (fixtures only) and returns trimmed stdout. */
export async function run(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await execa('git', args, { cwd, env, stdin: 'ignore' });
  return r.stdout.trim();
}

/**
 * Runs `work` with GIT_CONFIG_GLOBAL pointing at an empty file in `dir` (git has no identity of its
 * own then), passing that file's path; the variable is restored afterwards.
 */
export async function withEmptyGlobalConfig<T>(dir: string, work: (file: string) => Promise<T>): Promise<T> {
  const saved = process.env.GIT_CONFIG_GLOBAL;
  const file = path.join(dir, 'empty-gitconfig');
  fs.writeFileSync(file, '');
  process.env.GIT_CONFIG_GLOBAL = file;
  try {
    return await work(file);
  } finally {
    if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
    else process.env.GIT_CONFIG_GLOBAL = saved;
  }
}

/** `lib.js` of the upstream: `answer()` returns `value`. */
export const libJs = (value: number): string => `export function answer() {\n  return ${value};\n}\n`;

/** `test.sh` of the upstream: fails unless lib.js returns 42. */
const TEST_SH = `#!/bin/sh
if grep -q 'return 42;' lib.js; then echo "tests pass"; exit 0; fi
echo "FAIL: answer() must return 42" >&2
exit 1
`;

export interface RigFixture {
  /** `<tmp>/upstream.git`: the bare upstream. */
  upstream: string;
  /** `<tmp>/rig/.repo.git`: the rig's bare clone. */
  mirror: string;
  /** `<tmp>/rig/refinery/rig`: the refinery worktree (detached). */
  worktree: string;
  /** `<tmp>/polecat`: a clone of the upstream where the polecat's branches are made. */
  polecat: string;
  /** `<tmp>/other`: another clone of the upstream, for someone else's pushes to main. */
  other: string;
  /** A directory outside every repository, for markers and pid files. */
  scratch: string;
  /** The upstream's head of `branch`, or null. */
  head(branch?: string): Promise<string | null>;
  /**
   * Makes `branch` in the polecat clone from upstream main, one commit per entry of `commits`
   * (files to write, relative to the repository), pushes it to the upstream; returns its sha.
   */
  pushBranch(branch: string, commits: Array<Record<string, string>>): Promise<string>;
  /** Commits `files` on upstream main from the other clone and pushes; returns the new main sha. */
  advanceMain(files: Record<string, string>, message?: string): Promise<string>;
}

/**
 * An upstream bare repository whose `main` holds lib.js and test.sh; a rig-like bare clone with the
 * rig's fetch refspec and no local branches, and a detached refinery worktree; two more clones.
 */
export async function makeRig(): Promise<RigFixture> {
  const root = tempDir('gt-refinery-');
  const upstream = path.join(root, 'upstream.git');
  const seed = path.join(root, 'seed');
  await run(root, ['init', '-q', '--bare', '-b', 'main', upstream]);
  await run(root, ['init', '-q', '-b', 'main', seed]);
  fs.writeFileSync(path.join(seed, 'lib.js'), libJs(42));
  fs.writeFileSync(path.join(seed, 'test.sh'), TEST_SH, { mode: 0o755 });
  await run(seed, ['add', '.']);
  await run(seed, ['commit', '-q', '-m', 'first commit'], UPSTREAM_IDENTITY);
  await run(seed, ['push', '-q', upstream, 'main']);

  const mirror = path.join(root, 'rig', '.repo.git');
  const worktree = path.join(root, 'rig', 'refinery', 'rig');
  await run(root, ['clone', '-q', '--bare', upstream, mirror]);
  await run(mirror, ['config', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*']);
  await run(mirror, ['fetch', '-q', '--prune', 'origin']);
  await run(mirror, ['update-ref', '-d', 'refs/heads/main']);
  await run(mirror, ['worktree', 'add', '-q', '--detach', worktree, 'origin/main']);

  const polecat = path.join(root, 'polecat');
  const other = path.join(root, 'other');
  await run(root, ['clone', '-q', upstream, polecat]);
  await run(root, ['clone', '-q', upstream, other]);
  const scratch = path.join(root, 'scratch');
  fs.mkdirSync(scratch);

  const head = async (branch = 'main'): Promise<string | null> => {
    const out = await run(upstream, ['for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`]);
    return out === '' ? null : out;
  };

  const commitFiles = async (
    dir: string,
    files: Record<string, string>,
    message: string,
    env: Record<string, string>,
  ) => {
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    await run(dir, ['add', '-A']);
    await run(dir, ['commit', '-q', '-m', message], env);
  };

  return {
    upstream,
    mirror,
    worktree,
    polecat,
    other,
    scratch,
    head,
    async pushBranch(branch, commits) {
      await run(polecat, ['fetch', '-q', 'origin']);
      await run(polecat, ['checkout', '-q', '-B', branch, 'origin/main']);
      for (const [i, files] of commits.entries())
        await commitFiles(polecat, files, `${branch} ${i + 1}`, POLECAT_IDENTITY);
      await run(polecat, ['push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
      return run(polecat, ['rev-parse', 'HEAD']);
    },
    async advanceMain(files, message = 'upstream change') {
      await run(other, ['fetch', '-q', 'origin']);
      await run(other, ['checkout', '-q', '-B', 'main', 'origin/main']);
      await commitFiles(other, files, message, UPSTREAM_IDENTITY);
      await run(other, ['push', '-q', 'origin', 'HEAD:refs/heads/main']);
      return run(other, ['rev-parse', 'HEAD']);
    },
  };
}

/** Whether `pid` is a live process (a zombie nobody reaped counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
