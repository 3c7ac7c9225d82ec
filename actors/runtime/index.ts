import type { AgentRuntime, RuntimeKind } from './provider.js';
import { ScriptedRuntime } from './scripted.js';
import { SubprocessRuntime } from './subprocess.js';
import { TmuxRuntime } from './tmux.js';

export {
  DEFAULT_STOP_GRACE_MS,
  NUDGE_FILE_ENV,
  SESSION_ENV,
  type AgentRuntime,
  type AttachCommand,
  type ReadySpec,
  type RuntimeKind,
  type SessionHandle,
  type SessionSpec,
} from './provider.js';
export { RuntimeError, type RuntimeErrorCode } from './runtime-errors.js';
export { pidAlive } from './process.js';
export { nudgeFileFor } from './session-log.js';
export { ScriptedRuntime, scriptedCommand } from './scripted.js';
export { SubprocessRuntime, type NudgeLine } from './subprocess.js';
export { TmuxRuntime, tmuxSocket, type TmuxRuntimeOptions } from './tmux.js';
export { waitReady } from './wait-ready.js';

/** The adapter of `kind` for a town (tmux sessions live on the town's own tmux server). */
export function createRuntime(kind: RuntimeKind, options: { town: string }): AgentRuntime {
  switch (kind) {
    case 'tmux':
      return new TmuxRuntime({ town: options.town });
    case 'subprocess':
      return new SubprocessRuntime();
    case 'scripted':
      return new ScriptedRuntime();
  }
}
export {
  BUILTIN_AGENT_NAMES,
  BUILTIN_PRESETS,
  agentEnvironment,
  beacon,
  buildLaunch,
  builtinPreset,
  type AgentPreset,
  type LaunchSpec,
} from './presets.js';
export { listAgents, resolveAgent, setAgent, removeAgent, setDefaultAgent } from './agent-config.js';
export { writeRoleContext } from './role-context.js';
export { AgentError } from './agent-errors.js';
