import path from 'node:path';
import { formatAddress, parseAddress } from '../../bus/address.js';
import { rigPaths } from '../rig/rig-config.js';
import type { TownPaths } from '../town/town-config.js';
import { SessionError } from './session-errors.js';

/** An agent with a long-lived session: the mayor, or a crew member of a rig. */
export type SessionAgent =
  { role: 'mayor'; address: string } | { role: 'crew'; address: string; rig: string; name: string };

/**
 * The session agent at `text` (`mayor`, `web/crew/max`, `alpha/web/crew/max`) in `town`; any other
 * address is `session.bad_agent`.
 */
export function sessionAgent(text: string, town: string): SessionAgent {
  const address = parseAddress(text, town);
  const [a, b, c] = address.path;
  if (address.town === town && address.path.length === 1 && a === 'mayor')
    return { role: 'mayor', address: formatAddress(address) };
  if (
    address.town === town &&
    address.path.length === 3 &&
    b === 'crew' &&
    a !== undefined &&
    c !== undefined
  )
    return { role: 'crew', address: formatAddress(address), rig: a, name: c };
  throw new SessionError(
    'session.bad_agent',
    `${text} has no long-lived session: use mayor or <rig>/crew/<name> of town ${town}`,
    { details: { agent: text, town } },
  );
}

/** The tmux session name: `mayor`, `<rig>-crew-<name>`. */
export function sessionName(agent: SessionAgent): string {
  return agent.role === 'mayor' ? 'mayor' : `${agent.rig}-crew-${agent.name}`;
}

/** The working directory: `<town>/mayor/`, `<town>/rigs/<rig>/crew/<name>/`. */
export function sessionCwd(paths: TownPaths, agent: SessionAgent): string {
  return agent.role === 'mayor'
    ? path.join(paths.root, 'mayor')
    : path.join(rigPaths(paths.root, agent.rig).crew, agent.name);
}

/** The key of the session machine's snapshot in the store's actor_state table. */
export function sessionStateKey(agent: SessionAgent): string {
  return `${agent.address}/session`;
}
