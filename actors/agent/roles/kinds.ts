import type { Prime, PrimeHook } from '../prime.js';
import { branchName, gateLines } from './template.js';

/** Lines of gate output shown in the text briefing (the JSON carries all of it). */
export const GATE_OUTPUT_LINES = 120;

function gateOutput(output: string): string[] {
  const lines = output.trimEnd().split('\n');
  const shown = lines.slice(-GATE_OUTPUT_LINES);
  return [
    ...(lines.length > shown.length ? [`    ... (${lines.length - shown.length} earlier lines cut)`] : []),
    ...shown.map((l) => `    | ${l}`),
  ];
}

/**
 * What to do first for a hook of kind fix (the gate output, fix, `gt done` again) or conflict (rebase
 * onto `onto`, resolve, commit, `gt done`); nothing for kind work.
 */
export function kindSteps(prime: Prime, hook: PrimeHook): string[] {
  const mr = hook.merge_request?.id ?? 'your merge request';
  const branch = branchName(prime, hook);
  if (hook.kind === 'fix')
    return [
      `FIX: the refinery rejected ${mr}: gate \`${hook.gate ?? '?'}\` failed on your branch ${branch}.`,
      'Its output:',
      ...(hook.gate_output === undefined || hook.gate_output.trim() === ''
        ? ['    (the gate printed nothing)']
        : gateOutput(hook.gate_output)),
      'Find the cause in your change and fix it on the same branch. Do not skip, weaken or delete the',
      'gate or its tests. Commit, run the gates yourself until they pass:',
      ...gateLines(prime),
      'then run `gt done` again: the merge request goes back into the queue.',
      '',
    ];
  if (hook.kind === 'conflict' && hook.conflict !== undefined) {
    const c = hook.conflict;
    return [
      `CONFLICT: rebasing ${branch} onto ${c.onto} conflicted in the refinery (conflict bead ${c.bead}).`,
      ...(c.files.length > 0 ? [`Conflicting files: ${c.files.join(', ')}`] : []),
      'Resolve it in your working directory:',
      `  a. \`git fetch origin\`, then \`git rebase ${c.onto}\`.`,
      '  b. In each conflicted file keep what both sides meant (yours and theirs), `git add <file>`,',
      '     then `git rebase --continue` until the rebase is done. Never drop the other side blindly.',
      '  c. Run the gates:',
      ...gateLines(prime, '     '),
      `  d. Commit anything left, then \`gt done\`: the merge request is re-submitted, and ${c.bead}`,
      `     closes together with ${hook.bead.id} when it merges. Do not close either yourself.`,
      '',
    ];
  }
  return [];
}
