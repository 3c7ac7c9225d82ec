import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { git } from '../actors/git/git.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The folder of the sample project (plain JavaScript, never compiled): `examples/sample-project/` next
 * to this file when run from source, or two levels up from `dist/examples/` when run from the build.
 */
export function sampleProjectDir(): string {
  for (const dir of [
    path.join(here, 'sample-project'),
    path.resolve(here, '..', '..', 'examples', 'sample-project'),
  ])
    if (fs.existsSync(path.join(dir, 'test.sh'))) return dir;
  throw new Error(`the sample project is missing: expected examples/sample-project/test.sh near ${here}`);
}

/** The identity of the sample project's first commit (the demo's overseer). */
const IDENTITY: Record<string, string> = {
  GIT_AUTHOR_NAME: 'demo overseer',
  GIT_AUTHOR_EMAIL: 'overseer@demo.invalid',
  GIT_COMMITTER_NAME: 'demo overseer',
  GIT_COMMITTER_EMAIL: 'overseer@demo.invalid',
};

/**
 * Makes the rig's upstream for the demo and the tests: copies the sample project into `<dir>/sample`,
 * commits it on `main`, and pushes it to a new bare repository `<dir>/upstream.git` (HEAD = main).
 * `dir` must exist; both paths must not. Returns the bare repository's absolute path.
 */
export async function createSampleUpstream(dir: string): Promise<string> {
  const work = path.resolve(dir, 'sample');
  const bare = path.resolve(dir, 'upstream.git');
  fs.cpSync(sampleProjectDir(), work, { recursive: true, errorOnExist: true, force: false });
  await git(['init', '-q', '--bare', '--initial-branch=main', bare], { cwd: dir });
  await git(['init', '-q', '--initial-branch=main'], { cwd: work });
  await git(['add', '-A'], { cwd: work });
  await git(['commit', '-q', '-m', 'sample-text-utils: capitalize, reverse, isBlank'], {
    cwd: work,
    env: IDENTITY,
  });
  await git(['push', '-q', bare, 'main:main'], { cwd: work });
  return bare;
}
