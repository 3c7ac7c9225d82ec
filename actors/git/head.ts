import fs from 'node:fs';
import path from 'node:path';
import { gitOk } from './git.js';

/** The `HEAD` file of the work tree at `dir` (`.git` a directory, or a worktree's `gitdir:` file), or null. */
function headFile(dir: string): string | null {
  const dotGit = path.join(dir, '.git');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dotGit);
  } catch {
    return null;
  }
  if (stat.isDirectory()) return path.join(dotGit, 'HEAD');
  const m = /^gitdir: (.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
  if (m === null) return null;
  return path.join(path.resolve(dir, (m[1] as string).trim()), 'HEAD');
}

/**
 * The branch checked out in the work tree at `dir` (what `git symbolic-ref --short HEAD` prints), or
 * null when HEAD is detached or `dir` is not a work tree. Read from the repository's files, so a
 * short-lived CLI (`gt prime`) spawns no git; any layout it does not recognise is asked of git.
 */
export async function currentBranch(dir: string): Promise<string | null> {
  if (!fs.existsSync(dir)) return null;
  try {
    const file = headFile(dir);
    if (file !== null) {
      const head = fs.readFileSync(file, 'utf8').trim();
      const ref = /^ref: refs\/heads\/(\S+)$/.exec(head);
      if (ref !== null) return ref[1] as string;
      if (/^[0-9a-f]{40,64}$/.test(head)) return null;
    }
  } catch {
    // Unreadable: git decides.
  }
  const r = await gitOk(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: dir, timeoutMs: 10_000 });
  return r.code === 0 && r.stdout !== '' ? r.stdout : null;
}
