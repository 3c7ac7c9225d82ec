import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findFreePort } from '../../bus/free-port.js';
import { TOWN_FILE, townPaths, writeTownConfig } from './town-config.js';
import type { TownConfig, TownPaths } from './town-config.js';
import { TownError } from './town-errors.js';
import { findUpwards } from '../session/package-bin.js';

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** What `installTown` created. */
export interface InstalledTown {
  name: string;
  /** The beads id prefix of the town's own store (the town name). */
  prefix: string;
  paths: TownPaths;
  config: TownConfig;
}

/** A town name from a directory name: lower case, runs of other characters become one dash. */
export function townNameFromDir(dir: string): string {
  return path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '');
}

/** Throws `town.bad_name` unless `name` is 1 to 32 of `[a-z0-9-]`, starting with a letter or digit. */
export function assertTownName(name: string): void {
  if (!NAME_RE.test(name))
    throw new TownError(
      'town.bad_name',
      `invalid town name "${name}": use 1 to 32 lowercase letters, digits and dashes, starting with a letter or digit (pass --name)`,
      { details: { name } },
    );
}

/**
 * Creates a town at `dir`: `rigs/`, `.gt/`, the beads repository (`beads/`, a git repository whose
 * `.beads/` store uses the town name as id prefix), `town.json` (mode 0600) with a managed nats-server
 * on a free loopback port and random credentials, and a `.gitignore`. Refuses an existing town
 * (`town.exists`) and a non-empty directory (`town.dir_not_empty`).
 */
export async function installTown(
  dir: string,
  options: { name?: string; now?: Date } = {},
): Promise<InstalledTown> {
  const paths = townPaths(dir);
  const name = options.name ?? townNameFromDir(paths.root);
  if (name === '' && options.name === undefined)
    throw new TownError(
      'town.bad_name',
      `cannot derive a town name from ${paths.root}: pass --name <name> (lowercase letters, digits, dashes)`,
    );
  assertTownName(name);
  assertInstallable(paths);

  fs.mkdirSync(paths.rigs, { recursive: true });
  fs.mkdirSync(paths.runtime, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(paths.root, '.gitignore'), `.gt/\n${TOWN_FILE}\n`);
  await createBeadsRepo(paths, name);

  const config: TownConfig = {
    version: 1,
    name,
    created_at: (options.now ?? new Date()).toISOString(),
    nats: {
      mode: 'managed',
      port: await findFreePort(),
      user: `gt-${name}`,
      password: randomBytes(24).toString('base64url'),
    },
  };
  writeTownConfig(paths.root, config);
  return { name, prefix: name, paths, config };
}

function assertInstallable(paths: TownPaths): void {
  if (fs.existsSync(paths.config))
    throw new TownError('town.exists', `${paths.root} is already a town: start it with \`gt up\``, {
      details: { root: paths.root },
    });
  let entries: string[];
  try {
    entries = fs.readdirSync(paths.root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new TownError('town.bad_dir', `cannot use ${paths.root}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (entries.length > 0)
    throw new TownError(
      'town.dir_not_empty',
      `${paths.root} is not empty and not a town: install into a new or empty directory`,
      { details: { root: paths.root, entries: entries.slice(0, 5) } },
    );
}

async function createBeadsRepo(paths: TownPaths, prefix: string): Promise<void> {
  fs.mkdirSync(paths.beadsDir, { recursive: true });
  const init = await execa('git', ['init', '-q'], { cwd: paths.beadsRepo, reject: false });
  if (init.exitCode !== 0)
    throw new TownError('town.git_failed', `git init in ${paths.beadsRepo} failed: ${String(init.stderr)}`);
  const [{ SqliteBeadStore }, sync] = await Promise.all([
    import('../../beads/store.js'),
    import('../../beads/git-sync.js'),
  ]);
  const store = SqliteBeadStore.create(paths.dbPath, prefix);
  try {
    await sync.initBeadsDir(paths.beadsDir, { driverCommand: `node ${bdBin()}` });
    sync.flush(store, paths.beadsDir);
    await sync.commit(paths.beadsDir, `gt: install (prefix ${prefix})`);
  } finally {
    store.close();
  }
}

/** `bin/bd.js` of this package (the beads merge driver), found upwards from this module. */
function bdBin(): string {
  const bin = findUpwards(path.join('bin', 'bd.js'));
  if (bin === null) throw new TownError('town.broken_package', 'cannot find bin/bd.js: reinstall gastown-ts');
  return bin;
}
