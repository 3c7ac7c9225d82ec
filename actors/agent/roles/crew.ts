import type { Prime, PrimeHook } from '../prime.js';
import { branchName, gateLines, type RoleTemplate } from './template.js';

/** A crew member: a long-lived agent in a full clone, directed by a person. */
export const crewRole: RoleTemplate = {
  about: (prime: Prime) => [
    `You are a crew member of rig ${prime.rig ?? '?'}: a long-lived agent in your own full clone of the`,
    'repository, working with the person who attaches to your session. Their direction comes first;',
    'beads hooked to you are work they or the mayor want done.',
  ],
  work: (prime: Prime, hook: PrimeHook) => [
    `1. Read the bead above (\`bd show ${hook.bead.id}\`) and start on it.`,
    `2. Work in ${prime.sandbox ?? 'your clone'} on ${branchName(prime, hook)}; commit with messages that say why.`,
    '3. Run the gates before you share anything:',
    ...gateLines(prime),
    '4. Push, or hand the change on, only the way the person directing you asks. Tell them when it is done.',
    '5. Context window nearly full? `gt handoff`: your next session continues from your hook and mail.',
    '6. Need the mayor? `gt mail send mayor -s "<subject>" -m "<body>"`.',
  ],
  idle: () => [
    'Nothing is hooked to you. Wait for the person directing you, or look at `bd ready` for work they',
    'may want; file new work with `bd create "<title>"`.',
  ],
};
