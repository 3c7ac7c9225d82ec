import type { AgentRole } from '../identity.js';
import type { Prime } from '../prime.js';
import { crewRole } from './crew.js';
import { deaconRole } from './deacon.js';
import { kindSteps } from './kinds.js';
import { mayorRole } from './mayor.js';
import { overseerRole } from './overseer.js';
import { polecatRole } from './polecat.js';
import type { RoleTemplate } from './template.js';

export type { RoleTemplate } from './template.js';

/** The briefing template of each role. */
export const ROLE_TEMPLATES: Readonly<Record<AgentRole, RoleTemplate>> = {
  polecat: polecatRole,
  crew: crewRole,
  mayor: mayorRole,
  deacon: deaconRole,
  overseer: overseerRole,
};

/** The role parts of a briefing: `about` (who you are) and `now` (the kind's steps, then the checklist). */
export function renderRole(prime: Prime): { about: string[]; now: string[] } {
  const template = ROLE_TEMPLATES[prime.role];
  const now =
    prime.hook === null
      ? template.idle(prime)
      : [...kindSteps(prime, prime.hook), ...template.work(prime, prime.hook)];
  return { about: template.about(prime), now };
}
