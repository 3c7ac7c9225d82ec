import path from 'node:path';
import { execa } from 'execa';
import { git } from '../actors/git/git.js';
import { commitSubjects } from './bead-sets.js';
import type { FiledBead } from './demo-setup.js';
import { mergedClose, type BeadRow } from './demo-progress.js';

/**
 * What must hold in the store at the end: every filed bead closed with a reason starting `Merged in`,
 * and the convoy closed (landed). Returns one sentence per problem (none: all good).
 */
export function checkStore(rows: readonly BeadRow[], filed: readonly FiledBead[], convoy: string): string[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const problems: string[] = [];
  for (const { spec, id } of filed) {
    const b = byId.get(id);
    if (b === undefined) problems.push(`bead ${id} (${spec.key}) is not in the store`);
    else if (!mergedClose(b))
      problems.push(
        `bead ${id} (${spec.key}) is ${b.status}${b.close_reason === undefined ? '' : ` (${b.close_reason})`}, not closed as "Merged in ..."`,
      );
  }
  const c = byId.get(convoy);
  if (c === undefined) problems.push(`convoy ${convoy} is not in the store`);
  else if (c.status !== 'closed') problems.push(`convoy ${convoy} has not landed (status ${c.status})`);
  return problems;
}

/**
 * What must hold upstream: a fresh clone of main (made in `dir`, which must not exist) passes
 * `sh test.sh`, and `git log main` holds each bead's commits exactly once (by subject).
 */
export async function checkUpstream(
  upstream: string,
  dir: string,
  filed: readonly FiledBead[],
): Promise<string[]> {
  await git(['clone', '-q', '--branch', 'main', upstream, dir], { cwd: path.dirname(dir) });
  const problems: string[] = [];
  const tests = await execa('sh', ['test.sh'], { cwd: dir, reject: false, all: true, stdin: 'ignore' });
  if (tests.exitCode !== 0) {
    const output = (tests.all ?? '').trim().split('\n').slice(-15).join('\n');
    problems.push(`sh test.sh fails on a fresh clone of main (exit ${tests.exitCode}):\n${output}`);
  }
  const subjects = (await git(['log', '--format=%s', 'main'], { cwd: dir })).split('\n');
  for (const { spec, id } of filed)
    for (const subject of commitSubjects(spec)) {
      const n = subjects.filter((s) => s === subject).length;
      if (n !== 1)
        problems.push(
          n === 0
            ? `commit "${subject}" of ${id} (${spec.key}) is not on main`
            : `commit "${subject}" of ${id} (${spec.key}) is on main ${n} times`,
        );
    }
  return problems;
}

/** The number of commits on main in the clone `dir`. */
export async function mainCommitCount(dir: string): Promise<number> {
  return Number.parseInt(await git(['rev-list', '--count', 'main'], { cwd: dir }), 10);
}
