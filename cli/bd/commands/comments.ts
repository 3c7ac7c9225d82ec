import type { Command } from 'commander';
import { ValidationError } from '../../../beads/errors.js';
import type { BeadEvent } from '../../../beads/types.js';
import { positiveInt } from '../args.js';
import { withRead, withWrite } from '../context.js';
import { commentLine, UsageError } from '../output.js';
import { emit, optionsOf } from './common.js';

async function addComment(cmd: Command, id: string, text: string): Promise<void> {
  const o = optionsOf<object>(cmd);
  if (text.trim() === '') throw new ValidationError('comment text must not be empty');
  const c = await withWrite(
    o,
    async (s) => s.store.addComment(s.store.resolveId(id), text, await s.actor()),
    (x) => `bd: comment ${x.issue_id}`,
  );
  emit(o, c, () => [`Comment added to ${c.issue_id}`]);
}

function eventLine(e: BeadEvent): string {
  const change =
    e.old_value !== undefined && e.old_value !== ''
      ? `: ${e.old_value} -> ${e.new_value ?? ''}`
      : e.new_value !== undefined && e.new_value !== ''
        ? `: ${e.new_value}`
        : '';
  const note = e.comment !== undefined && e.comment !== '' ? ` (${e.comment})` : '';
  return `[${e.created_at}] ${e.actor} ${e.event_type}${change}${note}`;
}

/** Registers `comment`, `comments [add]` and `events`. */
export function registerCommentCommands(program: Command): void {
  program
    .command('comment')
    .description('add a comment')
    .argument('<id>')
    .argument('<text>')
    .action((id: string, text: string, _o: unknown, cmd: Command) => addComment(cmd, id, text));

  const comments = program
    .command('comments')
    .description('comments of a bead (`comments add <id> <text>` adds one)')
    .argument('[id]')
    .action(async (id: string | undefined, _o: unknown, cmd: Command) => {
      if (id === undefined) throw new UsageError('usage.missing_argument', "missing required argument 'id'");
      const o = optionsOf<object>(cmd);
      const list = await withRead(o, (s) => s.store.comments(s.store.resolveId(id)));
      emit(o, list, () => (list.length === 0 ? ['No comments.'] : list.map(commentLine)));
    });
  comments
    .command('add')
    .argument('<id>')
    .argument('<text>')
    .action((id: string, text: string, _o: unknown, cmd: Command) => addComment(cmd, id, text));

  program
    .command('events')
    .description('audit trail of a bead')
    .argument('<id>')
    .option('-n, --limit <n>', 'at most n events')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ limit?: string }>(cmd);
      const events = await withRead(o, (s) =>
        s.store.events(
          s.store.resolveId(id),
          o.limit === undefined ? undefined : positiveInt(o.limit, '--limit'),
        ),
      );
      emit(o, events, () => (events.length === 0 ? ['No events.'] : events.map(eventLine)));
    });
}
