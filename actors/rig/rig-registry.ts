import fs from 'node:fs';
import path from 'node:path';
import { SqliteBeadStore } from '../../beads/store.js';
import { git, gitOk } from '../git/git.js';
import { townPaths } from '../town/town-config.js';
import { readRigConfig, RIG_FILE, rigPaths } from './rig-config.js';
import type { RigConfig, RigPaths } from './rig-config.js';
import { RigError } from './rig-errors.js';

/** A rig directory whose rig.json cannot be used. */
export interface BrokenRig {
  name: string;
  file: string;
  code: 'rig.bad_config';
  message: string;
}

/** Every rig of a town: the good ones sorted by name, and the broken ones reported apart. */
export interface RigList {
  rigs: RigConfig[];
  broken: BrokenRig[];
}

/** One rig in detail (`gt rig show`). */
export interface RigDetail {
  config: RigConfig;
  paths: RigPaths;
  /** SHA of `origin/<default_branch>` in the mirror; null when that ref is missing. */
  head: string | null;
  /** Worktrees of the mirror under `polecats/`. */
  polecat_worktrees: number;
}

/** A worktree of a rig's mirror, from `git worktree list --porcelain`. */
export interface RigWorktree {
  path: string;
  head: string | null;
  branch: string | null;
}

/**
 * Lists `rigs/<name>/rig.json` of the town, sorted by name. A directory without rig.json is skipped (a
 * rig being added); a rig.json that is not valid is listed in `broken` with its file path.
 */
export function listRigs(townRoot: string): RigList {
  const dir = townPaths(townRoot).rigs;
  let names: string[];
  try {
    names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { rigs: [], broken: [] };
    throw error;
  }
  const list: RigList = { rigs: [], broken: [] };
  for (const name of names.sort()) {
    if (!fs.existsSync(path.join(dir, name, RIG_FILE))) continue;
    try {
      const config = readRigConfig(townRoot, name);
      if (config !== null) list.rigs.push(config);
    } catch (error) {
      if (!(error instanceof RigError)) throw error;
      list.broken.push({
        name,
        file: rigPaths(townRoot, name).config,
        code: 'rig.bad_config',
        message: error.message,
      });
    }
  }
  return list;
}

/** The rig's config, or `rig.not_found` naming the rigs there are. */
export function requireRig(townRoot: string, name: string): RigConfig {
  const config = readRigConfig(townRoot, name);
  if (config !== null) return config;
  const known = listRigs(townRoot).rigs.map((r) => r.name);
  throw new RigError(
    'rig.not_found',
    `no rig ${name} in this town (${known.length === 0 ? 'it has no rigs' : `rigs: ${known.join(', ')}`}): add it with \`gt rig add ${name} <url>\``,
    { details: { name } },
  );
}

/** The worktrees of a rig's mirror (not the bare repository itself). */
export async function rigWorktrees(paths: RigPaths): Promise<RigWorktree[]> {
  const out = await git(['worktree', 'list', '--porcelain'], { cwd: paths.mirror });
  const trees: RigWorktree[] = [];
  for (const block of out.split(/\n\n+/)) {
    const lines = block.split('\n');
    if (lines.includes('bare')) continue;
    const wt = lines.find((l) => l.startsWith('worktree '));
    if (wt === undefined) continue;
    const head = lines.find((l) => l.startsWith('HEAD '));
    const branch = lines.find((l) => l.startsWith('branch '));
    trees.push({
      path: wt.slice('worktree '.length),
      head: head === undefined ? null : head.slice('HEAD '.length),
      branch: branch === undefined ? null : branch.slice('branch '.length).replace(/^refs\/heads\//, ''),
    });
  }
  return trees;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Config, paths, the head of `origin/<default_branch>` and the number of polecat worktrees. */
export async function showRig(townRoot: string, name: string): Promise<RigDetail> {
  const config = requireRig(townRoot, name);
  const paths = rigPaths(townRoot, name);
  const rev = await gitOk(
    ['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${config.default_branch}`],
    {
      cwd: paths.mirror,
    },
  );
  const trees = await rigWorktrees(paths);
  return {
    config,
    paths,
    head: rev.code === 0 && rev.stdout !== '' ? rev.stdout : null,
    polecat_worktrees: trees.filter((t) => isInside(t.path, paths.polecats)).length,
  };
}

/** Options of `removeRig`. */
export interface RemoveRigOptions {
  /** Ids of beads still hooked to the rig (see `hookedWorkOfRig`); any refuses the removal. */
  hookedWork: (rig: string) => string[] | Promise<string[]>;
}

/** What `removeRig` removed. */
export interface RemovedRig {
  name: string;
  dir: string;
  /** Paths of the worktrees removed with `git worktree remove`. */
  worktrees: string[];
}

/**
 * Removes a rig: refuses with `rig.has_hooked_work` (listing the bead ids) while `hookedWork` returns
 * any; removes every worktree of the mirror (`git worktree remove --force`, also those outside the rig
 * directory), then the rig directory. The upstream is never touched. A rig with a broken rig.json can
 * be removed; a directory that is no rig is `rig.not_found`.
 */
export async function removeRig(
  townRoot: string,
  name: string,
  options: RemoveRigOptions,
): Promise<RemovedRig> {
  const paths = rigPaths(townRoot, name);
  if (!fs.existsSync(paths.config) && !fs.existsSync(paths.mirror)) requireRig(townRoot, name);
  const hooked = [...new Set(await options.hookedWork(name))].sort();
  if (hooked.length > 0)
    throw new RigError(
      'rig.has_hooked_work',
      `rig ${name} still has work hooked or in review: ${hooked.join(', ')}; finish, release or close it first`,
      { details: { name, beads: hooked } },
    );
  const removed: string[] = [];
  if (fs.existsSync(paths.mirror)) {
    for (const tree of await rigWorktrees(paths)) {
      const args = ['worktree', 'remove', '--force', '--force', tree.path];
      // Inside the rig directory a failure does not matter: the directory goes next.
      if (isInside(tree.path, paths.dir)) await gitOk(args, { cwd: paths.mirror });
      else if (fs.existsSync(tree.path)) await git(args, { cwd: paths.mirror });
      removed.push(tree.path);
    }
    await gitOk(['worktree', 'prune'], { cwd: paths.mirror });
  }
  fs.rmSync(paths.dir, { recursive: true, force: true });
  return { name, dir: paths.dir, worktrees: removed };
}

/**
 * Ids of the beads that keep a rig busy, from the town store at `dbPath` (opened read-only): beads
 * `hooked` or `in_progress` whose assignee is under `<town>/<rig>/`, and merge-request beads not closed
 * whose `metadata.rig` is the rig. Sorted.
 */
export function hookedWorkOfRig(dbPath: string, town: string, rig: string): string[] {
  const store = SqliteBeadStore.open(dbPath, { readonly: true });
  try {
    const under = `${town}/${rig}/`;
    const ids = new Set<string>();
    for (const b of store.list({ status: ['hooked', 'in_progress'], include_ephemeral: true }))
      if (b.assignee?.startsWith(under) === true) ids.add(b.id);
    for (const b of store.list({ type: ['merge-request'], include_ephemeral: true }))
      if (b.metadata?.['rig'] === rig) ids.add(b.id);
    return [...ids].sort();
  } finally {
    store.close();
  }
}
