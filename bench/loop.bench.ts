import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { startDaemonProcess, stopDaemon } from '../actors/daemon/daemon-control.js';
import { connectToTown, requestTownStatus } from '../actors/daemon/town-client.js';
import { addRig } from '../actors/rig/rig-add.js';
import { setDefaultAgent } from '../actors/runtime/agent-config.js';
import { installTown } from '../actors/town/install.js';
import { readTownConfig } from '../actors/town/town-config.js';
import type { BusConnection } from '../bus/connection.js';
import { createEnvelope } from '../bus/envelope.js';
import type { MessageBody, MessageType } from '../bus/messages.js';
import { unwrapReply } from '../bus/reply.js';
import { cmd } from '../bus/subjects.js';
import { cpuMs, gitRunnerPid, rssMb } from './proc.js';
import { formatMs, formatTable, percentile } from './stats.js';

/** Options of the work-loop benchmark. */
export interface LoopBenchOptions {
  /** Polecats of the rig. Default 30. */
  polecats?: number;
  /** Beads slung at once. Default 60. */
  beads?: number;
  /** Give up after this long. Default 300 s. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** All cores' busy and total time (ms) so far, from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: ((total - idle) * 1000) / 100, total: (total * 1000) / 100 };
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};

/** Per bead: when it was slung, its agent's sessions (process start to `gt done`), when it merged. */
interface Timeline {
  slung?: number;
  /** A polecat took it (its first `spawning`). */
  hooked?: number;
  agent?: string;
  /** `gt done` reached the daemon (the polecat went `submitting`), per attempt. */
  submitted: number[];
  agentMs: number;
  /** Its first session's process start. */
  firstStart?: number;
  merged?: number;
}

/** Start times (ms) of an agent's sessions, from their log files' names (actors/agent/session-paths.ts). */
function sessionStarts(root: string, address: string): number[] {
  const dir = path.join(root, '.gt', 'sessions', ...address.split('/').slice(1));
  const out: number[] = [];
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.log$/.exec(f);
    if (m !== null) out.push(Date.parse(`${m[1]}:${m[2]}:${m[3]}.${m[4]}Z`));
  }
  return out.sort((a, b) => a - b);
}

/**
 * `npm run bench -- loop`: a real town with one rig of scripted polecats; beads with trivial work (one
 * file, one commit, `gt done`) and a trivial gate, slung at once. Per bead it prints the orchestration
 * overhead: sling to merged, minus the agent's own time (its session's process start → its `gt done`) and the
 * gate's own time (measured by the gate itself); p50 and p99; and the daemon's CPU and peak RSS.
 */
export async function runLoopBench(options: LoopBenchOptions = {}): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const polecats = options.polecats ?? 30;
  const count = options.beads ?? 60;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-bench-loop-'));
  const root = path.join(dir, 'loop');
  const gateLog = path.join(dir, 'gate-ms.log');
  let bus: BusConnection | undefined;
  try {
    const upstream = path.join(dir, 'upstream.git');
    const work = path.join(dir, 'upstream-work');
    await execa('git', ['init', '-q', '--bare', '-b', 'main', upstream]);
    await execa('git', ['init', '-q', '-b', 'main', work]);
    fs.writeFileSync(path.join(work, 'README.md'), 'loop bench\n');
    await execa('git', ['add', '-A'], { cwd: work });
    await execa('git', ['commit', '-qm', 'initial'], { cwd: work, env: GIT_ENV });
    await execa('git', ['push', '-q', upstream, 'main'], { cwd: work });

    await installTown(root, { name: 'loop' });
    setDefaultAgent(root, 'scripted');
    const gate = `s=$(date +%s%N); true; e=$(date +%s%N); echo $(( (e - s) / 1000 )) >> ${gateLog}`;
    await addRig(root, {
      name: 'app',
      url: upstream,
      gates: [{ name: 'trivial', cmd: gate }],
      maxPolecats: polecats,
    });
    const started = await startDaemonProcess(root, {});
    const config = readTownConfig(root);
    bus = await connectToTown(config, 'bench-loop');
    const ask = async <T extends MessageType, R>(type: T, body: MessageBody<T>): Promise<R> =>
      unwrapReply(
        await (bus as BusConnection).request<R>(
          cmd('loop', type),
          createEnvelope(type, { from: 'loop/overseer', to: 'loop/deacon', body }),
          { timeoutMs: 60_000 },
        ),
      );
    await ask('polecat.add', { rig: 'app', count: polecats });
    const status = await requestTownStatus(bus, 'loop');
    log(
      `town loop: daemon pid ${started.pid}, ${status.actors.length} actors, ${polecats} polecats, ${count} beads`,
    );

    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const file = `work/item-${String(i).padStart(3, '0')}.txt`;
      const bead = await ask<'bead.create', { id: string }>('bead.create', {
        actor: 'loop/overseer',
        input: {
          title: `Trivial work ${i}`,
          prefix: 'app',
          metadata: { script: [{ write: file, content: `${i}\n` }, { commit: `work ${i}` }, { done: true }] },
        },
      });
      ids.push(bead.id);
    }
    const timelines = new Map<string, Timeline>(ids.map((id) => [id, { agentMs: 0, submitted: [] }]));
    const working = new Map<string, { bead: string; at: number }>();
    let merged = 0;
    let allMerged: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allMerged = resolve));
    const sub = bus.observe('gt.loop.evt.>', (d) => {
      const now = Date.now();
      const decoded = d.decode();
      if (!decoded.ok) return;
      const e = decoded.envelope;
      if (e.type === 'polecat.state') {
        if (e.body.state === 'working' && e.body.bead !== null)
          working.set(e.body.agent, { bead: e.body.bead, at: now });
        if (e.body.state === 'spawning' && e.body.bead !== null) {
          const t = timelines.get(e.body.bead);
          if (t !== undefined) t.hooked ??= now;
        }
        if (e.body.state === 'submitting') {
          const w = working.get(e.body.agent);
          const t = w === undefined ? undefined : timelines.get(w.bead);
          if (t !== undefined) {
            t.agent = e.body.agent;
            t.submitted.push(now);
          }
        }
      } else if (e.type === 'mr.merged') {
        const t = timelines.get(e.body.bead);
        if (t !== undefined && t.merged === undefined) {
          t.merged = now;
          if (++merged === count) allMerged();
        }
      }
    });
    await bus.flush();

    const cpu0 = cpuMs(started.pid);
    const runner = gitRunnerPid(started.pid);
    const runnerCpu0 = runner === null ? 0 : cpuMs(runner);
    const machine0 = machineCpu();
    let peakRss = rssMb(started.pid);
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(started.pid))), 250);
    const t0 = Date.now();
    await ask('sling', { actor: 'loop/overseer', beads: ids, target: 'app' });
    for (const t of timelines.values()) t.slung = t0;
    const timeout = options.timeoutMs ?? 300_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`only ${merged} of ${count} beads merged within ${timeout} ms`)),
          timeout,
        );
      }),
    ]);
    clearTimeout(timer);
    const wallMs = Date.now() - t0;
    clearInterval(sampler);
    const cpu = cpuMs(started.pid) - cpu0;
    let runnerCpu = Number.NaN;
    try {
      if (runner !== null) runnerCpu = cpuMs(runner) - runnerCpu0;
    } catch {
      // The runner was restarted during the run.
    }
    const machine1 = machineCpu();
    await sub.unsubscribe();

    const gateMs = fs
      .readFileSync(gateLog, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => Number(l) / 1000);
    const meanGate = gateMs.reduce((a, b) => a + b, 0) / Math.max(1, gateMs.length);
    // The agent's own time: from its session's process start to its `gt done`, for each attempt.
    for (const t of timelines.values()) {
      if (t.agent === undefined) continue;
      const starts = sessionStarts(root, t.agent);
      for (const done of t.submitted) {
        const start = starts.filter((s) => s <= done).pop();
        if (start === undefined) continue;
        t.agentMs += done - start;
        t.firstStart ??= start;
      }
    }
    const overheads: number[] = [];
    const hookedOverheads: number[] = [];
    const spawns: number[] = [];
    const mergeWaits: number[] = [];
    const waits: number[] = [];
    const agents: number[] = [];
    const totals: number[] = [];
    for (const t of timelines.values()) {
      if (t.slung === undefined || t.merged === undefined) continue;
      const total = t.merged - t.slung;
      totals.push(total);
      agents.push(t.agentMs);
      overheads.push(total - t.agentMs - meanGate);
      if (t.hooked !== undefined) {
        waits.push(t.hooked - t.slung);
        hookedOverheads.push(t.merged - t.hooked - t.agentMs - meanGate);
        if (t.firstStart !== undefined) spawns.push(t.firstStart - t.hooked);
      }
      const lastSubmit = t.submitted[t.submitted.length - 1];
      if (lastSubmit !== undefined) mergeWaits.push(t.merged - lastSubmit);
    }
    if (process.env['GT_BENCH_DETAIL'] === '1')
      for (const t of [...timelines.values()].sort((a, b) => (a.merged ?? 0) - (b.merged ?? 0)))
        log(
          `bead: hooked +${(t.hooked ?? 0) - t0} start +${(t.firstStart ?? 0) - t0} done ${t.submitted
            .map((x) => `+${x - t0}`)
            .join(',')} merged +${(t.merged ?? 0) - t0} agent ${t.agentMs}`,
        );
    const p = (xs: number[], q: number) => percentile(xs, q);
    const info = (label: string, xs: number[]) => [label, formatMs(p(xs, 50)), formatMs(p(xs, 99)), '-', '-'];
    log('');
    log(
      formatTable(
        ['metric', 'p50', 'p99', 'target', 'result'],
        [
          [
            'orchestration overhead per bead',
            formatMs(p(overheads, 50)),
            formatMs(p(overheads, 99)),
            'p50 < 1.5 s',
            p(overheads, 50) < 1_500 ? 'PASS' : 'FAIL',
          ],
          info('  of which waiting for a free polecat', waits),
          info('overhead from hooked (no capacity wait)', hookedOverheads),
          info('  of which hooked to session start', spawns),
          info('  of which last gt done to merged', mergeWaits),
          info('sling to merged per bead', totals),
          info('agent time per bead', agents),
          info('gate time per merge', gateMs),
        ],
      ),
    );
    log('');
    log(
      `all ${count} merged in ${(wallMs / 1000).toFixed(1)} s; daemon CPU ${(cpu / 1000).toFixed(1)} s ` +
        `(${((100 * cpu) / wallMs).toFixed(0)} % of one core), peak RSS ${peakRss.toFixed(0)} MB; ` +
        `its git runner ${Number.isNaN(runnerCpu) ? '?' : (runnerCpu / 1000).toFixed(1)} CPU-s`,
    );
    const busy = machine1.busy - machine0.busy;
    log(
      `machine: ${(busy / 1000).toFixed(1)} CPU-s busy of ${((machine1.total - machine0.total) / 1000).toFixed(1)} ` +
        `(${os.cpus().length} cores), ${(busy / count / 1000).toFixed(2)} CPU-s per bead (agents, CLIs, git, daemon, NATS)`,
    );
  } finally {
    await bus?.close(1_000);
    await stopDaemon(root, 10_000).catch(() => undefined);
    if (process.env['GT_BENCH_KEEP'] === '1') log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}
