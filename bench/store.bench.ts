import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { startCheckpointer } from '../beads/checkpointer.js';
import { exportToFile } from '../beads/export-file.js';
import { importPath } from '../beads/import-file.js';
import { serializeBead } from '../beads/jsonl-serialize.js';
import { SqliteBeadStore } from '../beads/store.js';
import type { BeadStore } from '../beads/store.types.js';
import { generateGraph } from './graph.js';
import type { Graph } from './graph.js';
import { formatMs, formatRate, formatTable, percentile, sample, timeMs, timeMsAsync } from './stats.js';

/**
 * The store benchmark (`npm run bench -- store`): builds stores of 10k and 100k generated beads and
 * measures ready, create, claim, export, import and a cold `bd ready --json`, each next to a raw
 * better-sqlite3 baseline run in the same process. See bench/README.md.
 */

/** Options of `runStoreBench`. */
export interface StoreBenchOptions {
  /** Store sizes; the first is the "small" one (create, claim, cold CLI), the last the "big" one. */
  sizes?: number[];
  /** ready calls per size (>= 200 for the report). */
  readyCalls?: number;
  /** create and claim operations. */
  writeOps?: number;
  /** cold CLI runs. */
  cliRuns?: number;
  log?: (line: string) => void;
}

/** One row of the report. */
export interface BenchRow {
  metric: string;
  size: number;
  store: number;
  raw: number;
  unit: 'ms' | 'per_s';
  /** Target and its direction: at most (ms) or at least (per_s). Absent: no target. */
  target?: number;
  pass?: boolean;
}

/** The repository root: the bench runs compiled from dist/bench/ (npm run bench) or from bench/ (tsx). */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, path.basename(path.dirname(HERE)) === 'dist' ? '../..' : '..');
const RAW_READY_SQL =
  "SELECT * FROM issues WHERE status IN ('open','in_progress') AND NOT blocked ORDER BY priority, created_at DESC LIMIT 100";
/** Untimed writes before a rate is measured. */
const WARMUP = 500;
const READY_TARGET_MS: Record<number, number> = { 10_000: 3, 100_000: 25 };

function rawDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS issues (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL, priority INTEGER NOT NULL,
    issue_type TEXT NOT NULL, assignee TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS issues_ready ON issues (status, blocked, priority, created_at);`);
  return db;
}

/** Raw baseline of an import: parse every line and INSERT in one transaction. */
function rawImport(db: Database.Database, jsonl: string, blocked: ReadonlySet<string>): void {
  const insert = db.prepare(
    'INSERT INTO issues (id, title, status, priority, issue_type, assignee, created_at, updated_at, blocked, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const text = readFileSync(jsonl, 'utf8');
  db.transaction(() => {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const b = JSON.parse(line) as {
        id: string;
        title: string;
        status: string;
        priority: number;
        issue_type: string;
        assignee?: string;
        created_at: string;
        updated_at: string;
      };
      insert.run(
        b.id,
        b.title,
        b.status,
        b.priority,
        b.issue_type,
        b.assignee ?? null,
        b.created_at,
        b.updated_at,
        blocked.has(b.id) ? 1 : 0,
        line,
      );
    }
  })();
}

/**
 * Generates the graph, writes it as JSONL and keeps only what the report needs, so the measured code
 * does not run next to a heap holding every generated bead.
 */
function writeGraphJsonl(size: number, file: string): Pick<Graph, 'stats' | 'blockedIds'> {
  const graph = generateGraph({ count: size, seed: 42 + size });
  writeJsonl(graph, file);
  return { stats: graph.stats, blockedIds: graph.blockedIds };
}

function writeJsonl(graph: Graph, file: string): void {
  const sorted = [...graph.beads].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  writeFileSync(file, sorted.map((b) => `${serializeBead(b).replace(/\n$/, '')}\n`).join(''));
}

function machine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores (os.availableParallelism ${os.availableParallelism()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;
}

interface SizedStores {
  size: number;
  jsonl: string;
  store: BeadStore;
  storePath: string;
  raw: Database.Database;
  rawPath: string;
}

/** Runs the benchmark, prints the report through `log`, and returns its rows. */
export async function runStoreBench(options: StoreBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sizes = options.sizes ?? [10_000, 100_000];
  const readyCalls = options.readyCalls ?? 300;
  const writeOps = options.writeOps ?? 2_000;
  const cliRuns = options.cliRuns ?? 10;
  const rows: BenchRow[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bd-bench-'));
  const opened: SizedStores[] = [];
  const started = Date.now();
  log(machine());
  try {
    for (const size of sizes) {
      const dir = path.join(tmp, `s${size}`);
      const src = path.join(tmp, `src${size}`);
      mkdirSync(dir);
      mkdirSync(src);
      const jsonl = path.join(src, 'generated.jsonl');
      const graph = writeGraphJsonl(size, jsonl);
      const storePath = path.join(dir, 'beads.db');
      const store = SqliteBeadStore.create(storePath, 'bench');
      // The checkpoint is timed too: the raw baseline pays its own inside the commit (autocheckpoint).
      const importMs = timeMs(() => {
        importPath(store, jsonl, { actor: 'bench' });
        store.checkpoint();
      });
      const rawPath = path.join(src, 'raw.db');
      const raw = rawDb(rawPath);
      const rawImportMs = timeMs(() => rawImport(raw, jsonl, graph.blockedIds));
      opened.push({ size, jsonl, store, storePath, raw, rawPath });
      rows.push({
        metric: 'import (empty store)',
        size,
        store: importMs,
        raw: rawImportMs,
        unit: 'ms',
        ...(size === 100_000 ? { target: 3000 } : {}),
      });

      const nonClosed = store.count({ status: ['open', 'in_progress'] });
      const blocked = store.blocked().length;
      const s = graph.stats;
      log(
        `graph ${size}: ${s.epics} epics with ${s.children} children, ${s.closed} closed, ${s.blocksEdges} blocks edges, ${s.comments} beads with comments; ` +
          `blocked ${blocked} of ${nonClosed} open/in-progress = ${((100 * blocked) / Math.max(1, nonClosed)).toFixed(1)} % (generator expected ${s.blocked})`,
      );

      const readyOpts = { limit: 100 };
      const rawReady = raw.prepare(RAW_READY_SQL);
      for (let i = 0; i < 20; i++) {
        store.ready(readyOpts);
        rawReady.all();
      }
      const readyStore = sample(readyCalls, () => store.ready(readyOpts));
      const readyRaw = sample(readyCalls, () => rawReady.all());
      const target = READY_TARGET_MS[size];
      for (const p of [50, 99]) {
        rows.push({
          metric: `ready limit 100 p${p} (${readyCalls} calls)`,
          size,
          store: percentile(readyStore, p),
          raw: percentile(readyRaw, p),
          unit: 'ms',
          ...(target === undefined ? {} : { target }),
        });
      }
    }

    const small = opened[0] as SizedStores;
    const cli = await coldCli(small, cliRuns, log);
    if (cli !== null) rows.push(cli);

    // Steady-state rates (a daemon's): both sides first run WARMUP untimed writes (JIT, page cache).
    const createBeads = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        small.store.create({ title: `bench create ${i}`, priority: i % 5, labels: ['bench'] }, 'bench');
      }
    };
    // As in the town daemon (actors/host/town-host.ts), a worker thread checkpoints the store.
    const checkpointer = startCheckpointer(small.storePath);
    createBeads(0, WARMUP);
    const createMs = timeMs(() => createBeads(WARMUP, WARMUP + writeOps));
    const rawInsert = small.raw.prepare(
      'INSERT INTO issues (id, title, status, priority, issue_type, assignee, created_at, updated_at, blocked, data) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, 0, ?)',
    );
    const rawCreate = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const now = `${new Date().toISOString().slice(0, 19)}Z`;
        const row = {
          id: `raw-${i.toString(36)}`,
          title: `bench create ${i}`,
          status: 'open',
          priority: i % 5,
        };
        rawInsert.run(row.id, row.title, 'open', row.priority, 'task', now, now, JSON.stringify(row));
      }
    };
    rawCreate(0, WARMUP);
    const rawCreateMs = timeMs(() => rawCreate(WARMUP, WARMUP + writeOps));
    rows.push({
      metric: `create (${writeOps} single-bead)`,
      size: small.size,
      store: (writeOps * 1000) / createMs,
      raw: (writeOps * 1000) / rawCreateMs,
      unit: 'per_s',
      target: 5000,
    });

    const claimable = small.store
      .list({ status: ['open'], no_assignee: true, limit: writeOps })
      .map((b) => b.id);
    const claimMs = timeMs(() => {
      for (const id of claimable) small.store.claim(id, 'bench/agent');
    });
    await checkpointer.stop();
    const rawClaimIds = (
      small.raw
        .prepare("SELECT id FROM issues WHERE status = 'open' AND assignee IS NULL LIMIT ?")
        .all(claimable.length) as Array<{ id: string }>
    ).map((r) => r.id);
    const rawClaim = small.raw.prepare(
      "UPDATE issues SET status = 'in_progress', assignee = ?, updated_at = ? WHERE id = ? AND status = 'open' AND (assignee IS NULL OR assignee = ?)",
    );
    const rawClaimMs = timeMs(() => {
      for (const id of rawClaimIds) {
        const info = rawClaim.run('bench/agent', new Date().toISOString(), id, 'bench/agent');
        if (info.changes !== 1) throw new Error(`raw claim of ${id} changed ${info.changes} rows`);
      }
    });
    rows.push({
      metric: `claim (${claimable.length} distinct open)`,
      size: small.size,
      store: (claimable.length * 1000) / claimMs,
      raw: (rawClaimIds.length * 1000) / rawClaimMs,
      unit: 'per_s',
    });

    // Export last: its 100k-bead strings would otherwise be garbage collected during the write rates.
    const big = opened[opened.length - 1] as SizedStores;
    const exportPath = path.join(tmp, 'export.jsonl');
    const exportMs = percentile(
      sample(3, () => exportToFile(big.store, exportPath, {})),
      50,
    );
    const rawExportPath = path.join(tmp, 'raw-export.jsonl');
    const rawExportMs = percentile(
      sample(3, () => {
        const all = big.raw.prepare('SELECT * FROM issues ORDER BY id').all();
        writeFileSync(rawExportPath, all.map((r) => JSON.stringify(r)).join('\n') + '\n');
      }),
      50,
    );
    rows.push({
      metric: 'export (median of 3)',
      size: big.size,
      store: exportMs,
      raw: rawExportMs,
      unit: 'ms',
      ...(big.size === 100_000 ? { target: 1500 } : {}),
    });
  } finally {
    for (const s of opened) {
      s.store.close();
      s.raw.close();
    }
    rmSync(tmp, { recursive: true, force: true });
  }

  for (const row of rows) {
    if (row.target !== undefined) {
      row.pass = row.unit === 'ms' ? row.store <= row.target : row.store >= row.target;
    }
  }
  log('');
  log(report(rows));
  log('');
  log(`total bench time ${formatMs(Date.now() - started)}`);
  return rows;
}

async function coldCli(
  small: SizedStores,
  runs: number,
  log: (line: string) => void,
): Promise<BenchRow | null> {
  const bdMain = path.join(ROOT, 'dist', 'cli', 'bd', 'main.js');
  if (!existsSync(bdMain)) {
    log(`cold CLI not measured: ${bdMain} is missing (build it with \`npx tsc -p tsconfig.build.json\`)`);
    return null;
  }
  const bin = path.join(ROOT, 'bin', 'bd.js');
  const bd = async (): Promise<number> =>
    timeMsAsync(async () => {
      const result = await execa(process.execPath, [bin, 'ready', '--json', '--db', small.storePath], {
        cwd: os.tmpdir(),
        env: { BEADS_ACTOR: 'bench' },
        reject: false,
      });
      if (result.exitCode !== 0) {
        throw new Error(`bd ready --json exited ${result.exitCode}: ${result.stderr}`);
      }
      const parsed = JSON.parse(result.stdout) as unknown;
      if (!Array.isArray(parsed)) throw new Error('bd ready --json did not print a JSON array');
    });
  const script = `const D=require('better-sqlite3');const db=new D(${JSON.stringify(small.rawPath)},{readonly:true});process.stdout.write(JSON.stringify(db.prepare(${JSON.stringify(RAW_READY_SQL)}).all()));`;
  const rawNode = async (): Promise<number> =>
    timeMsAsync(async () => {
      await execa(process.execPath, ['-e', script], { cwd: ROOT });
    });
  try {
    await bd();
  } catch (error) {
    log(`cold CLI not measured: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
  await rawNode();
  const store: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < runs; i++) {
    store.push(await bd());
    raw.push(await rawNode());
  }
  return {
    metric: `cold \`bd ready --json\` p50 (${runs} runs)`,
    size: small.size,
    store: percentile(store, 50),
    raw: percentile(raw, 50),
    unit: 'ms',
    target: 300,
  };
}

/** The report table: store figure, raw baseline, ratio (store cost / raw cost), target, PASS/FAIL. */
export function report(rows: readonly BenchRow[]): string {
  const header = ['metric', 'beads', 'store', 'raw sqlite', 'ratio', 'target', 'result'];
  const body = rows.map((r) => {
    const fmt = r.unit === 'ms' ? formatMs : formatRate;
    const ratio = r.unit === 'ms' ? r.store / r.raw : r.raw / r.store;
    const target = r.target === undefined ? '-' : `${r.unit === 'ms' ? '<=' : '>='} ${fmt(r.target)}`;
    const result = r.pass === undefined ? '-' : r.pass ? 'PASS' : 'FAIL';
    return [
      r.metric,
      r.size.toLocaleString('en-US'),
      fmt(r.store),
      fmt(r.raw),
      `${ratio.toFixed(1)}x`,
      target,
      result,
    ];
  });
  return formatTable(header, body);
}
