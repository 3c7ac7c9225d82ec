import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { GuardError, ValidationError } from '../../../beads/errors.js';
import type { ImportSummary } from '../../../beads/store.types.js';
import { autoCommitEnabled, DB_FILE, withRead, withWrite } from '../context.js';
import { emit, optionsOf } from './common.js';
import { findUpwards } from '../../../actors/session/package-bin.js';

/** A prefix from a directory name: lower case, letters/digits/dashes, default `bd`. */
export function sanitizePrefix(name: string): string {
  const p = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return p === '' ? 'bd' : p;
}

/** Absolute path of `bin/bd.js`, found by walking up from this module (works from dist/ and from source). */
export function binPath(): string {
  const bin = findUpwards(path.join('bin', 'bd.js'));
  if (bin === null) throw new Error('cannot find bin/bd.js above the bd CLI module: is the package intact?');
  return bin;
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function summaryLine(s: ImportSummary): string {
  return `Imported: ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ${s.skipped} skipped (local newer), ${s.deleted} deleted`;
}

/** Registers init, export, import and merge (the git merge driver entry). */
export function registerSyncCommands(program: Command): void {
  program
    .command('init')
    .description('create a beads store in <dir>/.beads (default: the current directory)')
    .argument('[dir]', 'project directory')
    .option('--prefix <prefix>', 'id prefix (default: the directory name)')
    .action(async (dir: string | undefined, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ prefix?: string }>(cmd);
      const root = path.resolve(dir ?? '.');
      const prefix = o.prefix ?? sanitizePrefix(path.basename(root));
      if (!/^[a-z0-9][a-z0-9-]*$/i.test(prefix)) {
        throw new ValidationError(
          `prefix must be letters, digits and dashes, starting with a letter or digit, got "${prefix}"`,
          { prefix },
        );
      }
      const beadsDir = path.join(root, '.beads');
      const dbPath = path.join(beadsDir, DB_FILE);
      if (fs.existsSync(dbPath)) {
        throw new GuardError('store.exists', `a beads store already exists at ${dbPath}: nothing to do`, {
          path: dbPath,
        });
      }
      fs.mkdirSync(beadsDir, { recursive: true });
      const [{ SqliteBeadStore }, sync] = await Promise.all([
        import('../../../beads/store.js'),
        import('../../../beads/git-sync.js'),
      ]);
      const store = SqliteBeadStore.create(dbPath, prefix);
      try {
        await sync.initBeadsDir(beadsDir, { driverCommand: `node ${binPath()}` });
        sync.flush(store, beadsDir);
        if (autoCommitEnabled(o)) await sync.commit(beadsDir, `bd: init (prefix ${prefix})`);
      } finally {
        store.close();
      }
      emit(o, { path: dbPath, beads_dir: beadsDir, prefix }, () => [
        `Initialised beads store ${dbPath} (prefix ${prefix})`,
      ]);
    });

  program
    .command('export')
    .description('write the JSONL export to stdout or -o <file>')
    .option('-o, --output <file>', 'write to this file')
    .option('--all', 'include wisps (ephemeral beads)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = optionsOf<{ output?: string; all?: boolean }>(cmd);
      const includeEphemeral = o.all === true;
      if (o.output !== undefined) {
        const file = path.resolve(o.output);
        await withRead(o, async (s) => {
          const { exportToFile } = await import('../../../beads/export-file.js');
          exportToFile(s.store, file, { includeEphemeral });
        });
        emit(o, { path: file }, () => [`Exported to ${file}`]);
        return;
      }
      const text = await withRead(o, async (s) => {
        const { exportText } = await import('../../../beads/export-file.js');
        return exportText(s.store, { includeEphemeral });
      });
      process.stdout.write(text);
    });

  program
    .command('import')
    .description('import a JSONL file, a beads directory, or - (stdin); all or nothing')
    .argument('<source>', 'file, directory, or -')
    .option('--force', 'replace beads even when the local copy is newer')
    .action(async (source: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ force?: boolean }>(cmd);
      const text = source === '-' ? await readStdin() : null;
      const file = source === '-' ? '<stdin>' : path.resolve(source);
      const summary = await withWrite(
        o,
        async (s) => {
          const io = await import('../../../beads/import-file.js');
          const opts = { actor: await s.actor(), ...(o.force === true ? { force: true } : {}) };
          return text === null
            ? io.importPath(s.store, file, opts)
            : io.importText(s.store, text, file, opts);
        },
        (r) =>
          `bd: import ${path.basename(file)} (${r.created} created, ${r.updated} updated, ${r.deleted} deleted)`,
      );
      emit(o, summary, () => [summaryLine(summary)]);
    });

  program
    .command('merge')
    .description('git merge driver: bd merge %A %O %A %B (writes the result to <output>)')
    .argument('<output>')
    .argument('<base>')
    .argument('<ours>')
    .argument('<theirs>')
    .action(async (output: string, base: string, ours: string, theirs: string) => {
      const { runMergeDriver } = await import('../../../beads/merge-driver.js');
      if (path.resolve(output) !== path.resolve(ours)) fs.copyFileSync(ours, output);
      const code = runMergeDriver(path.resolve(output), path.resolve(base), path.resolve(theirs));
      process.exitCode = code;
    });
}
