import type { Command } from 'commander';
import type { TreeNode } from '../../../beads/store.types.js';
import type { Dependency } from '../../../beads/types.js';
import { depTypeArg, directionArg, positiveInt } from '../args.js';
import { withRead, withWrite } from '../context.js';
import { UsageError } from '../output.js';
import { emit, optionsOf } from './common.js';

function edgeLine(d: Dependency): string {
  return `${d.issue_id} -> ${d.depends_on_id} (${d.type})`;
}

function treeLine(n: TreeNode): string {
  const edge = n.depth === 0 ? '' : `(${n.dep_type}) `;
  const more = n.truncated ? ' ...' : '';
  return `${'  '.repeat(n.depth)}${edge}${n.id} [P${n.priority}] [${n.issue_type}] ${n.status}  ${n.title}${more}`;
}

async function addEdge(cmd: Command, issue: string, dependsOn: string, type: string): Promise<void> {
  const o = optionsOf<object>(cmd);
  const dep = await withWrite(
    o,
    async (s) =>
      s.store.addDependency(
        s.store.resolveId(issue),
        s.store.resolveId(dependsOn),
        depTypeArg(type),
        await s.actor(),
      ),
    (d) => `bd: dep add ${d.issue_id} ${d.type} ${d.depends_on_id}`,
  );
  emit(o, dep, () => [`Added ${edgeLine(dep)}`]);
}

/** Registers `dep` (add, remove|rm, list, tree, cycles, and `dep <blocker> --blocks <blocked>`). */
export function registerDepCommands(program: Command): void {
  const dep = program
    .command('dep')
    .description('dependencies between beads')
    .argument('[blocker]', 'with --blocks: the bead that blocks')
    .option('--blocks <blocked>', 'add a blocks edge: <blocked> depends on <blocker>')
    .action(async (blocker: string | undefined, o: { blocks?: string }, cmd: Command) => {
      if (blocker === undefined || o.blocks === undefined) {
        throw new UsageError(
          'usage.missing_subcommand',
          'use `bd dep add|remove|list|tree|cycles ...` or `bd dep <blocker> --blocks <blocked>`',
        );
      }
      await addEdge(cmd, o.blocks, blocker, 'blocks');
    });

  dep
    .command('add')
    .description('<issue> depends on <depends-on> (default type blocks)')
    .argument('<issue>')
    .argument('<depends-on>')
    .option('-t, --type <type>', 'edge type', 'blocks')
    .action((issue: string, on: string, o: { type: string }, cmd: Command) =>
      addEdge(cmd, issue, on, o.type),
    );

  dep
    .command('remove')
    .alias('rm')
    .description('remove the edge <issue> -> <depends-on>')
    .argument('<issue>')
    .argument('<depends-on>')
    .action(async (issue: string, on: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<object>(cmd);
      const result = await withWrite(
        o,
        async (s) => {
          const from = s.store.resolveId(issue);
          const to = s.store.resolveId(on);
          return { from, to, removed: s.store.removeDependency(from, to, await s.actor()) };
        },
        (r) => (r.removed ? `bd: dep remove ${r.from} ${r.to}` : null),
      );
      emit(o, { issue_id: result.from, depends_on_id: result.to, removed: result.removed }, () => [
        result.removed ? `Removed ${result.from} -> ${result.to}` : `No edge ${result.from} -> ${result.to}`,
      ]);
    });

  dep
    .command('list')
    .description('edges of a bead')
    .argument('<id>')
    .option('--direction <dir>', 'down: what it depends on; up: its dependents', 'down')
    .option('-t, --type <type>', 'only this edge type')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ direction: string; type?: string }>(cmd);
      const direction = directionArg(o.direction);
      const deps = await withRead(o, (s) =>
        s.store.dependencies(
          s.store.resolveId(id),
          direction,
          o.type === undefined ? undefined : depTypeArg(o.type),
        ),
      );
      emit(o, deps, () => (deps.length === 0 ? ['No dependencies.'] : deps.map(edgeLine)));
    });

  dep
    .command('tree')
    .description('dependency tree of a bead')
    .argument('<id>')
    .option('--direction <dir>', 'down (what it depends on) or up (dependents)', 'down')
    .option('-d, --max-depth <n>', 'maximum depth (default 50)')
    .option('-t, --type <type>', 'only this edge type')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ direction: string; maxDepth?: string; type?: string }>(cmd);
      const direction = directionArg(o.direction);
      const nodes = await withRead(o, (s) =>
        s.store.depTree(s.store.resolveId(id), {
          direction,
          ...(o.maxDepth === undefined ? {} : { maxDepth: positiveInt(o.maxDepth, '--max-depth') }),
          ...(o.type === undefined ? {} : { type: depTypeArg(o.type) }),
        }),
      );
      emit(o, nodes, () => nodes.map(treeLine));
    });

  dep
    .command('cycles')
    .description('blocking cycles (should be none)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = optionsOf<object>(cmd);
      const cycles = await withRead(o, (s) => s.store.cycles());
      emit(o, cycles, () =>
        cycles.length === 0 ? ['No cycles.'] : cycles.map((c) => [...c, c[0] ?? ''].join(' -> ')),
      );
    });
}
