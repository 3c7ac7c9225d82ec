/** The town CLIs the agent talks through. */
export type TownTool = 'gt' | 'bd';

/**
 * The command line that runs `tool` with `args`: `node $GT_BIN ...` (or `$BD_BIN`) when the variable is
 * set, else `gt`/`bd` from PATH.
 */
export function townCommand(
  tool: TownTool,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { file: string; args: string[] } {
  const bin = env[tool === 'gt' ? 'GT_BIN' : 'BD_BIN'];
  return bin !== undefined && bin !== ''
    ? { file: process.execPath, args: [bin, ...args] }
    : { file: tool, args: [...args] };
}

/**
 * The environment for the town CLIs: the agent's own, with `GT_ADDRESS` defaulting to
 * `GT_AGENT_ADDRESS` so mail and other verbs act as this agent.
 */
export function townEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const address = env['GT_AGENT_ADDRESS'];
  return env['GT_ADDRESS'] === undefined && address !== undefined
    ? { ...env, GT_ADDRESS: address }
    : { ...env };
}
