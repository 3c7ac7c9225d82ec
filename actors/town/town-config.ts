import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TownError } from './town-errors.js';

/** The file that marks a town's root directory. */
export const TOWN_FILE = 'town.json';

const natsManaged = z.strictObject({
  mode: z.literal('managed'),
  /** The port the managed nats-server listens on (chosen free at install, kept across restarts). */
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1),
  password: z.string().min(16),
});

const natsExternal = z.strictObject({
  mode: z.literal('external'),
  urls: z.array(z.string().regex(/^nats:\/\/[^\s]+$/, 'a nats:// URL')).min(1),
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
});

/** Names of agents (built-in presets and custom ones): lowercase letters, digits, dots, dashes, underscores. */
export const AGENT_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * One entry of `town.json` `agents`: a custom agent, or an override of a built-in preset of the same
 * name (fields left out keep the built-in's values). See actors/runtime/agent-config.ts.
 */
export const agentEntrySchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string())
    .optional(),
  prompt_mode: z.enum(['arg', 'none']).optional(),
  ready_prompt: z.string().min(1).optional(),
  ready_delay_ms: z.number().int().nonnegative().optional(),
  resume_flag: z.string().min(1).optional(),
  process_names: z.array(z.string().min(1)).min(1).optional(),
});

export type AgentEntry = z.output<typeof agentEntrySchema>;

/** `town.json`: written by `gt install`, read by every `gt` command and the daemon. Mode 0600. */
export const townConfigSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes'),
  created_at: z.string(),
  nats: z.discriminatedUnion('mode', [natsManaged, natsExternal]),
  /** Timing defaults (milliseconds); every actor reads its own from here. */
  timing: z
    .strictObject({
      heartbeat_ms: z.number().int().positive().optional(),
      shutdown_grace_ms: z.number().int().positive().optional(),
      /** How often a polecat checks its session (alive? idle?); default 1000 ms. */
      session_check_ms: z.number().int().positive().optional(),
      /** A session idle this long with work on its hook is nudged (GUPP); default 120 000 ms. */
      gupp_idle_ms: z.number().int().positive().optional(),
    })
    .optional(),
  /**
   * Niceness of polecat sessions and everything they run (0 to 19, default 19): the workers yield the
   * CPU to the daemon, the refinery and NATS, so a machine saturated by agents still merges and
   * supervises on time. Mayor and crew sessions, which people drive, run at the daemon's niceness.
   */
  polecat_nice: z.number().int().min(0).max(19).optional(),
  /** The agent preset sessions use unless a rig or `--agent` says otherwise (default `claude`). */
  default_agent: z.string().regex(AGENT_NAME_RE, 'an agent name').optional(),
  /** Custom agents, and overrides of built-in presets by name (`gt config agent set`). */
  agents: z.record(z.string().regex(AGENT_NAME_RE, 'an agent name'), agentEntrySchema).optional(),
});

export type TownConfig = z.output<typeof townConfigSchema>;

/** Where things live inside a town. Everything runtime is under `.gt/`, never in the beads repo. */
export interface TownPaths {
  root: string;
  config: string;
  /** The node's beads git repository (its `.beads/` holds beads.db and issues.jsonl). */
  beadsRepo: string;
  beadsDir: string;
  dbPath: string;
  rigs: string;
  runtime: string;
  pidFile: string;
  /** Written by the daemon once it serves commands: `{ pid, url, started_at }`. */
  readyFile: string;
  logFile: string;
  natsDir: string;
  natsConfig: string;
  natsStore: string;
  natsLog: string;
}

export function townPaths(root: string): TownPaths {
  const abs = path.resolve(root);
  const runtime = path.join(abs, '.gt');
  const beadsRepo = path.join(abs, 'beads');
  const natsDir = path.join(runtime, 'nats');
  return {
    root: abs,
    config: path.join(abs, TOWN_FILE),
    beadsRepo,
    beadsDir: path.join(beadsRepo, '.beads'),
    dbPath: path.join(beadsRepo, '.beads', 'beads.db'),
    rigs: path.join(abs, 'rigs'),
    runtime,
    pidFile: path.join(runtime, 'daemon.pid'),
    readyFile: path.join(runtime, 'daemon.ready.json'),
    logFile: path.join(runtime, 'daemon.log'),
    natsDir,
    natsConfig: path.join(natsDir, 'nats.conf'),
    natsStore: path.join(natsDir, 'jetstream'),
    natsLog: path.join(natsDir, 'nats.log'),
  };
}

/** Reads and validates `town.json`; a bad file is a TownError naming the field. */
export function readTownConfig(root: string): TownConfig {
  const file = townPaths(root).config;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new TownError('town.bad_config', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  const parsed = townConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined || issue.path.length === 0 ? '$' : issue.path.join('.');
    throw new TownError(
      'town.bad_config',
      `${file}: field "${field}" ${issue?.message ?? 'is invalid'}; fix it or reinstall with \`gt install\``,
      { details: { file, field } },
    );
  }
  return parsed.data;
}

/** Writes `town.json` atomically with mode 0600 (it holds the bus credentials). */
export function writeTownConfig(root: string, config: TownConfig): void {
  const file = townPaths(root).config;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(townConfigSchema.parse(config), null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * The town root: `explicit` (a `--town` flag), else `$GT_TOWN`, else the first directory upwards from
 * `cwd` holding `town.json`. Returns null when there is none.
 */
export function findTownRoot(
  cwd: string,
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const given =
    explicit ?? (env['GT_TOWN'] !== undefined && env['GT_TOWN'] !== '' ? env['GT_TOWN'] : undefined);
  if (given !== undefined) {
    const abs = path.resolve(cwd, given);
    return fs.existsSync(path.join(abs, TOWN_FILE)) ? abs : null;
  }
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, TOWN_FILE))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** The town root or a TownError telling the user how to get one. */
export function requireTownRoot(cwd: string, explicit?: string): string {
  const root = findTownRoot(cwd, explicit);
  if (root === null)
    throw new TownError(
      'town.not_found',
      explicit === undefined
        ? `no town here (no ${TOWN_FILE} in ${cwd} or above): create one with \`gt install <path>\`, or pass --town`
        : `${explicit} is not a town (no ${TOWN_FILE}): create one with \`gt install ${explicit}\``,
    );
  return root;
}

/** NATS URL(s) and credentials for connecting to the town's bus. */
export function townNats(config: TownConfig): { servers: string[]; user?: string; pass?: string } {
  if (config.nats.mode === 'managed')
    return {
      servers: [`nats://127.0.0.1:${config.nats.port}`],
      user: config.nats.user,
      pass: config.nats.password,
    };
  return {
    servers: config.nats.urls,
    ...(config.nats.user === undefined ? {} : { user: config.nats.user }),
    ...(config.nats.password === undefined ? {} : { pass: config.nats.password }),
  };
}
