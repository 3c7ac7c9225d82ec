import path from 'node:path';
import { execa } from 'execa';
import { addRig } from '../../../actors/rig/rig-add.js';
import { rigPaths } from '../../../actors/rig/rig-config.js';
import type { RigPaths } from '../../../actors/rig/rig-config.js';
import { installTown } from '../../../actors/town/install.js';
import { createUpstream } from '../../harness/work-town.js';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'gt test',
  GIT_AUTHOR_EMAIL: 'gt-test@example.com',
  GIT_COMMITTER_NAME: 'gt test',
  GIT_COMMITTER_EMAIL: 'gt-test@example.com',
};

/** Real git in `cwd` with a test identity (fixtures and assertions only); trimmed stdout. */
export const git = async (cwd: string, ...args: string[]): Promise<string> =>
  (await execa('git', args, { cwd, env: { ...process.env, ...GIT_ENV } })).stdout.trim();

/** A town `alpha` in `dir` with rig `app` on a fresh upstream holding one README with `readme`. */
export async function polecatRig(
  dir: string,
  readme: string,
): Promise<{ root: string; upstream: string; rig: RigPaths }> {
  const upstream = await createUpstream(dir, { 'README.md': readme });
  const root = path.join(dir, 'alpha');
  await installTown(root, { name: 'alpha' });
  await addRig(root, { name: 'app', url: upstream, gates: [] });
  return { root, upstream, rig: rigPaths(root, 'app') };
}
