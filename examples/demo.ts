import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { demoBeads, e2eBeads, type BeadSpec } from './bead-sets.js';
import { DemoCli, DemoError, type DemoCliOptions } from './demo-cli.js';
import { ProgressTracker, type BeadRow, type ProgressCounts } from './demo-progress.js';
import {
  buildDemoTown,
  createDemoConvoy,
  fileDemoBeads,
  slingDemoConvoy,
  type DemoTown,
  type FiledBead,
} from './demo-setup.js';
import { checkStore, checkUpstream, mainCommitCount } from './demo-verify.js';

/** How to run the demo. */
export interface DemoOptions {
  /** The beads to file (default demoBeads()). */
  beads?: BeadSpec[];
  /** How long the convoy may take to land, from the sling. Default 180 000 ms. */
  deadlineMs?: number;
  /** How often the store is read for progress. Default 500 ms. */
  pollMs?: number;
  /** Keep the temporary folder even when the demo succeeds. */
  keep?: boolean;
  /** Where the temporary folder is made (default the OS temp dir). */
  tmpDir?: string;
  /** Output lines (default stdout). */
  out?: (line: string) => void;
  cli?: DemoCliOptions;
  /** Checked between polls: when it returns true the demo stops as failed (SIGINT). */
  aborted?: () => boolean;
}

/** The outcome of a demo run. */
export interface DemoResult {
  ok: boolean;
  /** Why it failed (empty when ok). */
  problems: string[];
  counts: ProgressCounts;
  elapsedMs: number;
  /** The temporary folder: removed when ok (unless `keep`), kept for a look otherwise. */
  workDir: string;
  kept: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** The last `n` lines of a file, or a note that it cannot be read. */
function tailOf(file: string, n: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

/** `3 hooked to polecats, 7 waiting for one` from the sling's reply `{ beads: [{ agent }] }`. */
function slingSummary(reply: unknown): string {
  const beads = (reply as { beads?: unknown } | null)?.beads;
  if (!Array.isArray(beads)) return 'slung';
  const hooked = beads.filter((b) => typeof (b as { agent?: unknown } | null)?.agent === 'string').length;
  return `${hooked} hooked to polecats, ${beads.length - hooked} waiting for one`;
}

async function storeRows(cli: DemoCli, town: DemoTown): Promise<BeadRow[]> {
  return cli.bdJson<BeadRow[]>(['list', '--all', '-n', '100000'], path.join(town.root, 'beads'));
}

/**
 * `npm run demo`: builds a town in a temporary folder, adds the sample project as rig `app` (gate `sh
 * test.sh`, 4 polecats), makes the scripted agent the default, files the beads (blockers first, each
 * with its script), groups them in a convoy, slings it to the rig, and prints a line per change until the
 * convoy lands or the deadline passes. Then it checks every bead closed as `Merged in ...`, the convoy
 * closed, a fresh clone of main green under `sh test.sh` with every bead's commit on it once, prints a
 * summary and stops the town. Only the `gt` and `bd` CLIs are used, as a person would.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = Date.now();
  const say = (line: string) => out(`[${seconds(Date.now() - started).padStart(6)}] ${line}`);
  const cli = new DemoCli(options.cli);
  const beads = options.beads ?? demoBeads();
  const work = fs.mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'gt-demo-'));
  let town: DemoTown | undefined;
  let tracker: ProgressTracker | undefined;
  const problems: string[] = [];

  try {
    out(`demo: a town in ${work}`);
    town = await buildDemoTown(cli, work, say, (t) => {
      town = t;
    });
    const filed = await fileDemoBeads(cli, town, beads, say);
    const convoy = await createDemoConvoy(cli, town, filed);
    say(`gt convoy create: ${convoy} tracks ${filed.length} beads`);
    const sling = await slingDemoConvoy(cli, town, convoy);
    say(`gt sling ${convoy} app: ${slingSummary(sling)}`);
    tracker = new ProgressTracker(
      filed.map((f) => ({ id: f.id, key: f.spec.key })),
      convoy,
    );
    await watch(cli, town, tracker, say, options);
    problems.push(...(await verify(cli, town, filed, convoy, work, say)));
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  } finally {
    if (town !== undefined) {
      const down = await cli.gt(['--town', town.root, 'down']);
      if (down.code !== 0) problems.push(`gt down exited ${down.code}: ${down.stderr.trim()}`);
      else say('gt down: the town is stopped');
    }
  }

  const elapsedMs = Date.now() - started;
  const counts = tracker?.counts() ?? {
    beads: beads.length,
    merged: 0,
    rejections: 0,
    conflicts: 0,
    landed: false,
  };
  const ok = problems.length === 0;
  out('');
  out(
    `summary: ${counts.beads} beads, ${counts.merged} merged, ${plural(counts.rejections, 'rejection')} by the gates, ` +
      `${plural(counts.conflicts, 'merge conflict')}, convoy ${counts.landed ? 'landed' : 'not landed'}, ${seconds(elapsedMs)}`,
  );
  const kept = !ok || options.keep === true;
  if (!ok) {
    out(`demo: FAILED`);
    for (const p of problems) out(`  - ${p}`);
    if (town !== undefined) {
      const log = path.join(town.root, '.gt', 'daemon.log');
      out(`last lines of ${log}:`);
      out(tailOf(log, 40));
    }
  } else out('demo: ok');
  if (kept) out(`the demo's folder is kept: ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
  return { ok, problems, counts, elapsedMs, workDir: work, kept };
}

async function watch(
  cli: DemoCli,
  town: DemoTown,
  tracker: ProgressTracker,
  say: (line: string) => void,
  options: DemoOptions,
): Promise<void> {
  const deadline = Date.now() + (options.deadlineMs ?? 180_000);
  for (;;) {
    for (const line of tracker.update(await storeRows(cli, town))) say(line);
    if (tracker.finished()) return;
    if (options.aborted?.() === true) throw new DemoError('demo.interrupted', 'interrupted');
    if (Date.now() > deadline) {
      const c = tracker.counts();
      throw new DemoError(
        'demo.deadline',
        `the convoy did not land within ${seconds(options.deadlineMs ?? 180_000)}: ${c.merged}/${c.beads} beads merged`,
      );
    }
    await sleep(options.pollMs ?? 500);
  }
}

async function verify(
  cli: DemoCli,
  town: DemoTown,
  filed: readonly FiledBead[],
  convoy: string,
  work: string,
  say: (line: string) => void,
): Promise<string[]> {
  const problems = checkStore(await storeRows(cli, town), filed, convoy);
  const clone = path.join(work, 'verify');
  problems.push(...(await checkUpstream(town.upstream, clone, filed)));
  say(
    problems.length === 0
      ? `checked: every bead merged, convoy landed, main (${await mainCommitCount(clone)} commits) passes sh test.sh`
      : `checked: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
  );
  return problems;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
  });
  const result = await runDemo({
    beads: process.env['DEMO_SET'] === 'e2e' ? e2eBeads() : demoBeads(),
    keep: process.env['DEMO_KEEP'] === '1',
    aborted: () => interrupted,
  });
  process.exitCode = result.ok ? 0 : 1;
}
