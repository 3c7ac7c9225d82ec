import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * The first `<dir>/<rel>` that exists, for `dir` this module's directory and then each directory above
 * it, or null. It finds the package's files from dist/, from the bundled CLIs in dist/cli-bundle/ and
 * from the sources alike (`bin/gt.js` at the package root, `actors/daemon/daemon-main.js` under dist/).
 */
export function findUpwards(rel: string): string | null {
  for (let dir = HERE; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, rel);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

/** The absolute path of `bin/<name>` of this package (see findUpwards), for GT_BIN / BD_BIN. */
export function packageBin(name: string): string {
  return findUpwards(path.join('bin', name)) ?? path.resolve(HERE, '..', '..', '..', 'bin', name);
}
