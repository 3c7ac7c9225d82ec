import type { Command } from 'commander';
import { ValidationError } from '../../../beads/errors.js';
import type { BeadStore, CreateInput, UpdateInput } from '../../../beads/store.types.js';
import type { Bead } from '../../../beads/types.js';
import {
  collect,
  dateArg,
  depsArg,
  issueTypeArg,
  nonNegativeInt,
  priorityArg,
  statusesArg,
} from '../args.js';
import { withRead, withStoreWriter, withWrite } from '../context.js';
import { beadDetail, beadLine, printJson, UsageError } from '../output.js';
import { commitMessage, defined, emit, optionsOf } from './common.js';

interface CreateFlags {
  type?: string;
  priority?: string;
  description?: string;
  design?: string;
  acceptance?: string;
  notes?: string;
  assignee?: string;
  labels?: string[];
  parent?: string;
  deps?: string[];
  id?: string;
  prefix?: string;
  metadata?: string;
  externalRef?: string;
  ephemeral?: boolean;
  defer?: string;
  due?: string;
  estimate?: string;
  silent?: boolean;
  force?: boolean;
}

function addCreateFlags(cmd: Command): Command {
  return cmd
    .option('-t, --type <type>', 'issue type (task, bug, feature, chore, epic, ...)')
    .option('-p, --priority <p>', 'priority 0-4 or P0-P4 (default 2)')
    .option('-d, --description <text>', 'description')
    .option('--design <text>', 'design notes')
    .option('--acceptance <text>', 'acceptance criteria')
    .option('--notes <text>', 'notes')
    .option('-a, --assignee <name>', 'assignee')
    .option('-l, --labels <labels>', 'labels, comma-separated (repeatable)', collect)
    .option('--parent <id>', 'parent bead: the new bead gets id <parent>.N')
    .option('--deps <deps>', 'dependencies: type:id,type:id or bare ids (= blocks)', collect)
    .option('--id <id>', 'explicit id')
    .option('--force', 'accept an explicit id without the store prefix')
    .option('--prefix <prefix>', "id prefix instead of the store's (a rig's beads: web-a3f)")
    .option('--metadata <json>', "structured fields as a JSON object (e.g. a scripted agent's script)")
    .option('--external-ref <ref>', 'external reference (e.g. gh-12)')
    .option('--ephemeral', 'create a wisp (never exported)')
    .option('--defer <date>', 'hide from ready until this ISO 8601 date/date-time')
    .option('--due <date>', 'due ISO 8601 date/date-time')
    .option('-e, --estimate <minutes>', 'estimated minutes');
}

function createInput(title: string, f: CreateFlags, store: BeadStore): CreateInput {
  return defined<CreateInput>({
    title,
    id: f.id,
    prefix: f.prefix,
    metadata: f.metadata === undefined ? undefined : metadataArg(f.metadata),
    force: f.force,
    description: f.description,
    design: f.design,
    acceptance_criteria: f.acceptance,
    notes: f.notes,
    priority: f.priority === undefined ? undefined : priorityArg(f.priority),
    issue_type: f.type === undefined ? undefined : issueTypeArg(f.type),
    assignee: f.assignee,
    estimated_minutes: f.estimate === undefined ? undefined : nonNegativeInt(f.estimate, '--estimate'),
    due_at: f.due === undefined ? undefined : dateArg(f.due, '--due'),
    defer_until: f.defer === undefined ? undefined : dateArg(f.defer, '--defer'),
    external_ref: f.externalRef,
    ephemeral: f.ephemeral,
    labels: f.labels,
    parent: f.parent === undefined ? undefined : store.resolveId(f.parent),
    deps:
      f.deps === undefined ? undefined : depsArg(f.deps).map((d) => ({ ...d, id: store.resolveId(d.id) })),
  });
}

async function runCreate(title: string, cmd: Command, quick: boolean): Promise<void> {
  const o = optionsOf<CreateFlags>(cmd);
  if (title.trim() === '') throw new ValidationError('title must not be empty');
  const bead = await withStoreWriter(
    o,
    async (s) => s.writer.create(createInput(title, o, s.store), await s.actor()),
    (b) => commitMessage('create', [b.id], b.title),
  );
  if (quick || o.silent === true) {
    if (o.json === true) printJson({ id: bead.id });
    else process.stdout.write(`${bead.id}\n`);
    return;
  }
  emit(o, bead, () => [`Created ${beadLine(bead)}`]);
}

interface UpdateFlags {
  title?: string;
  description?: string;
  design?: string;
  acceptance?: string;
  notes?: string;
  appendNotes?: string;
  status?: string;
  priority?: string;
  type?: string;
  assignee?: string;
  claim?: boolean;
  addLabel?: string[];
  removeLabel?: string[];
  setLabels?: string[];
  parent?: string;
  defer?: string;
  due?: string;
  estimate?: string;
  externalRef?: string;
}

const orNull = <T>(v: string | undefined, f: (s: string) => T): T | null | undefined =>
  v === undefined ? undefined : v.trim() === '' ? null : f(v);

function updateInput(f: UpdateFlags, store: BeadStore): UpdateInput {
  let status: string | undefined;
  if (f.status !== undefined) [status] = statusesArg([f.status.trim()], store);
  return defined<UpdateInput>({
    title: f.title,
    description: f.description,
    design: f.design,
    acceptance_criteria: f.acceptance,
    notes: f.notes,
    append_notes: f.appendNotes,
    status,
    priority: f.priority === undefined ? undefined : priorityArg(f.priority),
    issue_type: f.type === undefined ? undefined : issueTypeArg(f.type),
    assignee: orNull(f.assignee, (s) => s),
    add_labels: f.addLabel,
    remove_labels: f.removeLabel,
    set_labels: f.setLabels,
    parent: orNull(f.parent, (s) => store.resolveId(s)),
    defer_until: orNull(f.defer, (s) => dateArg(s, '--defer')),
    due_at: orNull(f.due, (s) => dateArg(s, '--due')),
    estimated_minutes: orNull(f.estimate, (s) => nonNegativeInt(s, '--estimate')),
    external_ref: orNull(f.externalRef, (s) => s),
  });
}

function resolveAll(store: BeadStore, ids: readonly string[]): string[] {
  return ids.map((id) => store.resolveId(id));
}

function showBeads(store: BeadStore, ids: readonly string[]): Bead[] {
  return resolveAll(store, ids).map((id) => {
    const b = store.get(id);
    if (b === null) throw new ValidationError(`bead ${id} vanished while reading it: retry`);
    return b;
  });
}

/** Registers create, q, show, update, close, reopen and delete. */
export function registerIssueCommands(program: Command): void {
  addCreateFlags(program.command('create').description('create a bead').argument('<title>', 'title'))
    .option('--silent', 'print only the id')
    .action((title: string, _o: unknown, cmd: Command) => runCreate(title, cmd, false));

  addCreateFlags(program.command('q').description('quick capture: create and print only the id'))
    .argument('<title>', 'title')
    .action((title: string, _o: unknown, cmd: Command) => runCreate(title, cmd, true));

  program
    .command('show')
    .description('show beads with labels, dependencies (both ways) and comments')
    .argument('<ids...>', 'bead ids')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const o = optionsOf<object>(cmd);
      const shown = await withRead(o, (s) =>
        showBeads(s.store, ids).map((b) => ({ bead: b, up: s.store.dependencies(b.id, 'up') })),
      );
      emit(
        o,
        shown.map((x) => x.bead),
        () => shown.flatMap((x, i) => [...(i > 0 ? [''] : []), ...beadDetail(x.bead, x.up)]),
      );
    });

  program
    .command('update')
    .description('update fields of beads (or --claim them)')
    .argument('<ids...>', 'bead ids')
    .option('--title <title>', 'new title')
    .option('-d, --description <text>', 'description')
    .option('--design <text>', 'design')
    .option('--acceptance <text>', 'acceptance criteria')
    .option('--notes <text>', 'replace notes')
    .option('--append-notes <text>', 'append to notes')
    .option('-s, --status <status>', 'status')
    .option('-p, --priority <p>', 'priority 0-4 or P0-P4')
    .option('-t, --type <type>', 'issue type')
    .option('-a, --assignee <name>', 'assignee ("" clears)')
    .option('--claim', 'claim atomically: assignee = actor, status in_progress')
    .option('--add-label <labels>', 'add labels (repeatable, comma)', collect)
    .option('--remove-label <labels>', 'remove labels (repeatable, comma)', collect)
    .option('--set-labels <labels>', 'replace all labels (comma)', collect)
    .option('--parent <id>', 'reparent ("" removes the parent)')
    .option('--defer <date>', 'defer until ISO 8601 date ("" clears)')
    .option('--due <date>', 'due ISO 8601 date ("" clears)')
    .option('-e, --estimate <minutes>', 'estimated minutes ("" clears)')
    .option('--external-ref <ref>', 'external reference ("" clears)')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const o = optionsOf<UpdateFlags>(cmd);
      const beads = await withStoreWriter(
        o,
        async (s) => {
          const input = updateInput(o, s.store);
          if (Object.keys(input).length === 0 && o.claim !== true) {
            throw new UsageError(
              'usage.nothing_to_update',
              'nothing to update: give at least one field flag or --claim',
            );
          }
          const actor = await s.actor();
          if (s.writer.via === 'direct')
            return s.store.transaction(() =>
              resolveAll(s.store, ids).map((id) => {
                let b = o.claim === true ? s.store.claim(id, actor) : null;
                if (Object.keys(input).length > 0) b = s.store.update(id, input, actor);
                return b as Bead;
              }),
            );
          const out: Bead[] = [];
          for (const id of resolveAll(s.store, ids)) {
            let b = o.claim === true ? await s.writer.claim(id, actor) : null;
            if (Object.keys(input).length > 0) b = await s.writer.update(id, input, actor);
            out.push(b as Bead);
          }
          return out;
        },
        (bs) =>
          commitMessage(
            o.claim === true ? 'claim' : 'update',
            bs.map((b) => b.id),
          ),
      );
      emit(o, beads, () => beads.map((b) => `${o.claim === true ? 'Claimed' : 'Updated'} ${beadLine(b)}`));
    });

  program
    .command('close')
    .description('close beads')
    .argument('<ids...>', 'bead ids')
    .option('-r, --reason <reason>', 'close reason')
    .option('-f, --force', 'close despite open blockers, open children or pinning')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const o = optionsOf<{ reason?: string; force?: boolean }>(cmd);
      const beads = await withStoreWriter(
        o,
        async (s) => {
          const actor = await s.actor();
          const opts = defined<{ reason: string; force: boolean }>({ reason: o.reason, force: o.force });
          if (s.writer.via === 'direct')
            return s.store.transaction(() =>
              resolveAll(s.store, ids).map((id) => s.store.close(id, opts, actor)),
            );
          const out: Bead[] = [];
          for (const id of resolveAll(s.store, ids)) out.push(await s.writer.close(id, opts, actor));
          return out;
        },
        (bs) =>
          commitMessage(
            'close',
            bs.map((b) => b.id),
          ),
      );
      emit(o, beads, () => beads.map((b) => `Closed ${beadLine(b)}`));
    });

  program
    .command('reopen')
    .description('reopen closed beads')
    .argument('<ids...>', 'bead ids')
    .option('-r, --reason <reason>', 'why')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const o = optionsOf<{ reason?: string }>(cmd);
      const beads = await withWrite(
        o,
        async (s) => {
          const actor = await s.actor();
          return s.store.transaction(() =>
            resolveAll(s.store, ids).map((id) => s.store.reopen(id, o.reason, actor)),
          );
        },
        (bs) =>
          commitMessage(
            'reopen',
            bs.map((b) => b.id),
          ),
      );
      emit(o, beads, () => beads.map((b) => `Reopened ${beadLine(b)}`));
    });

  program
    .command('delete')
    .description('delete a bead, leaving a tombstone (preview unless -f)')
    .argument('<id>', 'bead id')
    .option('-r, --reason <reason>', 'why')
    .option('-f, --force', 'really delete')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ reason?: string; force?: boolean }>(cmd);
      if (o.force !== true) {
        const preview = await withRead(o, (s) => {
          const rid = s.store.resolveId(id);
          const bead = showBeads(s.store, [rid])[0] as Bead;
          return { bead, dependents: s.store.dependencies(rid, 'up') };
        });
        emit(
          o,
          { preview: true, id: preview.bead.id, title: preview.bead.title, dependents: preview.dependents },
          () => [
            `Would delete ${beadLine(preview.bead)}`,
            ...preview.dependents.map((d) => `  and its edge from ${d.issue_id} (${d.type})`),
            'Run again with -f to delete.',
          ],
        );
        return;
      }
      const tomb = await withWrite(
        o,
        async (s) => s.store.delete(s.store.resolveId(id), o.reason, await s.actor()),
        (t) => commitMessage('delete', [t.id]),
      );
      emit(o, tomb, () => [`Deleted ${tomb.id}`]);
    });
}

function metadataArg(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('usage.bad_metadata', `--metadata takes a JSON object; got: ${text.slice(0, 60)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError('usage.bad_metadata', '--metadata takes a JSON object, e.g. {"script": [...]}');
  return value as Record<string, unknown>;
}
