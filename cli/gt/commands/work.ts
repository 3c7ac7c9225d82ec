import type { Command } from 'commander';
import { requireTownRoot } from '../../../actors/town/town-config.js';
import type { MessageBody, MessageType } from '../../../bus/messages.js';
import { printJson, printLines, UsageError } from '../../bd/output.js';
import { townRequest } from '../connect.js';
import type { GtGlobalOptions } from '../program.js';

function globals<T>(c: Command): T & GtGlobalOptions {
  return c.optsWithGlobals<T & GtGlobalOptions>();
}

/** Sends one command to the town of the current directory (or `--town`). */
function request<T extends MessageType, R>(
  o: GtGlobalOptions,
  type: T,
  body: MessageBody<T>,
  from: string | null,
  timeoutMs?: number,
): Promise<R> {
  return townRequest<T, R>(requireTownRoot(process.cwd(), o.town), type, body, {
    from,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

/** This agent's address from the session's environment, or null outside an agent session. */
function agentAddress(): string | null {
  const a = process.env['GT_AGENT_ADDRESS'];
  return a === undefined || a === '' ? null : a;
}

interface SlingReply {
  convoy: string | null;
  beads: Array<{ bead: string; title: string; agent: string | null }>;
}

/** Registers `gt sling`, `gt done`, `gt handoff` and `gt polecat add|list`. */
export function registerWorkCommands(program: Command): void {
  program
    .command('sling')
    .description('hook beads (or a convoy) to a rig, a polecat, a crew member or the mayor')
    .argument(
      '<items...>',
      'bead ids or a convoy id, then the target: <rig>, <rig>/<polecat>, <rig>/crew/<name>, mayor',
    )
    .option('--agent <preset>', 'agent preset for this work (else the rig default, else the town default)')
    .option('--no-convoy', 'do not track the beads in a convoy of their own')
    .action(async (items: string[], _o: unknown, c: Command) => {
      const o = globals<{ agent?: string; convoy?: boolean }>(c);
      if (items.length < 2)
        throw new UsageError(
          'usage.sling',
          'gt sling takes one or more beads (or a convoy) and then a target, e.g. gt sling web-a1 web',
        );
      if (process.env['GT_ROLE'] === 'polecat')
        throw new UsageError(
          'usage.sling_polecat',
          'polecats do not sling: finish your own bead and run gt done',
        );
      const target = items[items.length - 1] as string;
      const beads = items.slice(0, -1);
      const reply = await request<'sling', SlingReply>(
        o,
        'sling',
        {
          actor: process.env['BD_ACTOR'] ?? 'overseer',
          beads,
          target,
          ...(o.agent === undefined ? {} : { agent: o.agent }),
          ...(o.convoy === false ? { no_convoy: true } : {}),
        },
        null,
      );
      if (o.json === true) printJson(reply);
      else
        printLines([
          ...(reply.convoy === null ? [] : [`Convoy ${reply.convoy}`]),
          ...reply.beads.map(
            (b) =>
              `${b.bead}  ${b.agent === null ? 'waiting for a polecat' : `hooked to ${b.agent}`}  ${b.title}`,
          ),
        ]);
    });

  program
    .command('done')
    .description('polecats only: push your branch, submit it to the merge queue, and end the session')
    .action(async (_o: unknown, c: Command) => {
      const o = globals<object>(c);
      const agent = agentAddress();
      if (agent === null || !/\/polecats\//.test(agent) || process.env['GT_ROLE'] !== 'polecat')
        throw new UsageError(
          'usage.done_outside_polecat',
          'gt done runs inside a polecat session (GT_ROLE=polecat, GT_AGENT_ADDRESS set): a person merges with the refinery, not gt done',
        );
      const reply = await request<
        'polecat.done',
        { mr: string; branch: string; sha: string; already: boolean }
      >(o, 'polecat.done', { agent }, agent, 180_000);
      if (o.json === true) printJson(reply);
      else
        printLines([
          reply.already
            ? `Already submitted: ${reply.branch} (${reply.sha.slice(0, 12)}) is in the merge queue as ${reply.mr}`
            : `Submitted ${reply.branch} (${reply.sha.slice(0, 12)}) as ${reply.mr}: the refinery merges it; your bead closes when it lands`,
        ]);
    });

  program
    .command('handoff')
    .description('end this session with a handoff mail to yourself; a fresh session continues the hook')
    .option('-s, --subject <subject>', 'subject of the handoff mail')
    .option('-m, --message <text>', 'what the next session needs to know')
    .action(async (_o: unknown, c: Command) => {
      const o = globals<{ subject?: string; message?: string }>(c);
      const agent = agentAddress();
      if (agent === null)
        throw new UsageError('usage.handoff_outside_agent', 'gt handoff runs inside an agent session');
      const reply = await request<'agent.handoff', { agent: string; mail: string }>(
        o,
        'agent.handoff',
        {
          agent,
          ...(o.subject === undefined ? {} : { subject: o.subject }),
          ...(o.message === undefined ? {} : { message: o.message }),
        },
        agent,
      );
      if (o.json === true) printJson(reply);
      else printLines([`Handed off (mail ${reply.mail}); a new session of ${reply.agent} takes over`]);
    });

  const polecat = program
    .command('polecat')
    .description("a rig's polecats: persistent identities with reusable sandboxes");
  polecat
    .command('add')
    .description("add idle polecats to a rig's pool, each with its sandbox ready")
    .argument('<rig>', 'the rig')
    .argument('[names...]', 'names (default: the next free names of the pool)')
    .option('-n, --count <n>', 'how many pool names to add', '1')
    .action(async (rig: string, names: string[], _o: unknown, c: Command) => {
      const o = globals<{ count: string }>(c);
      const count = Number(o.count);
      if (!Number.isInteger(count) || count < 1 || count > 100)
        throw new UsageError('usage.bad_count', `--count takes 1 to 100; got ${o.count}`);
      const reply = await request<'polecat.add', { rig: string; polecats: string[] }>(
        o,
        'polecat.add',
        names.length > 0 ? { rig, names } : { rig, count },
        null,
        // The reply comes once each new polecat's sandbox (a git worktree) exists.
        30_000 + 1_000 * (names.length > 0 ? names.length : count),
      );
      if (o.json === true) printJson(reply);
      else printLines([`Rig ${reply.rig}: ${reply.polecats.join(', ')}`]);
    });
}
