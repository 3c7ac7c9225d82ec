import path from 'node:path';
import { dependencyOrder, type BeadSpec } from './bead-sets.js';
import { DemoError, type DemoCli } from './demo-cli.js';
import { createSampleUpstream } from './sample-upstream.js';

/** The demo's names: the town, the rig and its bead prefix, the convoy's title. */
export const DEMO_TOWN = 'demo';
export const DEMO_RIG = 'app';
export const DEMO_PREFIX = 'app';
export const DEMO_CONVOY_TITLE = 'Demo: sample project';

/** A running demo town with its rig. */
export interface DemoTown {
  /** The town's root folder, `<work>/demo`. */
  root: string;
  /** The rig's upstream: a bare repository with the sample project on main. */
  upstream: string;
}

/** A bead as the demo filed it. */
export interface FiledBead {
  spec: BeadSpec;
  id: string;
}

/** Writes a progress line. */
export type Say = (line: string) => void;

/**
 * Builds the demo town in `work` (an empty folder) with the CLIs only: the sample upstream, `gt install
 * <work>/demo --name demo`, `gt up`, `gt rig add app <upstream> --gate 'test=sh test.sh' --max-polecats 4
 * --prefix app`, and `gt config default-agent scripted`. `started` is called once the town exists, before `gt up`
 * (so that a later failure still stops its daemon).
 */
export async function buildDemoTown(
  cli: DemoCli,
  work: string,
  say: Say,
  started: (town: DemoTown) => void = () => undefined,
): Promise<DemoTown> {
  const upstream = await createSampleUpstream(work);
  say(`sample project committed on main of ${upstream}`);
  const root = path.join(work, DEMO_TOWN);
  await cli.gtJson(['install', root, '--name', DEMO_TOWN]);
  say(`gt install ${root} --name ${DEMO_TOWN}`);
  const town: DemoTown = { root, upstream };
  started(town);
  const up = await cli.gtJson<{ pid?: number; nats_url?: string }>(['--town', root, 'up']);
  say(`gt up: daemon pid ${up.pid ?? '?'}, NATS ${up.nats_url ?? '?'}`);
  await cli.gtJson([
    '--town',
    root,
    'rig',
    'add',
    DEMO_RIG,
    upstream,
    '--gate',
    'test=sh test.sh',
    '--max-polecats',
    '4',
    '--prefix',
    DEMO_PREFIX,
  ]);
  say(`gt rig add ${DEMO_RIG} (gate: sh test.sh, 4 polecats, prefix ${DEMO_PREFIX})`);
  await cli.gtJson(['--town', root, 'config', 'default-agent', 'scripted']);
  say('gt config default-agent scripted');
  return town;
}

/**
 * Files the beads in the town's store with `bd create` (in `<root>/beads`), blockers first: title,
 * description, acceptance, priority, the script as `metadata.script`, and a `blocks` dependency on each
 * bead of `deps`. Returns them in filing order with their new ids.
 */
export async function fileDemoBeads(
  cli: DemoCli,
  town: DemoTown,
  beads: readonly BeadSpec[],
  say: Say,
): Promise<FiledBead[]> {
  const ids = new Map<string, string>();
  const filed: FiledBead[] = [];
  const cwd = path.join(town.root, 'beads');
  for (const spec of dependencyOrder(beads)) {
    const deps = spec.deps.map((key) => `blocks:${ids.get(key) ?? key}`);
    const bead = await cli.bdJson<{ id?: unknown }>(
      [
        'create',
        spec.title,
        '--prefix',
        DEMO_PREFIX,
        '-d',
        spec.description,
        '--acceptance',
        spec.acceptance,
        '-p',
        String(spec.priority),
        '--metadata',
        JSON.stringify({ script: spec.script }),
        ...(deps.length > 0 ? ['--deps', deps.join(',')] : []),
      ],
      cwd,
    );
    if (typeof bead.id !== 'string')
      throw new DemoError(
        'demo.bad_output',
        `bd create printed no id for ${spec.key}: ${JSON.stringify(bead)}`,
      );
    ids.set(spec.key, bead.id);
    filed.push({ spec, id: bead.id });
    const blockedBy = spec.deps.map((k) => ids.get(k) ?? k).join(', ');
    say(
      `bd create ${bead.id} P${spec.priority} ${spec.title}${blockedBy === '' ? '' : ` (blocked by ${blockedBy})`}`,
    );
  }
  return filed;
}

/** The id in a command's JSON reply: `{ id }`, `{ convoy: { id } }` or `{ bead: { id } }`. */
export function replyId(reply: unknown, what: string): string {
  const r = reply as { id?: unknown; convoy?: { id?: unknown }; bead?: { id?: unknown } } | null;
  const id = r?.id ?? r?.convoy?.id ?? r?.bead?.id;
  if (typeof id !== 'string')
    throw new DemoError('demo.bad_output', `${what} printed no id: ${JSON.stringify(reply)}`);
  return id;
}

/** `gt convoy create "Demo: sample project" <ids...>`: returns the convoy's id. */
export async function createDemoConvoy(
  cli: DemoCli,
  town: DemoTown,
  beads: readonly FiledBead[],
): Promise<string> {
  const reply = await cli.gtJson<unknown>([
    '--town',
    town.root,
    'convoy',
    'create',
    DEMO_CONVOY_TITLE,
    ...beads.map((b) => b.id),
  ]);
  return replyId(reply, 'gt convoy create');
}

/** `gt sling <convoy> app`: hands the convoy's beads to the rig's polecats. */
export async function slingDemoConvoy(cli: DemoCli, town: DemoTown, convoy: string): Promise<unknown> {
  return cli.gtJson<unknown>(['--town', town.root, 'sling', convoy, DEMO_RIG]);
}
