import fs from 'node:fs';
import path from 'node:path';
import { git, gitOk } from '../git/git.js';
import { readTownConfig } from '../town/town-config.js';
import {
  assertRigName,
  DEFAULT_GATE_TIMEOUT_MS,
  DEFAULT_MAX_POLECATS,
  RIG_PREFIX_RE,
  rigPaths,
  writeRigConfig,
  DEFAULT_BATCH_SIZE,
} from './rig-config.js';
import type { RigConfig, RigPaths } from './rig-config.js';
import { RigError } from './rig-errors.js';
import { listRigs } from './rig-registry.js';

/** What `addRig` needs. Only `name` and `url` are required. */
export interface AddRigOptions {
  name: string;
  /** A git URL, or a path to a repository (relative paths are resolved against `cwd`). */
  url: string;
  /** Beads id prefix; default the rig name. */
  prefix?: string;
  /** The default branch; default the upstream's HEAD, else `main`, else `master`. */
  branch?: string;
  /** Gate commands; `timeout_ms` defaults to DEFAULT_GATE_TIMEOUT_MS. */
  gates?: Array<{ name: string; cmd: string; timeout_ms?: number }>;
  maxPolecats?: number;
  /** Merge requests the refinery lands together; default 10. */
  batchSize?: number;
  agent?: string;
  /** Directory a relative `url` is resolved against; default `process.cwd()`. */
  cwd?: string;
  /** Time limit of each network git command (ls-remote, clone, fetch); default 600 000 ms. */
  timeoutMs?: number;
  now?: Date;
}

/** What `addRig` created. */
export interface AddedRig {
  config: RigConfig;
  paths: RigPaths;
  /** SHA of `origin/<default_branch>`, where the refinery worktree is. */
  head: string;
}

/** Fallback identity of the rig's repository when git has none configured. */
export const RIG_GIT_IDENTITY = { name: 'gt', email: 'gt@localhost' } as const;

const NETWORK_TIMEOUT_MS = 600_000;

/** True when `url` names a remote (`scheme://...` or scp-like `host:path`) rather than a local path. */
export function isRemoteUrl(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+:/.test(url);
}

/**
 * Adds a rig to the town at `townRoot`: checks that `url` is a git repository (`git ls-remote`) and
 * finds its default branch; bare-clones it to `rigs/<name>/.repo.git` with the fetch refspec
 * `+refs/heads/*:refs/remotes/origin/*` (never a mirror: a fetch must not overwrite the local branches
 * of polecat worktrees), keeping no local branches of its own and `HEAD` naming the default branch;
 * adds the refinery worktree `refinery/rig`, detached at `origin/<default>`; creates `polecats/` and
 * `crew/`; writes `rig.json` last. All or nothing: on any failure everything it created is removed.
 *
 * Errors: `rig.bad_name`, `rig.bad_prefix`, `rig.bad_option`, `rig.exists`, `rig.not_a_git_repo`,
 * `rig.no_default_branch`; a git failure while cloning is a GitError (`git.failed`).
 */
export async function addRig(townRoot: string, options: AddRigOptions): Promise<AddedRig> {
  const { name } = options;
  assertRigName(name);
  const town = readTownConfig(townRoot).name;
  const paths = rigPaths(townRoot, name);
  if (fs.existsSync(paths.dir))
    throw new RigError(
      'rig.exists',
      fs.existsSync(paths.config)
        ? `rig ${name} already exists at ${paths.dir}: pick another name, or \`gt rig remove ${name}\` first`
        : `${paths.dir} already exists but holds no rig.json: remove that directory or pick another name`,
      { details: { name, dir: paths.dir } },
    );
  const prefix = options.prefix ?? name;
  assertPrefix(townRoot, town, name, prefix, options.prefix !== undefined);
  const gates = checkGates(options.gates ?? []);
  const maxPolecats = options.maxPolecats ?? DEFAULT_MAX_POLECATS;
  if (!Number.isInteger(maxPolecats) || maxPolecats < 1 || maxPolecats > 100)
    throw new RigError(
      'rig.bad_option',
      `max polecats must be a whole number from 1 to 100, got ${maxPolecats}`,
    );
  if (options.agent !== undefined && options.agent.trim() === '')
    throw new RigError(
      'rig.bad_option',
      'the agent preset name is empty: pass a preset name or leave it out',
    );

  const url = isRemoteUrl(options.url)
    ? options.url
    : path.resolve(options.cwd ?? process.cwd(), options.url);
  if (url.startsWith('-')) throw new RigError('rig.bad_option', `"${url}" is not a git URL`);
  const timeoutMs = options.timeoutMs ?? NETWORK_TIMEOUT_MS;
  const branch = await defaultBranch(url, options.branch, townRoot, timeoutMs);

  const createdRigsDir = !fs.existsSync(path.dirname(paths.dir));
  try {
    fs.mkdirSync(path.dirname(paths.dir), { recursive: true });
    fs.mkdirSync(paths.dir);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST')
      throw new RigError('rig.exists', `rig ${name} is being added or already exists at ${paths.dir}`, {
        cause,
      });
    throw cause;
  }
  try {
    const head = await populate(paths, url, branch, timeoutMs);
    const config: RigConfig = {
      version: 1,
      name,
      url,
      default_branch: branch,
      prefix,
      gates,
      max_polecats: maxPolecats,
      batch_size: options.batchSize ?? DEFAULT_BATCH_SIZE,
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      created_at: (options.now ?? new Date()).toISOString(),
    };
    writeRigConfig(townRoot, config);
    return { config, paths, head };
  } catch (error) {
    fs.rmSync(paths.dir, { recursive: true, force: true });
    if (createdRigsDir) fs.rmSync(path.dirname(paths.dir), { recursive: true, force: true });
    throw error;
  }
}

function assertPrefix(townRoot: string, town: string, name: string, prefix: string, explicit: boolean): void {
  const hint = explicit ? 'pass another --prefix' : 'pass --prefix <prefix>';
  if (!RIG_PREFIX_RE.test(prefix))
    throw new RigError(
      'rig.bad_prefix',
      `invalid beads prefix "${prefix}": use lowercase letters and digits, with single dashes between them`,
      { details: { prefix } },
    );
  if (prefix === town)
    throw new RigError(
      'rig.bad_prefix',
      `beads prefix "${prefix}" is the town's own prefix (the town is named ${town}): ${hint}`,
      { details: { prefix } },
    );
  const taken = listRigs(townRoot).rigs.find((r) => r.prefix === prefix && r.name !== name);
  if (taken !== undefined)
    throw new RigError(
      'rig.bad_prefix',
      `beads prefix "${prefix}" is already used by rig ${taken.name}: ${hint}`,
      {
        details: { prefix, rig: taken.name },
      },
    );
}

function checkGates(gates: NonNullable<AddRigOptions['gates']>): RigConfig['gates'] {
  const seen = new Set<string>();
  return gates.map((g) => {
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(g.name))
      throw new RigError(
        'rig.bad_option',
        `invalid gate name "${g.name}": use lowercase letters, digits, "_" and "-" (write --gate name=cmd)`,
      );
    if (seen.has(g.name))
      throw new RigError('rig.bad_option', `gate "${g.name}" is given twice: name each gate once`);
    seen.add(g.name);
    if (g.cmd.trim() === '') throw new RigError('rig.bad_option', `gate "${g.name}" has an empty command`);
    const timeout = g.timeout_ms ?? DEFAULT_GATE_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout <= 0)
      throw new RigError('rig.bad_option', `gate "${g.name}" timeout must be a positive number of ms`);
    return { name: g.name, cmd: g.cmd, timeout_ms: timeout };
  });
}

/**
 * The branch the rig follows: `requested` when given (it must exist upstream), else the upstream's
 * HEAD, else `main` or `master`.
 */
async function defaultBranch(
  url: string,
  requested: string | undefined,
  cwd: string,
  timeoutMs: number,
): Promise<string> {
  const tried = `git ls-remote --symref ${url}`;
  const r = await gitOk(['ls-remote', '--symref', '--', url], { cwd, timeoutMs });
  if (r.code !== 0)
    throw new RigError(
      'rig.not_a_git_repo',
      `${url} is not a git repository (tried \`${tried}\`: ${r.stderr === '' ? `exit ${r.code}` : gitReason(r.stderr)}): give a git URL or the path of a repository`,
      { details: { url, stderr: r.stderr } },
    );
  const heads = new Set<string>();
  let symref: string | undefined;
  for (const line of r.stdout.split('\n')) {
    const sym = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (sym?.[1] !== undefined) symref = sym[1];
    const head = /^[0-9a-f]{40,64}\trefs\/heads\/(\S+)$/.exec(line);
    if (head?.[1] !== undefined) heads.add(head[1]);
  }
  if (requested !== undefined) {
    if (heads.has(requested)) return requested;
    throw new RigError(
      'rig.no_default_branch',
      `${url} has no branch "${requested}" (it has: ${[...heads].join(', ') || 'no branches'}): pass an existing --branch`,
      { details: { url, branch: requested } },
    );
  }
  const found = [symref, 'main', 'master'].find((b) => b !== undefined && heads.has(b));
  if (found !== undefined) return found;
  throw new RigError(
    'rig.no_default_branch',
    heads.size === 0
      ? `${url} has no branches (an empty repository?): push a first commit, then add the rig`
      : `cannot tell the default branch of ${url} (its HEAD names none, and it has no main or master): pass --branch <branch>`,
    { details: { url, branches: [...heads] } },
  );
}

/** The first `fatal:`/`error:` line of git's stderr, without that word (else its first line). */
function gitReason(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const line = lines.find((l) => /^(fatal|error): /.test(l)) ?? lines[0] ?? stderr;
  return line.replace(/^(fatal|error): /, '');
}

async function populate(paths: RigPaths, url: string, branch: string, timeoutMs: number): Promise<string> {
  await git(['clone', '--bare', '--quiet', '--', url, paths.mirror], { cwd: paths.dir, timeoutMs });
  const inMirror = { cwd: paths.mirror };
  await git(['config', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*'], inMirror);
  await git(['fetch', '--quiet', '--prune', 'origin'], { ...inMirror, timeoutMs });
  // The clone's copies of the upstream branches would go stale and take names polecats may want.
  const heads = await git(['for-each-ref', '--format=%(refname)', 'refs/heads/'], inMirror);
  const deletes = heads
    .split('\n')
    .filter((r) => r !== '')
    .map((r) => `delete ${r}\n`);
  if (deletes.length > 0) await git(['update-ref', '--stdin'], { ...inMirror, input: deletes.join('') });
  await git(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], inMirror);
  for (const [key, value] of [
    ['user.name', RIG_GIT_IDENTITY.name],
    ['user.email', RIG_GIT_IDENTITY.email],
  ] as const) {
    if ((await gitOk(['config', '--get', key], inMirror)).code !== 0)
      await git(['config', key, value], inMirror);
  }
  const head = await git(['rev-parse', '--verify', `refs/remotes/origin/${branch}^{commit}`], inMirror);
  await git(['worktree', 'add', '--quiet', '--detach', paths.refinery, `origin/${branch}`], inMirror);
  fs.mkdirSync(paths.polecats);
  fs.mkdirSync(paths.crew);
  return head;
}
