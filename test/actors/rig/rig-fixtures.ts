import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { installTown } from '../../../actors/town/install.js';
import { RigError } from '../../../actors/rig/rig-errors.js';

/** Author and committer of fixture commits (the machine may have no git identity). */
export const GIT_IDENTITY_ENV = {
  GIT_AUTHOR_NAME: 'gt test',
  GIT_AUTHOR_EMAIL: 'gt-test@example.com',
  GIT_COMMITTER_NAME: 'gt test',
  GIT_COMMITTER_EMAIL: 'gt-test@example.com',
};

/** Runs real git in `cwd` and returns trimmed stdout (fixtures only; the code under test uses actors/git). */
export async function sh(cwd: string, ...args: string[]): Promise<string> {
  const r = await execa('git', args, { cwd, env: GIT_IDENTITY_ENV, stdin: 'ignore' });
  return r.stdout.trim();
}

/** A temp directory, removed by `cleanupTemp`. */
const temps: string[] = [];
export function tempDir(prefix = 'gt-rig-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}
export function cleanupTemp(): void {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/**
 * An upstream project repository in `parent/<name>`: a commit on `branch` (default `main`) holding
 * README.md and `test.sh` (exits 0). Returns its path and the branch head.
 */
export async function makeUpstream(
  parent: string,
  options: { name?: string; branch?: string } = {},
): Promise<{ dir: string; head: string }> {
  const dir = path.join(parent, options.name ?? 'upstream');
  fs.mkdirSync(dir, { recursive: true });
  await sh(dir, 'init', '-q', '-b', options.branch ?? 'main');
  fs.writeFileSync(path.join(dir, 'README.md'), '# project\n');
  fs.writeFileSync(path.join(dir, 'test.sh'), '#!/bin/sh\necho ok\nexit 0\n', { mode: 0o755 });
  await sh(dir, 'add', '.');
  await sh(dir, 'commit', '-q', '-m', 'first commit');
  return { dir, head: await sh(dir, 'rev-parse', 'HEAD') };
}

/** Everything observable about a repository's state: refs, HEAD, worktrees, status. */
export async function repoState(dir: string): Promise<string> {
  return [
    await sh(dir, 'for-each-ref'),
    await sh(dir, 'symbolic-ref', 'HEAD'),
    await sh(dir, 'worktree', 'list', '--porcelain'),
    await sh(dir, 'status', '--porcelain', '--untracked-files=all'),
    await sh(dir, 'config', '--local', '--list'),
  ].join('\n--\n');
}

/** A fresh town (`installTown`) named `name` in a temp directory. */
export async function newTown(name = 'alpha'): Promise<string> {
  const root = path.join(tempDir('gt-town-'), name);
  await installTown(root);
  return root;
}

/** The RigError `p` rejects with (fails the test otherwise). */
export async function rejection(p: Promise<unknown>): Promise<RigError> {
  const error = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RigError);
  return error as RigError;
}
