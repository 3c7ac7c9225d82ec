import { townContext, withTownReader } from '../town-store.js';
import type { Command } from 'commander';
import { connectToTown, daemonPid } from '../../../actors/daemon/town-client.js';
import { readTownConfig, townPaths } from '../../../actors/town/town-config.js';
import { addToConvoy, convoyProgress, createConvoy, landConvoy, listConvoys } from '../../../beads/convoy.js';
import type { ConvoyProgress } from '../../../beads/convoy.js';
import { GitCommitDebouncer } from '../../../beads/git-sync.js';
import { SqliteBeadStore } from '../../../beads/store.js';
import type { BeadStore } from '../../../beads/store.types.js';
import type { Bead } from '../../../beads/types.js';
import { createEnvelope } from '../../../bus/envelope.js';
import type { MessageBody } from '../../../bus/messages.js';
import { unwrapReply } from '../../../bus/reply.js';
import { cmd } from '../../../bus/subjects.js';
import { printJson, printLines } from '../../bd/output.js';
import type { GtGlobalOptions } from '../program.js';

interface ConvoyFlags extends GtGlobalOptions {
  as?: string;
}

type ConvoyVerb = 'convoy.create' | 'convoy.add' | 'convoy.land';

/** How often `gt convoy show --watch` reads the store. */
const WATCH_POLL_MS = 500;
const BAR_WIDTH = 12;

function context(o: ConvoyFlags): { root: string; town: string; actor: string } {
  const { root, town, me } = townContext(o);
  return { root, town, actor: me };
}

/**
 * A convoy change: a command to the store actor when the daemon runs, else applied here on the store
 * (then flushed and committed).
 */
async function write<T extends ConvoyVerb, R>(
  root: string,
  town: string,
  type: T,
  body: MessageBody<T>,
  direct: (store: BeadStore) => R,
): Promise<R> {
  if (daemonPid(root) !== null) {
    const bus = await connectToTown(readTownConfig(root), 'gt-convoy');
    try {
      const envelope = createEnvelope(type, { from: body.actor, to: `${town}/store`, body });
      return unwrapReply(await bus.request<R>(cmd(town, type), envelope, { timeoutMs: 10_000 }));
    } finally {
      await bus.close(2_000);
    }
  }
  const paths = townPaths(root);
  const store = SqliteBeadStore.open(paths.dbPath);
  const debouncer = new GitCommitDebouncer(store, paths.beadsDir, { message: () => 'gt: convoy changes' });
  try {
    return direct(store);
  } finally {
    await debouncer.close();
    store.close();
  }
}

/** `[████████░░░░]` for closed/total. */
export function progressBar(p: Pick<ConvoyProgress, 'closed' | 'total'>, width = BAR_WIDTH): string {
  const filled = p.total === 0 ? 0 : Math.round((p.closed / p.total) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

/** One convoy on one line: a bar on a terminal, plain text otherwise. */
export function convoyLine(p: ConvoyProgress, tty: boolean): string {
  const state = p.status === 'closed' ? 'landed' : p.status;
  const owned = p.owned ? '  (owned)' : '';
  return tty
    ? `${progressBar(p)} ${p.closed}/${p.total} closed  ${p.title}  ${p.id}${p.status === 'closed' ? '  landed' : ''}${owned}`
    : `${p.id} ${state} ${p.closed}/${p.total} closed, ${p.in_progress} in progress, ${p.open} open  ${p.title}${owned}`;
}

/** The convoy line, then one line per tracked bead. */
export function convoyDetail(p: ConvoyProgress, tty: boolean): string[] {
  const mark = (s: string) =>
    !tty
      ? ''
      : s === 'closed' || s === 'tombstone'
        ? '✓ '
        : s === 'in_progress' || s === 'hooked'
          ? '▶ '
          : '○ ';
  return [
    convoyLine(p, tty),
    ...(p.beads.length === 0
      ? ['  (tracks no beads yet: gt convoy add <id> <beads...>)']
      : p.beads.map(
          (b) =>
            `  ${mark(b.status)}${b.id} ${b.status}  ${b.title}${b.assignee === null ? '' : `  @${b.assignee}`}${b.close_reason === null ? '' : `  (${b.close_reason})`}`,
        )),
  ];
}

function emit(o: GtGlobalOptions, value: unknown, human: () => string[]): void {
  if (o.json === true) printJson(value);
  else printLines(human());
}

const tty = () => process.stdout.isTTY;

/** Redraws the convoy until it lands (in place on a terminal, else a line per change). */
async function watch(root: string, id: string, json: boolean): Promise<void> {
  let last = '';
  let drawn = 0;
  for (;;) {
    const p = withTownReader(root, (store) => convoyProgress(store, id));
    const key = JSON.stringify(p);
    if (key !== last) {
      last = key;
      if (json) process.stdout.write(`${JSON.stringify(p)}\n`);
      else if (tty()) {
        const lines = convoyDetail(p, true);
        process.stdout.write(`${drawn > 0 ? `\x1b[${drawn}A\x1b[J` : ''}${lines.join('\n')}\n`);
        drawn = lines.length;
      } else printLines([convoyLine(p, false)]);
    }
    if (p.status === 'closed') return;
    await new Promise((r) => setTimeout(r, WATCH_POLL_MS));
  }
}

/** Registers `gt convoy create|list|show|add|land` (docs/convoys.md). */
export function registerConvoyCommands(program: Command): void {
  const group = program
    .command('convoy')
    .description('track a batch of beads until every one of them has landed')
    .option('--as <address>', 'who acts (else $GT_AGENT_ADDRESS, $GT_ADDRESS, else <town>/overseer)');

  group
    .command('create')
    .description('create a convoy tracking beads (it lands when all of them are closed)')
    .argument('<title>', 'what the batch delivers')
    .argument('[beads...]', 'beads to track')
    .option('--owned', 'caller-managed: lands only with `gt convoy land`')
    .action(async (title: string, beads: string[], _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<ConvoyFlags & { owned?: boolean }>();
      const { root, town, actor } = context(o);
      const owned = o.owned === true;
      const body = { actor, title, beads, ...(owned ? { owned } : {}) };
      const bead = await write<'convoy.create', Bead>(root, town, 'convoy.create', body, (store) =>
        createConvoy(store, { title, beads, owned, actor }),
      );
      emit(o, bead, () => [
        `Created convoy ${bead.id}: ${bead.title} (tracking ${beads.length === 0 ? 'no beads yet' : `${new Set(beads).size} beads`})`,
      ]);
    });

  group
    .command('list')
    .description('open convoys with their progress (every convoy with --all)')
    .option('-a, --all', 'include landed convoys')
    .action((_o: unknown, c: Command) => {
      const o = c.optsWithGlobals<ConvoyFlags & { all?: boolean }>();
      const { root } = context(o);
      const list = withTownReader(root, (store) => listConvoys(store, { all: o.all === true }));
      emit(o, list, () =>
        list.length === 0
          ? [o.all === true ? 'No convoys.' : 'No open convoys (gt convoy list --all shows landed ones).']
          : list.map((p) => convoyLine(p, tty())),
      );
    });

  group
    .command('show')
    .description("a convoy's progress and its tracked beads")
    .argument('<id>', 'convoy id')
    .option('-w, --watch', `redraw every ${WATCH_POLL_MS} ms until the convoy lands (Ctrl-C stops)`)
    .action(async (id: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<ConvoyFlags & { watch?: boolean }>();
      const { root } = context(o);
      if (o.watch === true) {
        await watch(root, id, o.json === true);
        return;
      }
      const p = withTownReader(root, (store) => convoyProgress(store, id));
      emit(o, p, () => convoyDetail(p, tty()));
    });

  group
    .command('add')
    .description('track more beads (a landed convoy must be reopened first: bd reopen <id>)')
    .argument('<id>', 'convoy id')
    .argument('<beads...>', 'beads to track')
    .action(async (id: string, beads: string[], _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<ConvoyFlags>();
      const { root, town, actor } = context(o);
      const p = await write<'convoy.add', ConvoyProgress>(
        root,
        town,
        'convoy.add',
        { actor, id, beads },
        (store) => addToConvoy(store, id, beads, actor),
      );
      emit(o, p, () => [convoyLine(p, tty())]);
    });

  group
    .command('land')
    .description('land a finished convoy now (how an owned convoy lands); refuses an unfinished one')
    .argument('<id>', 'convoy id')
    .action(async (id: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<ConvoyFlags>();
      const { root, town, actor } = context(o);
      const p = await write<'convoy.land', ConvoyProgress>(
        root,
        town,
        'convoy.land',
        { actor, id },
        (store) => landConvoy(store, id, actor).progress,
      );
      emit(o, p, () => [`Convoy ${p.id} has landed: ${p.title} (${p.closed}/${p.total} closed)`]);
    });
}
