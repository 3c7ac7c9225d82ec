/**
 * Polecat names, in the order they are handed out (a wasteland theme: short, distinct, easy to say).
 * Past the list, names are `<rig>-<n>`.
 */
export const POLECAT_NAMES: readonly string[] = [
  'nux',
  'slit',
  'toast',
  'capable',
  'dag',
  'cheedo',
  'ace',
  'morsov',
  'keeper',
  'rictus',
  'scrotus',
  'valkyrie',
  'corpus',
  'organic',
  'joe',
  'furiosa',
  'max',
  'glory',
  'splendid',
  'angharad',
  'gutgash',
  'bullet',
  'buzzard',
  'doof',
  'tallow',
  'rust',
  'sparks',
  'wrench',
  'piston',
  'gasket',
  'rivet',
  'clutch',
  'axle',
  'diesel',
  'nitro',
  'torque',
  'chrome',
  'ratchet',
  'sprocket',
  'crank',
  'dust',
  'ember',
  'flint',
  'grit',
  'hex',
  'ivy',
  'jolt',
  'kettle',
  'latch',
  'mesa',
];

/** Names a rig must not give a polecat (town addresses and role words). */
const RESERVED = new Set([
  'mayor',
  'deacon',
  'boot',
  'witness',
  'refinery',
  'crew',
  'polecats',
  'dogs',
  'overseer',
]);

/** The first pool name not in `taken`. */
export function nextPolecatName(rig: string, taken: ReadonlySet<string>): string {
  for (const n of POLECAT_NAMES) if (!taken.has(n) && !RESERVED.has(n)) return n;
  for (let i = 1; ; i++) {
    const n = `${rig}-${i}`;
    if (!taken.has(n)) return n;
  }
}
