import fs from 'node:fs';
import path from 'node:path';
import { git } from '../git/git.js';
import { currentBranch } from '../git/head.js';
import { rigPaths } from '../rig/rig-config.js';
import { listRigs, requireRig } from '../rig/rig-registry.js';
import { readTownConfig } from '../town/town-config.js';
import { SessionError } from './session-errors.js';

/** Crew names: 1 to 32 of `[a-z0-9_-]`, starting with a letter or digit (an address segment). */
export const CREW_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** A crew member's workspace. */
export interface CrewMember {
  name: string;
  rig: string;
  /** `alpha/web/crew/max`. */
  address: string;
  /** `<town>/rigs/<rig>/crew/<name>`: a full clone of the rig's upstream. */
  dir: string;
  /** The checked-out branch, or null (detached HEAD, broken clone). */
  branch: string | null;
}

/** Throws `crew.bad_name` unless `name` can name a crew member. */
export function assertCrewName(name: string): void {
  if (!CREW_NAME_RE.test(name))
    throw new SessionError(
      'crew.bad_name',
      `invalid crew name "${name}": use 1 to 32 lowercase letters, digits, "_" and "-", starting with a letter or digit`,
      { details: { name } },
    );
}

/**
 * Adds crew member `name` to `rig`: a full clone of the rig's upstream (rig.json `url`) on its default
 * branch in `rigs/<rig>/crew/<name>/` (crew push to it directly; there is no merge queue). A file
 * operation: works with the town down. Refuses a bad name (`crew.bad_name`), an unknown rig
 * (`rig.not_found`) and an existing member (`crew.exists`).
 */
export async function addCrew(townRoot: string, options: { name: string; rig: string }): Promise<CrewMember> {
  const { name, rig } = options;
  assertCrewName(name);
  const config = requireRig(townRoot, rig);
  const town = readTownConfig(townRoot).name;
  const parent = rigPaths(townRoot, rig).crew;
  const dir = path.join(parent, name);
  if (fs.existsSync(dir))
    throw new SessionError(
      'crew.exists',
      `crew member ${name} of rig ${rig} already exists (${dir}): start it with \`gt crew start ${name} --rig ${rig}\``,
      { details: { name, rig, dir } },
    );
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.${name}.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    await git(['clone', '-q', '--branch', config.default_branch, config.url, tmp], { cwd: parent });
    fs.renameSync(tmp, dir);
  } catch (cause) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new SessionError(
      'crew.clone_failed',
      `cannot clone ${config.url} for crew member ${name}: ${(cause as Error).message}; check the rig's url in rig.json`,
      { cause, details: { name, rig, url: config.url } },
    );
  }
  return { name, rig, address: `${town}/${rig}/crew/${name}`, dir, branch: config.default_branch };
}

/** The crew members of the town (or of `rig`), sorted by rig, then name. */
export async function listCrew(townRoot: string, rig?: string): Promise<CrewMember[]> {
  const town = readTownConfig(townRoot).name;
  const rigs =
    rig === undefined ? listRigs(townRoot).rigs.map((r) => r.name) : [requireRig(townRoot, rig).name];
  const out: CrewMember[] = [];
  for (const r of rigs) {
    const parent = rigPaths(townRoot, r).crew;
    let names: string[];
    try {
      names = fs
        .readdirSync(parent, { withFileTypes: true })
        .filter((e) => e.isDirectory() && CREW_NAME_RE.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = path.join(parent, name);
      out.push({ name, rig: r, address: `${town}/${r}/crew/${name}`, dir, branch: await currentBranch(dir) });
    }
  }
  return out;
}

/**
 * The rig of crew member `name`: `rig` when given; else the only rig that has a member of that name
 * (`crew.not_found` when none has, `crew.bad_name` asking for `--rig` when several have).
 */
export function crewRig(townRoot: string, name: string, rig?: string): string {
  assertCrewName(name);
  if (rig !== undefined) {
    requireRig(townRoot, rig);
    if (fs.existsSync(path.join(rigPaths(townRoot, rig).crew, name))) return rig;
    throw notFound(name, rig);
  }
  const found = listRigs(townRoot)
    .rigs.map((r) => r.name)
    .filter((r) => fs.existsSync(path.join(rigPaths(townRoot, r).crew, name)));
  const [only] = found;
  if (found.length === 1 && only !== undefined) return only;
  if (found.length === 0) throw notFound(name, undefined);
  throw new SessionError(
    'crew.bad_name',
    `crew member ${name} exists in several rigs (${found.join(', ')}): pass --rig <rig>`,
    { details: { name, rigs: found } },
  );
}

function notFound(name: string, rig: string | undefined): SessionError {
  return new SessionError(
    'crew.not_found',
    `no crew member ${name}${rig === undefined ? '' : ` in rig ${rig}`}: add it with \`gt crew add ${name} --rig ${rig ?? '<rig>'}\``,
    { details: { name, ...(rig === undefined ? {} : { rig }) } },
  );
}
