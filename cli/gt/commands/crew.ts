import type { Command } from 'commander';
import { daemonPid, connectToTown, requestTownStatus } from '../../../actors/daemon/town-client.js';
import { sessionExists } from '../../../actors/session/attach.js';
import { addCrew, crewRig, listCrew } from '../../../actors/session/crew.js';
import { sessionAgent } from '../../../actors/session/session-agents.js';
import { readTownConfig } from '../../../actors/town/town-config.js';
import { printJson, printLines } from '../../bd/output.js';
import type { GtGlobalOptions } from '../program.js';
import { attachSession, sessionRequest, townOf } from './mayor.js';

interface CrewFlags extends GtGlobalOptions {
  rig?: string;
}

/** The keeper's state of each session (`alpha/web/crew/max/session` → `running`), when the town answers. */
async function keeperStates(root: string): Promise<Map<string, string> | null> {
  const config = readTownConfig(root);
  if (config.nats.mode === 'managed' && daemonPid(root) === null) return null;
  try {
    const bus = await connectToTown(config, 'gt-crew');
    try {
      const s = await requestTownStatus(bus, config.name, 2_000);
      return new Map(s.actors.map((a) => [a.address, a.state]));
    } finally {
      await bus.close(500);
    }
  } catch {
    return null;
  }
}

/** Registers `gt crew add|start|stop|attach|list` (docs/sessions.md). */
export function registerCrewCommands(program: Command): void {
  const cmd = program
    .command('crew')
    .description('crew members: full clones of a rig for people, each with a long-lived session (tmux)');

  cmd
    .command('add')
    .description("clone the rig's upstream into rigs/<rig>/crew/<name>/ (works with the town down)")
    .argument('<name>', 'crew member name')
    .requiredOption('--rig <rig>', 'the rig')
    .action(async (name: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<CrewFlags & { rig: string }>();
      const { root } = townOf(o);
      const m = await addCrew(root, { name, rig: o.rig });
      if (o.json === true) printJson(m);
      else
        printLines([
          `Added crew member ${m.address} in ${m.dir} (branch ${m.branch ?? '?'})`,
          `Start its session with: gt crew start ${m.name} --rig ${m.rig}`,
        ]);
    });

  cmd
    .command('start')
    .description('start the crew member session (the daemon restarts it if it dies)')
    .argument('<name>', 'crew member name')
    .option('--rig <rig>', 'the rig (needed when several rigs have this name)')
    .option('--agent <preset>', 'agent preset (default: the town default)')
    .action(async (name: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<CrewFlags & { agent?: string }>();
      const { root, town } = townOf(o);
      const rig = crewRig(root, name, o.rig);
      await sessionRequest(o, root, sessionAgent(`${rig}/crew/${name}`, town), {
        start: true,
        preset: o.agent,
      });
    });

  cmd
    .command('stop')
    .description('stop the crew member session (it stays stopped)')
    .argument('<name>', 'crew member name')
    .option('--rig <rig>', 'the rig (needed when several rigs have this name)')
    .action(async (name: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<CrewFlags>();
      const { root, town } = townOf(o);
      const rig = crewRig(root, name, o.rig);
      await sessionRequest(o, root, sessionAgent(`${rig}/crew/${name}`, town), { start: false });
    });

  cmd
    .command('attach')
    .description('attach this terminal to the crew member session (prints the command when not a terminal)')
    .argument('<name>', 'crew member name')
    .option('--rig <rig>', 'the rig (needed when several rigs have this name)')
    .action(async (name: string, _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<CrewFlags>();
      const { root, town } = townOf(o);
      const rig = crewRig(root, name, o.rig);
      await attachSession(o, town, sessionAgent(`${rig}/crew/${name}`, town));
    });

  cmd
    .command('list')
    .description('the crew members, with whether their session runs')
    .option('--rig <rig>', 'only this rig')
    .action(async (_o: unknown, c: Command) => {
      const o = c.optsWithGlobals<CrewFlags>();
      const { root, town } = townOf(o);
      const members = await listCrew(root, o.rig);
      const states = await keeperStates(root);
      const rows = await Promise.all(
        members.map(async (m) => ({
          ...m,
          session: await sessionExists(town, sessionAgent(m.address, town)),
          keeper: states?.get(`${m.address}/session`) ?? null,
        })),
      );
      if (o.json === true) printJson(rows);
      else
        printLines(
          rows.length === 0
            ? ['No crew members: add one with `gt crew add <name> --rig <rig>`.']
            : rows.map(
                (r) =>
                  `${r.address}  ${r.session ? 'running' : 'stopped'}${r.keeper === null ? '' : ` (keeper: ${r.keeper})`}  ${r.branch ?? '-'}  ${r.dir}`,
              ),
        );
    });
}
