import fs from 'node:fs';
import path from 'node:path';
import { formatAddress, parseAddress } from '../../bus/address.js';
import { rigPaths } from '../rig/rig-config.js';

/** The roles `gt prime` knows how to brief. */
export type AgentRole = 'polecat' | 'crew' | 'mayor' | 'deacon' | 'overseer';

/** Who is running a `gt` command inside a town (docs/prime.md). */
export interface AgentIdentity {
  /** Fully qualified: `alpha/web/polecats/nux`, `alpha/mayor`, `alpha/overseer`. */
  address: string;
  role: AgentRole;
  rig: string | null;
  /** The polecat's or crew member's name. */
  name: string | null;
  /** The agent's working directory: a polecat's worktree, a crew clone, `<town>/mayor`. */
  sandbox: string | null;
}

/** What identity resolution looks at. */
export interface IdentityInput {
  cwd: string;
  env: NodeJS.ProcessEnv;
  townRoot: string;
  /** The town's name (town.json `name`). */
  town: string;
}

/** An agent address that cannot name an agent of this town. Code `agent.bad_address`. */
export class AgentIdentityError extends Error {
  readonly code = 'agent.bad_address';
  readonly details: Record<string, unknown>;
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentIdentityError';
    this.details = options.details ?? {};
  }
}

function fromPath(localPath: readonly string[], townRoot: string, town: string): AgentIdentity | null {
  const address = formatAddress({ town, path: [...localPath] });
  const [a, b, c] = localPath;
  if (localPath.length === 1 && a === 'mayor')
    return { address, role: 'mayor', rig: null, name: null, sandbox: path.join(townRoot, 'mayor') };
  if (localPath.length === 1 && a === 'deacon')
    return { address, role: 'deacon', rig: null, name: null, sandbox: path.join(townRoot, 'deacon') };
  if (localPath.length === 1 && a === 'overseer')
    return { address, role: 'overseer', rig: null, name: null, sandbox: null };
  if (localPath.length === 3 && a !== undefined && c !== undefined && (b === 'polecats' || b === 'crew')) {
    const rig = rigPaths(townRoot, a);
    return {
      address,
      role: b === 'polecats' ? 'polecat' : 'crew',
      rig: a,
      name: c,
      sandbox: path.join(b === 'polecats' ? rig.polecats : rig.crew, c),
    };
  }
  return null;
}

/**
 * The identity behind an address (`web/polecats/nux`, `alpha/mayor`, ...). Throws AgentIdentityError
 * when the text is not an address, names another town, or names a role `gt prime` does not brief
 * (witness, refinery, boot, dogs: those are code, not agents).
 */
export function identityFromAddress(text: string, townRoot: string, town: string): AgentIdentity {
  let parsed;
  try {
    parsed = parseAddress(text, town);
  } catch (cause) {
    throw new AgentIdentityError(`${(cause as Error).message}`, { cause, details: { address: text } });
  }
  if (parsed.town !== town)
    throw new AgentIdentityError(
      `${formatAddress(parsed)} belongs to town ${parsed.town}, but this is town ${town}: run the command in that town`,
      { details: { address: text, town } },
    );
  const identity = fromPath(parsed.path, townRoot, town);
  if (identity === null)
    throw new AgentIdentityError(
      `${formatAddress(parsed)} is not an agent with a hook: give a polecat (web/polecats/nux), a crew member (web/crew/max), mayor, deacon or overseer`,
      { details: { address: text } },
    );
  return identity;
}

function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function fromCwd(cwd: string, townRoot: string, town: string): AgentIdentity | null {
  const rel = path.relative(realpath(townRoot), realpath(cwd));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const parts = rel.split(path.sep);
  const [first, rig, group, name] = parts;
  let local: string[] | null = null;
  if (first === 'mayor' || first === 'deacon') local = [first];
  else if (
    first === 'rigs' &&
    rig !== undefined &&
    name !== undefined &&
    (group === 'polecats' || group === 'crew')
  )
    local = [rig, group, name];
  if (local === null) return null;
  try {
    return identityFromAddress(local.join('/'), townRoot, town);
  } catch {
    return null;
  }
}

/**
 * Who runs this command: `$GT_AGENT_ADDRESS` when set (a malformed one is an AgentIdentityError, never
 * silently ignored), else derived from `cwd` (`rigs/<rig>/polecats/<name>/...` is a polecat,
 * `rigs/<rig>/crew/<name>/...` a crew member, `mayor/...` the mayor, `deacon/...` the deacon), else the
 * overseer (`<town>/overseer`).
 */
export function resolveAgentIdentity(input: IdentityInput): AgentIdentity {
  const fromEnv = input.env['GT_AGENT_ADDRESS'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    try {
      return identityFromAddress(fromEnv, input.townRoot, input.town);
    } catch (cause) {
      throw new AgentIdentityError(
        `GT_AGENT_ADDRESS=${JSON.stringify(fromEnv)} is not a valid agent address (${(cause as Error).message}); unset it or fix it (e.g. ${input.town}/web/polecats/nux)`,
        { cause, details: { address: fromEnv } },
      );
    }
  }
  return (
    fromCwd(input.cwd, input.townRoot, input.town) ?? {
      address: formatAddress({ town: input.town, path: ['overseer'] }),
      role: 'overseer',
      rig: null,
      name: null,
      sandbox: null,
    }
  );
}
