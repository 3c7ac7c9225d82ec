import type { RoleTemplate } from './template.js';

/** The overseer: the person running the town (outside any agent directory). */
export const overseerRole: RoleTemplate = {
  about: () => [
    'You are the overseer: the person running this town. File work with `bd create`, sling it with',
    '`gt sling <bead> <rig>`, watch it with `gt status` and `gt feed`, and talk to agents with `gt mail`.',
  ],
  work: (_prime, hook) => [`Hooked to you: ${hook.bead.id}. Show it with \`bd show ${hook.bead.id}\`.`],
  idle: () => ['Nothing is hooked to you.'],
};
