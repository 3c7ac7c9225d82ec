import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import { unwrapReply } from '../../bus/reply.js';
import { cmd } from '../../bus/subjects.js';
import type { SessionReply } from './session-keeper.js';

/** How long a CLI waits for the daemon to start a session (it clones nothing, but tmux takes a moment). */
export const SESSION_REQUEST_TIMEOUT_MS = 30_000;

/** Asks the town's session keeper to start `agent` (with `preset`, when given). */
export async function requestSessionStart(
  bus: BusConnection,
  town: string,
  agent: string,
  preset?: string,
): Promise<SessionReply> {
  const envelope = createEnvelope('session.start', {
    from: `${town}/overseer`,
    to: agent,
    body: { agent, ...(preset === undefined ? {} : { preset }) },
  });
  return unwrapReply(
    await bus.request<SessionReply>(cmd(town, 'session.start'), envelope, {
      timeoutMs: SESSION_REQUEST_TIMEOUT_MS,
    }),
  );
}

/** Asks the town's session keeper to stop `agent`'s session (it stays stopped). */
export async function requestSessionStop(
  bus: BusConnection,
  town: string,
  agent: string,
): Promise<SessionReply> {
  const envelope = createEnvelope('session.stop', { from: `${town}/overseer`, to: agent, body: { agent } });
  return unwrapReply(
    await bus.request<SessionReply>(cmd(town, 'session.stop'), envelope, {
      timeoutMs: SESSION_REQUEST_TIMEOUT_MS,
    }),
  );
}
