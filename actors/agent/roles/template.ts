import type { Prime, PrimeHook } from '../prime.js';

/** One role's briefing text: who the agent is, and what to do with or without work on its hook. */
export interface RoleTemplate {
  /** Who this agent is and how it works. */
  about(prime: Prime): string[];
  /** The checklist when `hook` holds work (after the kind's own steps, for fix and conflict). */
  work(prime: Prime, hook: PrimeHook): string[];
  /** What to do when nothing is hooked. */
  idle(prime: Prime): string[];
}

/** `prime`'s gates as checklist lines (`   - test: npm test`), or a line saying there are none. */
export function gateLines(prime: Prime, pad = '   '): string[] {
  if (prime.gates.length === 0)
    return [`${pad}(rig ${prime.rig ?? '?'} defines no gates: run the project's own tests and linters)`];
  return prime.gates.map((g) => `${pad}- ${g.name}: \`${g.cmd}\``);
}

/** The branch to name in instructions: the sandbox's, else the merge request's, else a description. */
export function branchName(prime: Prime, hook: PrimeHook | null): string {
  return prime.branch ?? hook?.merge_request?.branch ?? "your sandbox's current branch";
}
