// Bundles the three command-line entry points (gt, bd, the scripted agent) from a compiled dist/ into
// <dist>/cli-bundle/, one ES module each plus shared chunks, so that starting a CLI reads a handful of
// files instead of several hundred (zod alone is about a hundred modules). Every agent session runs
// `gt prime` and `gt done`, so this start-up cost is paid per bead. Command groups that are imported
// lazily stay lazy (code splitting). better-sqlite3 (a native addon) and pino (its transports load
// worker files by path) stay external and load from node_modules.
// Usage: node scripts/bundle.mjs [distDir]   (default: dist next to this script)
import console from 'node:console';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
const outdir = path.join(dist, 'cli-bundle');
const entryPoints = {
  gt: path.join(dist, 'cli', 'gt', 'main.js'),
  bd: path.join(dist, 'cli', 'bd', 'main.js'),
  'scripted-agent': path.join(dist, 'cli', 'scripted-agent', 'main.js'),
};
for (const file of Object.values(entryPoints))
  if (!fs.existsSync(file)) {
    console.error(`bundle: ${file} is missing: build dist/ first (npx tsc -p tsconfig.build.json)`);
    process.exit(1);
  }

fs.rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external: ['better-sqlite3', 'pino'],
  // CommonJS dependencies (commander, tweetnacl) call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __gtCreateRequire } from 'node:module';\nconst require = __gtCreateRequire(import.meta.url);",
  },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  legalComments: 'none',
});
