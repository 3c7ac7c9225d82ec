import type { Command } from 'commander';
import { identityFromAddress, resolveAgentIdentity } from '../../../actors/agent/identity.js';
import type { AgentIdentity } from '../../../actors/agent/identity.js';
import {
  buildPrime,
  findHook,
  PrimeError,
  readRigBriefing,
  renderPrime,
  renderPrimeFailure,
} from '../../../actors/agent/prime.js';
import type { PrimeHook } from '../../../actors/agent/prime.js';
import {
  DEFAULT_TAIL_LINES,
  listSessions,
  pickSession,
  readSessionTail,
} from '../../../actors/agent/seance.js';
import { daemonPid } from '../../../actors/daemon/town-client.js';
import { readTownConfig, requireTownRoot, townPaths } from '../../../actors/town/town-config.js';
import { SqliteBeadStore } from '../../../beads/store.js';
import type { BeadStore } from '../../../beads/store.types.js';
import { formatAddress, parseAddress } from '../../../bus/address.js';
import { printJson, printLines, UsageError } from '../../bd/output.js';
import type { GtGlobalOptions } from '../program.js';

/** How long `gt prime --hook` waits for the agent runtime's JSON on stdin. */
const HOOK_STDIN_MS = 200;

function town(o: GtGlobalOptions): { root: string; name: string } {
  const root = requireTownRoot(process.cwd(), o.town);
  return { root, name: readTownConfig(root).name };
}

/** Reads the town's store (read-only while the daemon, its writer, runs). */
async function withStore<T>(root: string, fn: (store: BeadStore) => Promise<T> | T): Promise<T> {
  const store = SqliteBeadStore.open(townPaths(root).dbPath, { readonly: daemonPid(root) !== null });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

function unreadable(identity: AgentIdentity, cause: unknown): PrimeError {
  return new PrimeError(
    'prime.store_unreadable',
    `cannot read the town's store for ${identity.address} (${(cause as Error).message}): the hook is UNKNOWN, not empty; do NOT run \`gt done\`, run \`gt prime\` again in a minute`,
    { cause },
  );
}

/**
 * The session the agent runtime's hook passes on stdin (`{"session_id": ..., "source": ...}`), read
 * only when stdin is not a TTY and for at most HOOK_STDIN_MS; anything else is ignored.
 */
async function readHookSession(): Promise<{ id: string; source?: string } | null> {
  const stdin = process.stdin;
  if (stdin.isTTY) return null;
  const text = await new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const onData = (c: Buffer | string): void => {
      chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stdin.off('data', onData);
      stdin.off('end', finish);
      stdin.off('error', finish);
      stdin.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(finish, HOOK_STDIN_MS);
    stdin.on('data', onData);
    stdin.once('end', finish);
    stdin.once('error', finish);
  });
  try {
    const raw = JSON.parse(text) as unknown;
    if (raw === null || typeof raw !== 'object') return null;
    const { session_id: id, source } = raw as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') return null;
    return typeof source === 'string' && source !== '' ? { id, source } : { id };
  } catch {
    return null;
  }
}

function hookLines(identity: AgentIdentity, hook: PrimeHook | null): string[] {
  if (hook === null) return [`Nothing is on ${identity.address}'s hook.`];
  const b = hook.bead;
  const lines = [`${identity.address}: ${b.id} "${b.title}" [${b.status}], kind ${hook.kind}`];
  const mr = hook.merge_request;
  lines.push(
    mr === null
      ? '  no merge request yet'
      : `  merge request ${mr.id}: ${mr.state ?? mr.status}${mr.gate === null ? '' : ` (gate ${mr.gate})`}`,
  );
  if (hook.conflict !== undefined)
    lines.push(
      `  conflict bead ${hook.conflict.bead}: rebase onto ${hook.conflict.onto}${hook.conflict.files.length > 0 ? ` (${hook.conflict.files.join(', ')})` : ''}`,
    );
  return lines;
}

function tailArg(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TAIL_LINES;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError('usage.bad_tail', `--tail takes a positive number of lines, not "${value}"`);
  return Number(value);
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Registers `gt prime`, `gt hook` and `gt seance` (docs/prime.md). */
export function registerPrimeCommands(program: Command): void {
  program
    .command('prime')
    .description("an agent's briefing: its role, the work on its hook, what to do, its unread mail")
    .option('--hook', "short header, for agents' SessionStart hooks (reads the session JSON on stdin)")
    .action(async (_o: unknown, c: Command) => {
      const o = c.optsWithGlobals<GtGlobalOptions & { hook?: boolean }>();
      const t = town(o);
      const identity = resolveAgentIdentity({
        cwd: process.cwd(),
        env: process.env,
        townRoot: t.root,
        town: t.name,
      });
      const session = o.hook === true ? await readHookSession() : null;
      let prime;
      try {
        prime = await withStore(t.root, (store) =>
          buildPrime(store, { townRoot: t.root, town: t.name, identity }),
        );
      } catch (cause) {
        if (o.json === true) throw unreadable(identity, cause);
        process.stdout.write(renderPrimeFailure(identity, cause));
        process.exitCode = o.hook === true ? 0 : 1;
        return;
      }
      const declared = process.env['GT_ROLE'];
      if (declared !== undefined && declared !== '' && declared !== identity.role)
        prime.warnings.push(
          `GT_ROLE is ${declared}, but ${identity.address} is a ${identity.role}: check GT_AGENT_ADDRESS and the working directory`,
        );
      if (o.json === true) printJson(session === null ? prime : { ...prime, session });
      else process.stdout.write(renderPrime(prime, { mode: o.hook === true ? 'hook' : 'full', session }));
    });

  program
    .command('hook')
    .description("what is on an agent's hook: the bead, why (work, fix, conflict), its merge request")
    .argument('[agent]', 'web/polecats/nux, alpha/web/crew/max, mayor (default: you)')
    .action(async (agent: string | undefined, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<GtGlobalOptions>();
      const t = town(o);
      const identity =
        agent === undefined
          ? resolveAgentIdentity({ cwd: process.cwd(), env: process.env, townRoot: t.root, town: t.name })
          : identityFromAddress(agent, t.root, t.name);
      const rig = identity.rig === null ? null : readRigBriefing(t.root, identity.rig);
      let hook: PrimeHook | null;
      try {
        hook = await withStore(t.root, (store) =>
          findHook(store, identity.address, { defaultBranch: rig?.defaultBranch ?? null }),
        );
      } catch (cause) {
        throw unreadable(identity, cause);
      }
      if (o.json === true)
        printJson({
          agent: identity.address,
          role: identity.role,
          rig: identity.rig,
          hook: hook === null ? null : { ...hook, bead_status: hook.bead.status },
        });
      else printLines(hookLines(identity, hook));
    });

  program
    .command('seance')
    .description("read a predecessor session's log: the last session, or --list them all")
    .argument('<agent>', 'web/polecats/nux, alpha/web/crew/max, mayor')
    .option('--list', "list the agent's sessions (oldest first, newest last)")
    .option(
      '--session <n|file>',
      'which session: its number in --list (-1 = the one before the last) or file',
    )
    .option('--tail <lines>', `how many lines of the log to show (default ${DEFAULT_TAIL_LINES})`)
    .action((agent: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<GtGlobalOptions & { list?: boolean; session?: string; tail?: string }>();
      const t = town(o);
      const parsed = parseAddress(agent, t.name);
      const address = formatAddress(parsed);
      if (parsed.town !== t.name)
        throw new UsageError(
          'usage.other_town',
          `${address} belongs to town ${parsed.town}; run gt seance in that town`,
        );
      const paths = townPaths(t.root);
      if (o.list === true) {
        const sessions = listSessions(paths, address);
        if (sessions.length === 0) pickSession(paths, address);
        if (o.json === true) printJson({ agent: address, sessions });
        else
          printLines([
            `Sessions of ${address} (newest last):`,
            ...sessions.map(
              (s) =>
                `${String(s.index).padStart(3)}  ${s.started_at}  ${size(s.size).padStart(9)}  ${s.last_line}`,
            ),
          ]);
        return;
      }
      const tail = readSessionTail(pickSession(paths, address, o.session), tailArg(o.tail));
      if (o.json === true) {
        printJson({ agent: address, ...tail });
        return;
      }
      const count = listSessions(paths, address).length;
      printLines([
        `=== ${address}: session ${tail.session.index} of ${count}, started ${tail.session.started_at}, ${size(tail.session.size)} (${tail.session.file}) ===`,
        ...(tail.truncated
          ? [`... (${tail.total_lines - tail.lines.length} earlier lines; --tail <lines> for more)`]
          : []),
        ...tail.lines,
      ]);
    });
}
