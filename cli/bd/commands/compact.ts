import type { Command } from 'commander';
import { collect, nonNegativeInt } from '../args.js';
import { withRead, withWrite } from '../context.js';
import type { Session } from '../context.js';
import { UsageError } from '../output.js';
import { commitMessage, emit, optionsOf } from './common.js';

interface CompactFlags {
  days?: string;
  dryRun?: boolean;
  id?: string[];
  restore?: string;
}

/** Registers `compact` (tier 1 memory decay of old closed beads) and `compact --restore <id>`. */
export function registerCompactCommands(program: Command): void {
  program
    .command('compact')
    .description('summarise old closed beads (reversible from git history with --restore)')
    .option('--days <n>', 'minimum days since closed (default: config compact_tier1_days or 30)')
    .option('--dry-run', 'report what would be compacted, change nothing')
    .option('--id <ids>', 'only these beads (repeatable, comma)', collect)
    .option('--restore <id>', 'undo compaction of one bead from git history')
    .action(async (_o: unknown, cmd: Command) => {
      const o = optionsOf<CompactFlags>(cmd);
      const lib = await import('../../../beads/compact.js');
      if (o.restore !== undefined) {
        if (o.days !== undefined || o.id !== undefined || o.dryRun === true) {
          throw new UsageError(
            'usage.conflicting_options',
            '--restore cannot be combined with --days, --id or --dry-run',
          );
        }
        const restoreId = o.restore;
        const r = await withWrite(
          o,
          async (s) => lib.restoreCompacted(s.store, s.loc.beadsDir, restoreId, await s.actor()),
          (x) => commitMessage('restore', [x.bead.id]),
        );
        emit(o, { ...r.bead, restored_from_commit: r.commit }, () => [
          `Restored ${r.bead.id} from commit ${r.commit.slice(0, 12)}`,
        ]);
        return;
      }
      const days = o.days === undefined ? undefined : nonNegativeInt(o.days, '--days');
      const run = (s: Session, actor: string) =>
        lib.compact(s.store, {
          actor,
          beadsDir: s.loc.beadsDir,
          ...(days === undefined ? {} : { days }),
          ...(o.id === undefined ? {} : { ids: o.id.map((id) => s.store.resolveId(id)) }),
          ...(o.dryRun === true ? { dryRun: true } : {}),
        });
      const result =
        o.dryRun === true
          ? await withRead(o, async (s) => run(s, await s.actor()))
          : await withWrite(
              o,
              async (s) => run(s, await s.actor()),
              (r) =>
                r.compacted.length === 0
                  ? null
                  : commitMessage(
                      'compact',
                      r.compacted.map((c) => c.id),
                    ),
            );
      emit(o, result, () => [
        `${result.dryRun ? 'Would compact' : 'Compacted'} ${result.compacted.length} bead(s) closed for ${result.days}+ days`,
        ...result.compacted.map((c) => `  ${c.id}: ${c.original_size} -> ${c.compacted_size} bytes`),
        ...result.skipped.map((x) => `  skipped ${x.id}: ${x.reason}`),
      ]);
    });
}
