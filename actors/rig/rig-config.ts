import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { townPaths } from '../town/town-config.js';
import { RigError } from './rig-errors.js';

/** The file that marks a rig's directory (`<town>/rigs/<name>/rig.json`). */
export const RIG_FILE = 'rig.json';

/** Rig names: 1 to 32 of `[a-z0-9-]`, starting with a letter or digit. */
export const RIG_NAME_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** Beads id prefixes: dash-separated runs of `[a-z0-9]`. */
export const RIG_PREFIX_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** Names that are town-level address roots (bus/address.ts), so cannot be rigs. */
export const RESERVED_RIG_NAMES: ReadonlySet<string> = new Set([
  'mayor',
  'deacon',
  'boot',
  'overseer',
  'dogs',
]);

export const DEFAULT_MAX_POLECATS = 4;
export const DEFAULT_BATCH_SIZE = 10;
export const DEFAULT_GATE_TIMEOUT_MS = 600_000;

const gateSchema = z.strictObject({
  /** `test`, `lint`, ...: how the gate is named in reports. */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lowercase letters, digits, "_" and "-"'),
  /** A shell command run in the worktree; exit 0 passes. */
  cmd: z.string().min(1),
  timeout_ms: z.number().int().positive(),
});

/** `rig.json`: written by `gt rig add`, read by every rig actor. */
export const rigConfigSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().regex(RIG_NAME_RE, '1 to 32 lowercase letters, digits and dashes'),
  /** The upstream, as given (an absolute path when a local path was given). */
  url: z.string().min(1),
  default_branch: z.string().min(1),
  /** Beads id prefix of the rig's beads; differs from the town name (the town store's prefix). */
  prefix: z.string().regex(RIG_PREFIX_RE, 'dash-separated lowercase letters and digits'),
  gates: z
    .array(gateSchema)
    .refine((gates) => new Set(gates.map((g) => g.name)).size === gates.length, 'gate names must be unique')
    .default([]),
  max_polecats: z.number().int().min(1).max(100).default(DEFAULT_MAX_POLECATS),
  /** Merge requests the refinery tests and lands together (bisected when red); 1 merges one at a time. */
  batch_size: z.number().int().min(1).max(100).default(DEFAULT_BATCH_SIZE),
  /** Agent preset for this rig's polecats; the town default when absent. */
  agent: z.string().min(1).optional(),
  /** The scripted agent's default script for this rig's beads (docs/scripted-agent.md). */
  script: z.unknown().optional(),
  created_at: z.string(),
});

export type RigConfig = z.output<typeof rigConfigSchema>;
export type RigGate = RigConfig['gates'][number];

/** Where things live inside a rig. */
export interface RigPaths {
  /** `<town>/rigs/<name>` */
  dir: string;
  /** `<dir>/rig.json` */
  config: string;
  /** `<dir>/.repo.git`: the bare repository every worktree of the rig shares. */
  mirror: string;
  /** `<dir>/refinery/rig`: the refinery's worktree (detached at `origin/<default_branch>`). */
  refinery: string;
  /** `<dir>/polecats`: one worktree per polecat. */
  polecats: string;
  /** `<dir>/crew`: human-directed workspaces. */
  crew: string;
}

export function rigPaths(townRoot: string, name: string): RigPaths {
  const dir = path.join(townPaths(townRoot).rigs, name);
  return {
    dir,
    config: path.join(dir, RIG_FILE),
    mirror: path.join(dir, '.repo.git'),
    refinery: path.join(dir, 'refinery', 'rig'),
    polecats: path.join(dir, 'polecats'),
    crew: path.join(dir, 'crew'),
  };
}

/** Throws `rig.bad_name` unless `name` can name a rig. */
export function assertRigName(name: string): void {
  if (!RIG_NAME_RE.test(name))
    throw new RigError(
      'rig.bad_name',
      `invalid rig name "${name}": use 1 to 32 lowercase letters, digits and dashes, starting with a letter or digit`,
      { details: { name } },
    );
  if (RESERVED_RIG_NAMES.has(name))
    throw new RigError(
      'rig.bad_name',
      `"${name}" cannot name a rig: it is a town role (${[...RESERVED_RIG_NAMES].join(', ')}); pick another name`,
      { details: { name } },
    );
}

function badConfig(file: string, message: string, cause?: unknown): RigError {
  return new RigError(
    'rig.bad_config',
    `${file}: ${message}; fix the file, or remove the rig and add it again`,
    {
      cause,
      details: { file },
    },
  );
}

/** Parses a rig.json document; `rig.bad_config` naming the file and field otherwise. */
export function parseRigConfig(raw: unknown, file: string): RigConfig {
  const parsed = rigConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? '$' : issue.path.join('.');
  throw badConfig(file, `field "${field}" ${issue?.message ?? 'is invalid'}`);
}

/**
 * Reads and validates `rigs/<name>/rig.json`. Returns null when the file does not exist; throws
 * `rig.bad_config` (with the file path) when it cannot be read, parsed or validated, or names another rig.
 */
export function readRigConfig(townRoot: string, name: string): RigConfig | null {
  const file = rigPaths(townRoot, name).config;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw badConfig(file, `cannot read it (${(cause as Error).message})`, cause);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw badConfig(file, `not JSON (${(cause as Error).message})`, cause);
  }
  const config = parseRigConfig(raw, file);
  if (config.name !== name)
    throw badConfig(file, `field "name" is "${config.name}", but the directory is "${name}"`);
  return config;
}

/** Writes `rigs/<config.name>/rig.json` atomically (temp file + rename) after validating it. */
export function writeRigConfig(townRoot: string, config: RigConfig): void {
  const file = rigPaths(townRoot, config.name).config;
  const valid = parseRigConfig(config, file);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(valid, null, 2)}\n`);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
