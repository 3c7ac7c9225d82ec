import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The absolute path of `bin/<name>` of this package (found upwards from this module: works from
 * dist/ and from the sources), for GT_BIN / BD_BIN.
 */
export function packageBin(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ;) {
    const candidate = path.join(dir, 'bin', name);
    if (fs.existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(here, '..', '..', '..', 'bin', name);
    dir = up;
  }
}
