import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { TestProject } from 'vitest/node';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

declare module 'vitest' {
  export interface ProvidedContext {
    /** The `bd` executable built for this test run (see global-setup.ts). */
    bdBin: string;
    /** The `gt` executable built for this test run. */
    gtBin: string;
  }
}

/**
 * Vitest global setup: builds the project once (`tsc -p tsconfig.build.json`, then the CLI bundles of
 * scripts/bundle.mjs) into a private temp directory laid out like the package (`bin/bd.js` next to
 * `dist/`, node_modules linked), so a parallel build of the shared `dist/` cannot swap files under a
 * running test. Type errors elsewhere in the tree are tolerated (tsc still emits); a missing
 * `cli/bd/main.js` or a failed bundle fails the run. Provides `bdBin` and `gtBin`.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-build-'));
  const build = await execa('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', path.join(out, 'dist')], {
    cwd: root,
    reject: false,
  });
  const main = path.join(out, 'dist', 'cli', 'bd', 'main.js');
  if (!fs.existsSync(main)) {
    fs.rmSync(out, { recursive: true, force: true });
    throw new Error(`build did not produce ${main}:\n${build.stdout}\n${build.stderr}`);
  }
  // The bundler resolves the dependencies from the build's own node_modules, as the package does.
  fs.copyFileSync(path.join(root, 'package.json'), path.join(out, 'package.json'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(out, 'node_modules'), 'dir');
  const bundle = await execa(
    process.execPath,
    [path.join(root, 'scripts', 'bundle.mjs'), path.join(out, 'dist')],
    {
      cwd: root,
      reject: false,
    },
  );
  if (bundle.exitCode !== 0) {
    fs.rmSync(out, { recursive: true, force: true });
    throw new Error(`bundling the CLIs failed:\n${bundle.stdout}\n${bundle.stderr}`);
  }
  fs.mkdirSync(path.join(out, 'bin'));
  for (const bin of ['bd.js', 'gt.js', 'gt-scripted-agent.js']) {
    fs.copyFileSync(path.join(root, 'bin', bin), path.join(out, 'bin', bin));
    fs.chmodSync(path.join(out, 'bin', bin), 0o755);
  }
  project.provide('bdBin', path.join(out, 'bin', 'bd.js'));
  project.provide('gtBin', path.join(out, 'bin', 'gt.js'));
  return () => fs.rmSync(out, { recursive: true, force: true });
}
