import type { Command } from 'commander';
import { withRead, withWrite } from '../context.js';
import { emit, optionsOf } from './common.js';

/** Registers `label add|remove|list|list-all`. */
export function registerLabelCommands(program: Command): void {
  const label = program.command('label').description('labels of beads');

  for (const verb of ['add', 'remove'] as const) {
    label
      .command(verb)
      .description(`${verb} a label`)
      .argument('<id>')
      .argument('<label>')
      .action(async (id: string, name: string, _o: unknown, cmd: Command) => {
        const o = optionsOf<object>(cmd);
        const r = await withWrite(
          o,
          async (s) => {
            const rid = s.store.resolveId(id);
            const actor = await s.actor();
            const changed =
              verb === 'add' ? s.store.addLabel(rid, name, actor) : s.store.removeLabel(rid, name, actor);
            return { id: rid, label: name, changed, labels: s.store.labels(rid) };
          },
          (x) => (x.changed ? `bd: label ${verb} ${x.id} ${x.label}` : null),
        );
        const done = verb === 'add' ? 'Added' : 'Removed';
        emit(o, r, () => [
          r.changed
            ? `${done} label ${r.label} ${verb === 'add' ? 'to' : 'from'} ${r.id}`
            : `${r.id}: no change`,
        ]);
      });
  }

  label
    .command('list')
    .description('labels of a bead')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<object>(cmd);
      const labels = await withRead(o, (s) => s.store.labels(s.store.resolveId(id)));
      emit(o, labels, () => (labels.length === 0 ? ['No labels.'] : labels));
    });

  label
    .command('list-all')
    .description('every label with its count')
    .action(async (_o: unknown, cmd: Command) => {
      const o = optionsOf<object>(cmd);
      const all = await withRead(o, (s) => s.store.allLabels());
      emit(o, all, () => (all.length === 0 ? ['No labels.'] : all.map((l) => `${l.label} (${l.count})`)));
    });
}
