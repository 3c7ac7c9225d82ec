import { runBusBench } from './bus.bench.js';
import { runLoopBench } from './loop.bench.js';
import type { LoopBenchOptions } from './loop.bench.js';
import type { BusBenchOptions } from './bus.bench.js';
import { runStoreBench } from './store.bench.js';
import type { StoreBenchOptions } from './store.bench.js';

/**
 * Benchmark dispatcher: `npm run bench -- <name> [options]` builds dist/ and runs `node dist/bench/index.js <name> ...` (compiled, as the product runs).
 * Benchmarks: `store`, `bus` and `loop` (see bench/README.md). Exit 0 when the report was printed (targets may FAIL),
 * 1 on a crash, 2 on a usage error.
 */

const USAGE = `usage: npm run bench -- store [--sizes 10000,100000] [--ready-calls 300] [--write-ops 2000] [--cli-runs 10]
       npm run bench -- bus [--requests 1000] [--events 20000] [--observers 10] [--idle-seconds 60] [--actors 50]
       npm run bench -- loop [--polecats 30] [--beads 60]`;

function parseStoreArgs(args: readonly string[]): StoreBenchOptions {
  const options: StoreBenchOptions = {};
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i];
    const value = args[i + 1];
    if (value === undefined) throw new UsageError(`${flag ?? ''} needs a value`);
    const int = (v: string): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0)
        throw new UsageError(`${flag ?? ''} takes a positive integer, got ${v}`);
      return n;
    };
    switch (flag) {
      case '--sizes':
        options.sizes = value.split(',').map(int);
        break;
      case '--ready-calls':
        options.readyCalls = int(value);
        break;
      case '--write-ops':
        options.writeOps = int(value);
        break;
      case '--cli-runs':
        options.cliRuns = int(value);
        break;
      case undefined:
      default:
        throw new UsageError(`unknown option ${flag ?? ''}`);
    }
  }
  return options;
}

function parseBusArgs(args: readonly string[]): BusBenchOptions {
  const options: BusBenchOptions = {};
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i];
    const n = Number(args[i + 1]);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag ?? ''} takes a positive integer`);
    if (flag === '--requests') options.requests = n;
    else if (flag === '--events') options.events = n;
    else if (flag === '--observers') options.observers = n;
    else if (flag === '--idle-seconds') options.idleSeconds = n;
    else if (flag === '--actors') options.actors = n;
    else throw new UsageError(`unknown option ${flag ?? ''}`);
  }
  return options;
}

function parseLoopArgs(args: readonly string[]): LoopBenchOptions {
  const options: LoopBenchOptions = {};
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i];
    const n = Number(args[i + 1]);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag ?? ''} takes a positive whole number`);
    if (flag === '--polecats') options.polecats = n;
    else if (flag === '--beads') options.beads = n;
    else throw new UsageError(`unknown flag ${flag ?? ''}`);
  }
  return options;
}

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === 'store') {
      await runStoreBench(parseStoreArgs(rest));
      return 0;
    }
    if (name === 'bus') {
      await runBusBench(parseBusArgs(rest));
      return 0;
    }
    if (name === 'loop') {
      await runLoopBench(parseLoopArgs(rest));
      return 0;
    }
    throw new UsageError(name === undefined ? 'name a benchmark' : `unknown benchmark ${name}`);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`bench: ${error.message}\n${USAGE}`);
      return 2;
    }
    console.error('bench crashed:', error);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
