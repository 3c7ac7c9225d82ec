import type { Command } from 'commander';
import type { Bead } from '../../../beads/types.js';
import { priorityArg } from '../args.js';
import { withRead, withWrite } from '../context.js';
import { beadList } from '../output.js';
import { commitMessage, emit, optionsOf } from './common.js';

function messageLine(b: Bead): string {
  const read = b.status === 'closed' ? 'read' : 'unread';
  return `${b.id} [P${b.priority}] ${read}  from ${b.sender ?? '?'} to ${b.assignee ?? '?'}: ${b.title}`;
}

function messageDetail(b: Bead): string[] {
  return [messageLine(b), `Date: ${b.created_at}`, '', ...(b.description ?? '').split('\n')];
}

const mail = () => import('../../../beads/mail.js');

/** Registers `mail send|inbox|read|reply|thread`. The actor is the sender and the reader. */
export function registerMailCommands(program: Command): void {
  const cmdMail = program.command('mail').description('messages between agents (beads of type message)');

  cmdMail
    .command('send')
    .description('send a message')
    .argument('<to>', 'recipient')
    .requiredOption('-s, --subject <subject>', 'subject')
    .requiredOption('-m, --message <body>', 'body')
    .option('-p, --priority <p>', 'priority 0-4 or P0-P4')
    .option('--reply-to <id>', 'the message this one answers')
    .action(async (to: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ subject: string; message: string; priority?: string; replyTo?: string }>(cmd);
      const priority = o.priority === undefined ? undefined : priorityArg(o.priority);
      const { sendMail } = await mail();
      const b = await withWrite(
        o,
        async (s) =>
          sendMail(s.store, {
            from: await s.actor(),
            to,
            subject: o.subject,
            body: o.message,
            ...(priority === undefined ? {} : { priority }),
            ...(o.replyTo === undefined ? {} : { replyTo: s.store.resolveId(o.replyTo) }),
          }),
        (x) => commitMessage('mail send', [x.id], x.title),
      );
      emit(o, b, () => [`Sent ${messageLine(b)}`]);
    });

  cmdMail
    .command('inbox')
    .description('messages to the actor (unread; --all for every one)')
    .option('--all', 'include read messages')
    .action(async (_o: unknown, cmd: Command) => {
      const o = optionsOf<{ all?: boolean }>(cmd);
      const { inbox } = await mail();
      const list = await withRead(o, async (s) =>
        inbox(s.store, await s.actor(), { includeRead: o.all === true }),
      );
      emit(o, list, () => (list.length === 0 ? beadList(list, 'No messages.') : list.map(messageLine)));
    });

  cmdMail
    .command('read')
    .description('show a message and mark it read')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<object>(cmd);
      const { readMail } = await mail();
      const b = await withWrite(
        o,
        async (s) => readMail(s.store, s.store.resolveId(id), await s.actor()),
        (x) => commitMessage('mail read', [x.id]),
      );
      emit(o, b, () => messageDetail(b));
    });

  cmdMail
    .command('reply')
    .description('answer a message (to its sender)')
    .argument('<id>')
    .requiredOption('-m, --message <body>', 'body')
    .option('-s, --subject <subject>', 'subject (default Re: <subject>)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ message: string; subject?: string }>(cmd);
      const { replyMail } = await mail();
      const b = await withWrite(
        o,
        async (s) =>
          replyMail(s.store, s.store.resolveId(id), {
            from: await s.actor(),
            body: o.message,
            ...(o.subject === undefined ? {} : { subject: o.subject }),
          }),
        (x) => commitMessage('mail reply', [x.id], x.title),
      );
      emit(o, b, () => [`Sent ${messageLine(b)}`]);
    });

  cmdMail
    .command('thread')
    .description('the whole thread a message belongs to')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<object>(cmd);
      const { mailThread } = await mail();
      const list = await withRead(o, (s) => mailThread(s.store, s.store.resolveId(id)));
      emit(o, list, () => list.flatMap((b, i) => [...(i > 0 ? [''] : []), ...messageDetail(b)]));
    });
}
