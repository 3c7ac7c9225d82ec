import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../../actors/git/git.js';
import { parseScript, type Phase } from '../../cli/scripted-agent/script.js';
import {
  BREAKS_TESTS,
  commitSubjects,
  CONFLICT_PAIR,
  demoBeads,
  dependencyOrder,
  e2eBeads,
  type BeadSpec,
} from '../../examples/bead-sets.js';
import { createSampleUpstream } from '../../examples/sample-upstream.js';
import { GT_BIN } from '../harness/town.js';

const AGENT_BIN = path.join(path.dirname(GT_BIN), 'gt-scripted-agent.js');

const IDENTITY = {
  GIT_AUTHOR_NAME: 'bead test',
  GIT_AUTHOR_EMAIL: 'bead-test@example.com',
  GIT_COMMITTER_NAME: 'bead test',
  GIT_COMMITTER_EMAIL: 'bead-test@example.com',
};

/**
 * A stand-in for `gt` that knows one verb, `done`, and plays the refinery at once: a fresh clone of the
 * upstream fetches the sandbox's branch, rebases it onto origin/main (a conflict is recorded and the
 * rebase aborted), runs `sh test.sh` (a failure is recorded as a rejection), and pushes to main. Each
 * outcome is one JSON line in $STANDIN_LOG. Like the real `gt done`, it only submits: it exits 0.
 */
function standInGt(execaUrl: string): string {
  return `import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from ${JSON.stringify(execaUrl)};

const [verb] = process.argv.slice(2);
if (verb !== 'done') {
  console.error('stand-in gt: only "gt done" is known, got ' + JSON.stringify(process.argv.slice(2)));
  process.exit(2);
}
const upstream = process.env.STANDIN_UPSTREAM;
const sandbox = process.cwd();
const run = (file, args, cwd) => execa(file, args, { cwd, reject: false, all: true, stdin: 'ignore' });
const must = async (args, cwd) => {
  const r = await run('git', args, cwd);
  if (r.exitCode !== 0) throw new Error('git ' + args.join(' ') + ' failed: ' + r.all);
  return r.stdout.trim();
};
const branch = await must(['rev-parse', '--abbrev-ref', 'HEAD'], sandbox);
const refinery = fs.mkdtempSync(path.join(os.tmpdir(), 'standin-refinery-'));
let record;
try {
  await must(['clone', '-q', upstream, refinery], refinery);
  await must(['fetch', '-q', sandbox, '+' + branch + ':refs/heads/mr'], refinery);
  await must(['checkout', '-q', 'mr'], refinery);
  const rebase = await run('git', ['rebase', 'origin/main'], refinery);
  if (rebase.exitCode !== 0) {
    const files = (await must(['diff', '--name-only', '--diff-filter=U'], refinery)).split('\\n').filter(Boolean);
    await run('git', ['rebase', '--abort'], refinery);
    record = { branch, outcome: 'conflict', files };
  } else {
    const gate = await run('sh', ['test.sh'], refinery);
    if (gate.exitCode !== 0) record = { branch, outcome: 'rejected', output: gate.all };
    else {
      const push = await run('git', ['push', '-q', 'origin', 'HEAD:main'], refinery);
      record = push.exitCode === 0
        ? { branch, outcome: 'merged', sha: await must(['rev-parse', 'HEAD'], refinery) }
        : { branch, outcome: 'push-failed', output: push.all };
    }
  }
} finally {
  fs.rmSync(refinery, { recursive: true, force: true });
}
fs.appendFileSync(process.env.STANDIN_LOG, JSON.stringify(record) + '\\n');
console.log('stand-in gt done: ' + record.outcome);
`;
}

interface Outcome {
  branch: string;
  outcome: 'merged' | 'conflict' | 'rejected' | 'push-failed';
  files?: string[];
  output?: string;
  sha?: string;
}

/** One run of the stand-in world: an upstream, sandboxes cloned from it, and the stand-in `gt`. */
class Bench {
  readonly standInLog: string;
  private readonly standIn: string;
  private records = 0;

  private constructor(
    readonly dir: string,
    readonly upstream: string,
  ) {
    this.standInLog = path.join(dir, 'standin.jsonl');
    this.standIn = path.join(dir, 'gt-standin.mjs');
    const execaUrl = pathToFileURL(createRequire(import.meta.url).resolve('execa')).href;
    fs.writeFileSync(this.standIn, standInGt(execaUrl));
    fs.writeFileSync(this.standInLog, '');
  }

  static async create(): Promise<Bench> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-beads-'));
    return new Bench(dir, await createSampleUpstream(dir));
  }

  /** A clone of the upstream's current main on branch polecat/test/<key>. */
  async sandbox(key: string): Promise<string> {
    const dir = path.join(this.dir, 'sandboxes', key);
    await git(['clone', '-q', this.upstream, dir], { cwd: this.dir });
    await git(['checkout', '-q', '-b', `polecat/test/${key}`], { cwd: dir });
    return dir;
  }

  /** Runs the real scripted agent on one phase of the bead's script; returns the stand-in's verdict. */
  async phase(bead: BeadSpec, sandbox: string, phase: Phase): Promise<Outcome> {
    const scriptFile = path.join(this.dir, `${bead.key}.script.json`);
    fs.writeFileSync(scriptFile, JSON.stringify(bead.script));
    const r = await execa(
      process.execPath,
      [
        AGENT_BIN,
        '--script',
        scriptFile,
        '--phase',
        phase,
        ...(phase === 'conflict' ? ['--onto', 'origin/main'] : []),
      ],
      {
        cwd: sandbox,
        env: {
          ...IDENTITY,
          GT_BIN: this.standIn,
          STANDIN_UPSTREAM: this.upstream,
          STANDIN_LOG: this.standInLog,
        },
        reject: false,
        all: true,
        stdin: 'ignore',
        timeout: 30_000,
      },
    );
    expect(r.exitCode, `${bead.key} ${phase} phase:\n${r.all}`).toBe(0);
    expect(r.all).toContain('[scripted] finished');
    const lines = fs.readFileSync(this.standInLog, 'utf8').trim().split('\n');
    expect(lines.length, `${bead.key} ${phase}: one gt done`).toBe(this.records + 1);
    this.records = lines.length;
    return JSON.parse(lines.at(-1)!) as Outcome;
  }

  /** Runs the work phase, then fix or conflict phases as the verdicts ask, until the bead merged. */
  async land(bead: BeadSpec, sandbox: string): Promise<Outcome[]> {
    const verdicts = [await this.phase(bead, sandbox, 'work')];
    for (;;) {
      const last = verdicts.at(-1)!;
      if (last.outcome === 'merged') return verdicts;
      if (verdicts.length > 3) throw new Error(`${bead.key} did not land: ${JSON.stringify(verdicts)}`);
      if (last.outcome === 'conflict') verdicts.push(await this.phase(bead, sandbox, 'conflict'));
      else if (last.outcome === 'rejected') verdicts.push(await this.phase(bead, sandbox, 'fix'));
      else throw new Error(`${bead.key}: ${JSON.stringify(last)}`);
    }
  }

  /** A fresh clone of the upstream's main. */
  async mainClone(name: string): Promise<string> {
    const dir = path.join(this.dir, name);
    await git(['clone', '-q', this.upstream, dir], { cwd: this.dir });
    return dir;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

async function testsPass(dir: string): Promise<boolean> {
  return (await execa('sh', ['test.sh'], { cwd: dir, reject: false, stdin: 'ignore' })).exitCode === 0;
}

describe('the bead sets', () => {
  it('are valid scripts with unique keys, known dependencies and a test file each', () => {
    expect(demoBeads()).toHaveLength(10);
    expect(e2eBeads()).toHaveLength(12);
    for (const set of [demoBeads(), e2eBeads()]) {
      const keys = set.map((b) => b.key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(dependencyOrder(set)).toHaveLength(set.length);
      expect(set.filter((b) => b.deps.length > 0).length).toBeGreaterThanOrEqual(3);
      for (const b of set) {
        expect(parseScript(b.script, b.key)).toEqual(b.script);
        expect(b.script.work.at(-1)).toEqual({ done: true });
        expect(b.script.work).toContainEqual(expect.objectContaining({ write: `test/${b.key}.test.js` }));
        expect(commitSubjects(b).length).toBeGreaterThan(0);
        expect(b.title.length).toBeGreaterThan(0);
        expect(b.acceptance.length).toBeGreaterThan(0);
      }
      for (const key of [...CONFLICT_PAIR, BREAKS_TESTS]) expect(keys).toContain(key);
    }
    expect(e2eBeads().find((b) => b.key === BREAKS_TESTS)!.script.fix).toBeDefined();
    for (const key of CONFLICT_PAIR) {
      const b = e2eBeads().find((x) => x.key === key)!;
      expect(b.deps).toEqual([]);
      expect(b.priority).toBe(0);
      expect(b.script.conflict).toBeDefined();
    }
  });

  it('dependencyOrder puts blockers first and refuses cycles and unknown keys', () => {
    const order = dependencyOrder(e2eBeads()).map((b) => b.key);
    for (const b of e2eBeads())
      for (const d of b.deps) expect(order.indexOf(d)).toBeLessThan(order.indexOf(b.key));
    const s = (key: string, deps: string[]): BeadSpec => ({ ...e2eBeads()[0]!, key, deps });
    expect(() => dependencyOrder([s('a', ['b']), s('b', ['a'])])).toThrow(/cycle: a → b → a/);
    expect(() => dependencyOrder([s('a', ['zz'])])).toThrow(/zz, which is not in the set/);
  });
});

describe('the e2e beads on the sample project, with the real scripted agent and a stand-in gt done', () => {
  let bench: Bench;
  beforeAll(async () => {
    bench = await Bench.create();
  });
  afterAll(() => bench.remove());

  it('land one by one in dependency order: the pair conflicts, word-count is rejected then fixed, main is green', async () => {
    const beads = dependencyOrder(e2eBeads());
    const initial = await bench.mainClone('initial');
    expect(await testsPass(initial)).toBe(true);

    // Both beads of the pair start from the same main, as two polecats started at once do.
    const sandboxes = new Map<string, string>();
    for (const key of CONFLICT_PAIR) sandboxes.set(key, await bench.sandbox(key));

    const verdicts = new Map<string, Outcome[]>();
    for (const b of beads) {
      const sandbox = sandboxes.get(b.key) ?? (await bench.sandbox(b.key));
      verdicts.set(b.key, await bench.land(b, sandbox));
    }

    const kinds = (key: string) => verdicts.get(key)!.map((v) => v.outcome);
    const [first, second] = CONFLICT_PAIR;
    expect(kinds(first)).toEqual(['merged']);
    expect(kinds(second)).toEqual(['conflict', 'merged']);
    expect(verdicts.get(second)![0]!.files).toEqual(['src/index.js']);
    expect(kinds(BREAKS_TESTS)).toEqual(['rejected', 'merged']);
    expect(verdicts.get(BREAKS_TESTS)![0]!.output).toMatch(/# fail [1-9]/);
    for (const b of beads)
      if (b.key !== second && b.key !== BREAKS_TESTS) expect(kinds(b.key), b.key).toEqual(['merged']);

    const main = await bench.mainClone('final');
    expect(await testsPass(main)).toBe(true);
    const subjects = (await git(['log', '--format=%s', 'main'], { cwd: main })).split('\n').reverse();
    const landed = subjects.slice(1); // after the sample project's own commit
    const expected = beads.flatMap((b) => commitSubjects(b));
    expect(landed).toEqual(expected);
    const index = fs.readFileSync(path.join(main, 'src', 'index.js'), 'utf8');
    expect(index).toContain("export { slugify } from './slugify.js';");
    expect(index).toContain("export { truncate } from './truncate.js';");
    expect(index).not.toMatch(/<<<<<<<|>>>>>>>/);
  }, 180_000);

  it('the pair resolves in the other order too (whichever merges second resolves)', async () => {
    const other = await Bench.create();
    try {
      const [a, b] = [...CONFLICT_PAIR].reverse().map((k) => e2eBeads().find((x) => x.key === k)!);
      const sa = await other.sandbox(a!.key);
      const sb = await other.sandbox(b!.key);
      expect((await other.land(a!, sa)).map((v) => v.outcome)).toEqual(['merged']);
      expect((await other.land(b!, sb)).map((v) => v.outcome)).toEqual(['conflict', 'merged']);
      expect(await testsPass(await other.mainClone('final'))).toBe(true);
    } finally {
      other.remove();
    }
  }, 60_000);

  it('the dependent beads really need their blockers: on the first main their tests fail', async () => {
    const initial = await bench.mainClone('dependents');
    const first = await git(['rev-list', '--max-parents=0', 'HEAD'], { cwd: initial });
    await git(['checkout', '-q', first], { cwd: initial });
    for (const b of e2eBeads().filter((x) => x.deps.length > 0)) {
      for (const step of b.script.work)
        if ('write' in step) {
          fs.mkdirSync(path.dirname(path.join(initial, step.write)), { recursive: true });
          fs.writeFileSync(path.join(initial, step.write), step.content);
        }
      const r = await execa(process.execPath, ['--test', `test/${b.key}.test.js`], {
        cwd: initial,
        reject: false,
        all: true,
        stdin: 'ignore',
      });
      expect(r.exitCode, b.key).not.toBe(0);
      expect(r.all, b.key).toMatch(/ERR_MODULE_NOT_FOUND|Cannot find module/);
    }
  });
});
