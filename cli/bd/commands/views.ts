import type { Command } from 'commander';
import type { BeadStore, ListFilter, ReadyOptions } from '../../../beads/store.types.js';
import {
  collect,
  issueTypeArg,
  listSortArg,
  nonNegativeInt,
  positiveInt,
  priorities,
  priorityArg,
  readySortArg,
  statusesArg,
} from '../args.js';
import { withRead, withWrite } from '../context.js';
import { beadLine, beadList, UsageError } from '../output.js';
import { commitMessage, defined, emit, optionsOf } from './common.js';

interface ListFlags {
  status?: string[];
  all?: boolean;
  type?: string[];
  assignee?: string | false;
  label?: string[];
  labelAny?: string[];
  priority?: string[];
  priorityMin?: string;
  priorityMax?: string;
  parent?: string;
  limit?: string;
  sort?: string;
  reverse?: boolean;
  includeEphemeral?: boolean;
}

/** Adds the filters shared by list, search and count. */
function addListFilters(cmd: Command): Command {
  return cmd
    .option('-s, --status <statuses>', 'statuses, comma-separated (default: all but closed)', collect)
    .option('--all', 'include closed beads')
    .option('-t, --type <types>', 'issue types (repeatable, comma)', collect)
    .option('-a, --assignee <name>', 'assigned to')
    .option('--no-assignee', 'unassigned only')
    .option('-l, --label <labels>', 'has every label (repeatable, comma)', collect)
    .option('--label-any <labels>', 'has at least one of these labels', collect)
    .option('-p, --priority <p>', 'priorities (repeatable, comma)', collect)
    .option('--priority-min <p>', 'priority >= (numerically)')
    .option('--priority-max <p>', 'priority <=')
    .option('--parent <id>', 'descendants of this bead')
    .option('-n, --limit <n>', 'at most n beads')
    .option('--sort <field>', 'priority | created | updated | id')
    .option('-r, --reverse', 'reverse the order')
    .option('--include-ephemeral', 'include wisps');
}

function listFilter(f: ListFlags, store: BeadStore): ListFilter {
  if (f.all === true && f.status !== undefined) {
    throw new UsageError('usage.conflicting_options', '--all and --status cannot be used together');
  }
  return defined<ListFilter>({
    status: f.all === true ? 'all' : f.status === undefined ? undefined : statusesArg(f.status, store),
    type: f.type?.map(issueTypeArg),
    assignee: typeof f.assignee === 'string' ? f.assignee : undefined,
    no_assignee: f.assignee === false ? true : undefined,
    labels: f.label,
    labels_any: f.labelAny,
    priority: f.priority === undefined ? undefined : priorities(f.priority),
    priority_min: f.priorityMin === undefined ? undefined : priorityArg(f.priorityMin),
    priority_max: f.priorityMax === undefined ? undefined : priorityArg(f.priorityMax),
    parent: f.parent === undefined ? undefined : store.resolveId(f.parent),
    limit: f.limit === undefined ? undefined : positiveInt(f.limit, '--limit'),
    sort: f.sort === undefined ? undefined : listSortArg(f.sort),
    reverse: f.reverse,
    include_ephemeral: f.includeEphemeral,
  });
}

interface ReadyFlags {
  limit?: string;
  sort?: string;
  claim?: boolean;
  assignee?: string;
  unassigned?: boolean;
  priority?: string;
  label?: string[];
  labelAny?: string[];
  type?: string[];
  excludeType?: string[];
  includeDeferred?: boolean;
  includeEphemeral?: boolean;
  parent?: string;
}

function readyOptions(f: ReadyFlags, store: BeadStore): ReadyOptions {
  return defined<ReadyOptions>({
    limit: f.limit === undefined ? undefined : positiveInt(f.limit, '--limit'),
    sort: f.sort === undefined ? undefined : readySortArg(f.sort),
    assignee: f.assignee,
    unassigned: f.unassigned,
    priority: f.priority === undefined ? undefined : priorityArg(f.priority),
    labels: f.label,
    labels_any: f.labelAny,
    type: f.type?.map(issueTypeArg),
    exclude_type: f.excludeType?.map(issueTypeArg),
    include_deferred: f.includeDeferred,
    include_ephemeral: f.includeEphemeral,
    parent: f.parent === undefined ? undefined : store.resolveId(f.parent),
  });
}

const GROUPS = {
  byStatus: 'status',
  byType: 'issue_type',
  byPriority: 'priority',
  byAssignee: 'assignee',
  byLabel: 'label',
} as const;

/** Registers list, ready, blocked, stale, search, count and status. */
export function registerViewCommands(program: Command): void {
  addListFilters(program.command('list').description('list beads (default: not closed)')).action(
    async (_o: unknown, cmd: Command) => {
      const o = optionsOf<ListFlags>(cmd);
      const beads = await withRead(o, (s) => s.store.list(listFilter(o, s.store)));
      emit(o, beads, () => beadList(beads));
    },
  );

  program
    .command('ready')
    .description('beads ready to work on (open, unblocked, not deferred)')
    .option('-n, --limit <n>', 'at most n (default 100)')
    .option('-s, --sort <order>', 'priority | hybrid | oldest')
    .option('--claim', 'claim the first claimable ready bead as the actor and print it')
    .option('-a, --assignee <name>', 'assigned to')
    .option('-u, --unassigned', 'unassigned only')
    .option('-p, --priority <p>', 'this priority only')
    .option('-l, --label <labels>', 'has every label', collect)
    .option('--label-any <labels>', 'has one of these labels', collect)
    .option('-t, --type <types>', 'only these types (replaces the default exclusions)', collect)
    .option('--exclude-type <types>', 'leave out these types', collect)
    .option('--include-deferred', 'include deferred beads')
    .option('--include-ephemeral', 'include wisps')
    .option('--parent <id>', 'descendants of this bead')
    .action(async (_o: unknown, cmd: Command) => {
      const o = optionsOf<ReadyFlags>(cmd);
      if (o.claim === true) {
        const bead = await withWrite(
          o,
          async (s) => s.store.claimReady(await s.actor(), readyOptions(o, s.store)),
          (b) => (b === null ? null : commitMessage('claim', [b.id], b.title)),
        );
        emit(o, bead, () => [bead === null ? 'No ready bead to claim.' : `Claimed ${beadLine(bead)}`]);
        return;
      }
      const beads = await withRead(o, (s) => s.store.ready(readyOptions(o, s.store)));
      emit(o, beads, () => beadList(beads, 'No ready beads.'));
    });

  program
    .command('blocked')
    .description('beads blocked by open blockers, with their blockers')
    .option('--parent <id>', 'descendants of this bead')
    .action(async (_o: unknown, cmd: Command) => {
      const o = optionsOf<{ parent?: string }>(cmd);
      const beads = await withRead(o, (s) =>
        s.store.blocked(o.parent === undefined ? {} : { parent: s.store.resolveId(o.parent) }),
      );
      emit(o, beads, () =>
        beads.length === 0
          ? ['No blocked beads.']
          : beads.map((b) => `${beadLine(b)}  blocked by ${b.blocked_by.join(', ')}`),
      );
    });

  program
    .command('stale')
    .description('beads not updated for a while')
    .option('-d, --days <n>', 'days without update (default 30)')
    .option('-s, --status <statuses>', 'statuses (comma)', collect)
    .option('-n, --limit <n>', 'at most n (default 50)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = optionsOf<{ days?: string; status?: string[]; limit?: string }>(cmd);
      const beads = await withRead(o, (s) =>
        s.store.stale(
          defined<{ days: number; status: string[]; limit: number }>({
            days: o.days === undefined ? undefined : nonNegativeInt(o.days, '--days'),
            status: o.status === undefined ? undefined : statusesArg(o.status, s.store),
            limit: o.limit === undefined ? undefined : positiveInt(o.limit, '--limit'),
          }),
        ),
      );
      emit(o, beads, () => beadList(beads, 'No stale beads.'));
    });

  addListFilters(
    program
      .command('search')
      .description('search title, description, notes, external ref, id')
      .argument('<text>'),
  ).action(async (text: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<ListFlags>(cmd);
    const beads = await withRead(o, (s) => s.store.search(text, listFilter(o, s.store)));
    emit(o, beads, () => beadList(beads));
  });

  addListFilters(program.command('count').description('count beads, optionally grouped'))
    .option('--by-status', 'group by status')
    .option('--by-type', 'group by type')
    .option('--by-priority', 'group by priority')
    .option('--by-assignee', 'group by assignee')
    .option('--by-label', 'group by label')
    .action(async (_o: unknown, cmd: Command) => {
      const o = optionsOf<ListFlags & Partial<Record<keyof typeof GROUPS, boolean>>>(cmd);
      const chosen = (Object.keys(GROUPS) as Array<keyof typeof GROUPS>).filter((k) => o[k] === true);
      if (chosen.length > 1)
        throw new UsageError('usage.conflicting_options', 'give at most one --by-* option');
      const field = chosen[0] === undefined ? undefined : GROUPS[chosen[0]];
      const result = await withRead(o, (s) => {
        const filter = listFilter(o, s.store);
        const total = s.store.count(filter);
        return field === undefined
          ? { total, groups: undefined }
          : { total, groups: s.store.countBy(field, filter) };
      });
      if (result.groups === undefined) {
        emit(o, { count: result.total }, () => [String(result.total)]);
        return;
      }
      const groups = result.groups.map((g) => ({ group: g.key, count: g.count }));
      emit(o, { total: result.total, groups }, () => [
        ...groups.map((g) => `${g.group === '' ? '(none)' : g.group}: ${g.count}`),
        `total: ${result.total}`,
      ]);
    });

  program
    .command('status')
    .description('overview of the store')
    .action(async (_o: unknown, cmd: Command) => {
      const o = optionsOf<object>(cmd);
      const stats = await withRead(o, (s) => s.store.statistics());
      emit(o, stats, () => Object.entries(stats).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${String(v)}`));
    });
}
