import type { Command } from 'commander';
import { addRig } from '../../../actors/rig/rig-add.js';
import type { AddRigOptions } from '../../../actors/rig/rig-add.js';
import { hookedWorkOfRig, listRigs, removeRig, showRig } from '../../../actors/rig/rig-registry.js';
import { readTownConfig, requireTownRoot, townPaths } from '../../../actors/town/town-config.js';
import { printJson, printLines, UsageError } from '../../bd/output.js';
import type { GtGlobalOptions } from '../program.js';
import { daemonPid } from '../../../actors/daemon/town-client.js';
import { townRequest } from '../connect.js';

/** A running town starts (or stops) the actors of the rigs that changed. */
async function reloadRunningTown(root: string): Promise<void> {
  if (daemonPid(root) !== null) await townRequest(root, 'rig.reload', {}, { timeoutMs: 10_000 });
}

interface AddFlags extends GtGlobalOptions {
  prefix?: string;
  branch?: string;
  gate: string[];
  maxPolecats?: string;
  agent?: string;
}

function emit(o: GtGlobalOptions, value: unknown, human: () => string[]): void {
  if (o.json === true) printJson(value);
  else printLines(human());
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--gate name=cmd`, or `--gate cmd` for a gate named `test`. */
export function parseGateArg(text: string): { name: string; cmd: string } {
  const named = /^([a-z0-9][a-z0-9_-]*)=(.*)$/s.exec(text);
  const gate = named === null ? { name: 'test', cmd: text } : { name: named[1] ?? '', cmd: named[2] ?? '' };
  if (gate.cmd.trim() === '')
    throw new UsageError(
      'usage.bad_option',
      `--gate "${text}" has no command: write --gate <cmd> or --gate <name>=<cmd>`,
    );
  return gate;
}

/** Registers `gt rig add|list|show|remove`. */
export function registerRigCommands(program: Command): void {
  const rig = program.command('rig').description("manage the town's rigs: one project repository each");

  rig
    .command('add')
    .description('add a rig: a bare clone of <url>, the refinery worktree, polecats/ and crew/')
    .argument('<name>', 'rig name: 1 to 32 lowercase letters, digits and dashes')
    .argument('<url>', 'git URL or path of the project repository')
    .option('--prefix <prefix>', "beads id prefix of the rig's beads (default: the rig name)")
    .option('--branch <branch>', "default branch (default: the upstream's HEAD, else main or master)")
    .option('--gate <cmd>', 'a gate command, `name=cmd` or `cmd` (named test); repeatable', collect, [])
    .option('--max-polecats <n>', 'most polecats working at once, 1 to 100 (default 4)')
    .option('--agent <preset>', "agent preset of the rig's polecats")
    .action(async (name: string, url: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<AddFlags>();
      const root = requireTownRoot(process.cwd(), o.town);
      const options: AddRigOptions = { name, url, cwd: process.cwd(), gates: o.gate.map(parseGateArg) };
      if (o.prefix !== undefined) options.prefix = o.prefix;
      if (o.branch !== undefined) options.branch = o.branch;
      if (o.agent !== undefined) options.agent = o.agent;
      if (o.maxPolecats !== undefined) {
        const n = Number(o.maxPolecats);
        if (!Number.isInteger(n) || n < 1 || n > 100)
          throw new UsageError(
            'usage.bad_option',
            `--max-polecats must be a whole number from 1 to 100, got "${o.maxPolecats}"`,
          );
        options.maxPolecats = n;
      }
      const added = await addRig(root, options);
      await reloadRunningTown(root);
      const c = added.config;
      emit(o, { rig: c, dir: added.paths.dir, head: added.head }, () => [
        `Added rig ${c.name} at ${added.paths.dir}`,
        `  upstream ${c.url}, branch ${c.default_branch} at ${added.head.slice(0, 12)}, beads prefix ${c.prefix}`,
        ...(c.gates.length === 0
          ? []
          : [`  gates: ${c.gates.map((g) => `${g.name} (${g.cmd})`).join(', ')}`]),
      ]);
    });

  rig
    .command('list')
    .description("list the town's rigs")
    .action((_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<GtGlobalOptions>();
      const { rigs, broken } = listRigs(requireTownRoot(process.cwd(), o.town));
      emit(o, { rigs: rigs, broken }, () => {
        const lines =
          rigs.length === 0 && broken.length === 0
            ? ['No rigs. Add one with `gt rig add <name> <url>`.']
            : rigs.map(
                (r) =>
                  `${r.name.padEnd(16)} ${r.default_branch.padEnd(10)} prefix ${r.prefix.padEnd(10)} ${r.url}`,
              );
        return [...lines, ...broken.map((b) => `${b.name.padEnd(16)} BROKEN: ${b.message}`)];
      });
    });

  rig
    .command('show')
    .description('show one rig: config, paths, branch head, polecat worktrees')
    .argument('<name>', 'rig name')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<GtGlobalOptions>();
      const d = await showRig(requireTownRoot(process.cwd(), o.town), name);
      const c = d.config;
      emit(o, { rig: c, paths: d.paths, head: d.head, polecat_worktrees: d.polecat_worktrees }, () => [
        `Rig ${c.name}`,
        `  upstream      ${c.url}`,
        `  branch        ${c.default_branch} at ${d.head ?? '(missing: fetch the mirror)'}`,
        `  beads prefix  ${c.prefix}`,
        `  polecats      ${d.polecat_worktrees} worktree${d.polecat_worktrees === 1 ? '' : 's'}, at most ${c.max_polecats}`,
        `  agent         ${c.agent ?? '(town default)'}`,
        `  gates         ${c.gates.length === 0 ? 'none' : c.gates.map((g) => `${g.name}: ${g.cmd} (${g.timeout_ms} ms)`).join('; ')}`,
        `  directory     ${d.paths.dir}`,
        `  created       ${c.created_at}`,
      ]);
    });

  rig
    .command('remove')
    .description(
      'remove a rig and its worktrees (refused while beads are hooked to it); the upstream is untouched',
    )
    .argument('<name>', 'rig name')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<GtGlobalOptions>();
      const root = requireTownRoot(process.cwd(), o.town);
      const town = readTownConfig(root).name;
      const dbPath = townPaths(root).dbPath;
      const r = await removeRig(root, name, {
        hookedWork: (rigName) => hookedWorkOfRig(dbPath, town, rigName),
      });
      await reloadRunningTown(root);
      emit(o, { removed: r.name, dir: r.dir, worktrees: r.worktrees }, () => [
        `Removed rig ${r.name} (${r.dir}, ${r.worktrees.length} worktree${r.worktrees.length === 1 ? '' : 's'})`,
      ]);
    });
}
