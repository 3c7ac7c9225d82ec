import { townContext, withTownReader } from '../town-store.js';
import type { Command } from 'commander';
import { daemonPid } from '../../../actors/daemon/town-client.js';
import { DirectStoreWriter } from '../../../actors/store/direct-store-writer.js';
import { daemonWriter } from '../../../actors/store/store-client.js';
import type { StoreWriter } from '../../../actors/store/store-client.js';
import { townPaths } from '../../../actors/town/town-config.js';
import { ValidationError } from '../../../beads/errors.js';
import { getMessage, inbox, mailThread } from '../../../beads/mail.js';
import { SqliteBeadStore } from '../../../beads/store.js';
import type { Bead } from '../../../beads/types.js';
import { formatAddress, parseAddress } from '../../../bus/address.js';
import { priorityArg } from '../../bd/args.js';
import { printJson, printLines } from '../../bd/output.js';
import type { GtGlobalOptions } from '../program.js';

interface MailFlags extends GtGlobalOptions {
  as?: string;
}

const context = (o: MailFlags) => townContext(o);

/** Writes through the daemon when it runs, else on the store directly (then flushed and committed). */
async function withWriter<T>(root: string, town: string, fn: (w: StoreWriter) => Promise<T>): Promise<T> {
  const paths = townPaths(root);
  const writer: StoreWriter =
    daemonPid(root) !== null
      ? await daemonWriter(root)
      : new DirectStoreWriter(SqliteBeadStore.open(paths.dbPath), paths.beadsDir, town);
  try {
    return await fn(writer);
  } finally {
    await writer.close();
  }
}

function line(b: Bead): string {
  return `${b.id} [P${b.priority}] ${b.status === 'closed' ? 'read  ' : 'unread'}  from ${b.sender ?? '?'} to ${b.assignee ?? '?'}: ${b.title}`;
}

function detail(b: Bead): string[] {
  return [line(b), `Date: ${b.created_at}`, '', ...(b.description ?? '').split('\n')];
}

function emit(o: GtGlobalOptions, value: unknown, human: () => string[]): void {
  if (o.json === true) printJson(value);
  else printLines(human());
}

/** Registers `gt mail send|inbox|read|reply|thread|check` (docs/mail.md). */
export function registerMailCommands(program: Command): void {
  const cmd = program
    .command('mail')
    .description('durable mail between agents and people: each message is a bead')
    .option('--as <address>', 'who you are (else $GT_ADDRESS, else <town>/overseer)');

  cmd
    .command('send')
    .description('send a message; delivered at once to a running recipient, read later otherwise')
    .argument('<address>', 'recipient: mayor, web/witness, alpha/web/polecats/nux, beta/mayor')
    .requiredOption('-s, --subject <subject>', 'subject')
    .requiredOption('-m, --message <body>', 'body')
    .option('-p, --priority <p>', 'priority 0-4 or P0-P4 (default 2)')
    .action(async (to: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<MailFlags & { subject: string; message: string; priority?: string }>();
      const { root, town, me } = context(o);
      const priority = o.priority === undefined ? undefined : priorityArg(o.priority);
      const recipient = formatAddress(parseAddress(to, town));
      const sent = await withWriter(root, town, (w) =>
        w.sendMail({
          from: me,
          to: recipient,
          subject: o.subject,
          body: o.message,
          ...(priority === undefined ? {} : { priority }),
        }),
      );
      emit(o, sent, () => [`Sent ${sent.id} to ${recipient}`]);
    });

  cmd
    .command('inbox')
    .description('your messages, newest first: unread ones, or all with --all')
    .option('-a, --all', 'include read messages')
    .action((_o: unknown, c: Command) => {
      const o = c.optsWithGlobals<MailFlags & { all?: boolean }>();
      const { root, me } = context(o);
      const list = withTownReader(root, (store) => inbox(store, me, { includeRead: o.all === true }));
      emit(o, list, () =>
        list.length === 0 ? [`No ${o.all === true ? '' : 'unread '}mail for ${me}.`] : list.map(line),
      );
    });

  cmd
    .command('read')
    .description('show a message and mark it read (only its recipient can)')
    .argument('<id>', 'message id')
    .action(async (id: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<MailFlags>();
      const { root, town, me } = context(o);
      const read = await withWriter(root, town, (w) => w.readMail(id, me));
      emit(o, read, () => detail(read));
    });

  cmd
    .command('reply')
    .description("answer a message: to its sender, subject 'Re: ...', in its thread")
    .argument('<id>', 'message id')
    .requiredOption('-m, --message <body>', 'body')
    .option('-s, --subject <subject>', "subject (default 'Re: <original>')")
    .action(async (id: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<MailFlags & { message: string; subject?: string }>();
      const { root, town, me } = context(o);
      const original = withTownReader(root, (store) => getMessage(store, id));
      const to = original.sender;
      if (to === undefined || to === '')
        throw new ValidationError(`${original.id} has no sender to reply to: send a new message instead`, {
          id: original.id,
        });
      const subject =
        o.subject ?? (/^re:\s/i.test(original.title) ? original.title : `Re: ${original.title}`);
      const sent = await withWriter(root, town, (w) =>
        w.sendMail({ from: me, to, subject, body: o.message, replyTo: original.id }),
      );
      emit(o, sent, () => [`Replied ${sent.id} to ${to}`]);
    });

  cmd
    .command('thread')
    .description('the whole thread of a message, oldest first')
    .argument('<id>', 'any message of the thread')
    .action((id: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<MailFlags>();
      const { root } = context(o);
      const thread = withTownReader(root, (store) => mailThread(store, id));
      emit(o, thread, () => thread.map(line));
    });

  cmd
    .command('check')
    .description('exit 0 when you have unread mail, 1 when not (prints the count unless --quiet)')
    .option('-q, --quiet', 'print nothing')
    .action((_o: unknown, c: Command) => {
      const o = c.optsWithGlobals<MailFlags & { quiet?: boolean }>();
      const { root, me } = context(o);
      const unread = withTownReader(root, (store) => inbox(store, me).length);
      if (o.quiet !== true) emit(o, { address: me, unread }, () => [`${unread} unread for ${me}`]);
      process.exitCode = unread > 0 ? 0 : 1;
    });
}
