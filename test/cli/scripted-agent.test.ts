import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, GT_BIN, waitFor } from '../harness/town.js';

const REPO_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'bin',
  'gt-scripted-agent.js',
);
/** The agent's bin next to this run's built `gt` (global-setup copies only bd.js and gt.js). */
const AGENT_BIN = path.join(path.dirname(GT_BIN), 'gt-scripted-agent.js');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-scripted-'));
const started: number[] = [];

/** A stand-in for `gt`/`bd`: records its argv, cwd and GT_ADDRESS; prints $STUB_PRIME for `prime --json`. */
const STUB = `import fs from 'node:fs';
const args = process.argv.slice(2);
fs.appendFileSync(process.env.STUB_LOG, JSON.stringify({ args, cwd: process.cwd(), address: process.env.GT_ADDRESS ?? null }) + '\\n');
if (args[0] === 'prime' && args[1] === '--json') process.stdout.write(fs.readFileSync(process.env.STUB_PRIME, 'utf8'));
else if (args[0] === 'fail') { process.stderr.write('stub says no\\n'); process.exitCode = 5; }
else process.stdout.write('stub ok ' + args.join(' ') + '\\n');
`;
const stubBin = path.join(root, 'stub.mjs');

beforeAll(() => {
  if (!fs.existsSync(AGENT_BIN)) fs.copyFileSync(REPO_BIN, AGENT_BIN);
  fs.writeFileSync(stubBin, STUB);
});

afterEach(async () => {
  const pids = started.splice(0);
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await waitFor('agents to exit', () => pids.every((p) => !alive(p)), 5_000);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await execa('git', args, { cwd, env: GIT_ENV })).stdout;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'gt test',
  GIT_AUTHOR_EMAIL: 'gt-test@example.com',
  GIT_COMMITTER_NAME: 'gt test',
  GIT_COMMITTER_EMAIL: 'gt-test@example.com',
};

/** A rig repo with one commit and a polecat worktree on `polecat/nux/<bead>`; returns the worktree. */
async function sandbox(bead = 'gt-1'): Promise<{ repo: string; tree: string; dir: string }> {
  const dir = path.join(root, `t${++n}`);
  const repo = path.join(dir, 'rig');
  fs.mkdirSync(repo, { recursive: true });
  await git(repo, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(repo, 'README.md'), 'rig\n');
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'init');
  const tree = path.join(dir, 'polecats', 'nux');
  await git(repo, 'worktree', 'add', '-q', '-b', `polecat/nux/${bead}`, tree);
  return { repo, tree, dir };
}

function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

/** Starts the built agent; output interleaved in `all`. Killed by pid after each test. */
function agent(args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const p = execa(process.execPath, [AGENT_BIN, ...args], {
    cwd: options.cwd,
    env: { ...GIT_ENV, GT_SCRIPT_FILE: '', GT_NUDGE_FILE: '', GT_READY_FILE: '', GT_BIN: '', ...options.env },
    all: true,
    reject: false,
    timeout: 30_000,
  });
  if (p.pid !== undefined) started.push(p.pid);
  return p;
}

/** Output so far of a running agent. */
function watch(p: ReturnType<typeof agent>): () => string {
  let text = '';
  p.all.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return () => text;
}

function stubLog(file: string): Array<{ args: string[]; cwd: string; address: string | null }> {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { args: string[]; cwd: string; address: string | null });
}

/** The env that makes the stub the agent's `gt` (and `bd`), priming with `prime`. */
let stubs = 0;
function stubEnv(parent: string, prime: unknown): { env: Record<string, string>; log: string } {
  const dir = path.join(parent, `stub${++stubs}`);
  fs.mkdirSync(dir);
  const log = path.join(dir, 'stub.log');
  const primeFile = writeJson(dir, 'prime.json', prime);
  return {
    log,
    env: {
      GT_BIN: stubBin,
      BD_BIN: stubBin,
      STUB_LOG: log,
      STUB_PRIME: primeFile,
      GT_AGENT_ADDRESS: 'alpha/web/polecats/nux',
      BD_ACTOR: 'alpha/web/polecats/nux',
      GT_ROLE: 'polecat',
    },
  };
}

function primeWith(hook: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    role: 'polecat',
    agent: 'alpha/web/polecats/nux',
    rig: 'web',
    sandbox: '/somewhere',
    branch: 'polecat/nux/gt-1',
    hook,
    mail: [],
    ...extra,
  };
}

describe('gt-scripted-agent: file steps and git', () => {
  it('writes, edits and commits, one story line per step', async () => {
    const { tree, dir } = await sandbox();
    const script = writeJson(dir, 's.json', [
      { write: 'src/parser.ts', content: 'export const x = 1;\n' },
      { edit: 'src/parser.ts', find: '1', replace: '2' },
      { append: 'src/parser.ts', content: 'export const y = 3;\n' },
      { write: 'gone.txt', content: 'x' },
      { delete: 'gone.txt' },
      { say: 'parser ready' },
      { commit: 'add parser' },
    ]);
    const r = await agent(['--script', script], { cwd: tree });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('[scripted] step 7/7 commit "add parser"');
    expect(r.all).toContain('parser ready');
    expect(r.all.trimEnd().endsWith('[scripted] finished')).toBe(true);
    expect(await git(tree, 'log', '-1', '--format=%s %D')).toBe('add parser HEAD -> polecat/nux/gt-1');
    expect(await git(tree, 'show', 'HEAD:src/parser.ts')).toBe('export const x = 2;\nexport const y = 3;');
    expect(await git(tree, 'status', '--porcelain')).toBe('');
    expect(fs.existsSync(path.join(tree, 'gone.txt'))).toBe(false);
  });

  it('fails on a run with an unexpected exit, a missing find, or nothing to commit', async () => {
    const { tree, dir } = await sandbox();
    const failing = writeJson(dir, 'f.json', [
      { run: 'echo trying; exit 3' },
      { write: 'never.txt', content: '' },
    ]);
    const r = await agent(['--script', failing], { cwd: tree });
    expect(r.exitCode).toBe(1);
    expect(r.all).toContain('trying');
    expect(r.all).toContain(
      '[scripted] failed: step 1 (run) failed: command "echo trying; exit 3" exited 3, expected 0',
    );
    expect(fs.existsSync(path.join(tree, 'never.txt'))).toBe(false);

    const expected = writeJson(dir, 'e.json', [{ run: 'exit 3', expect: 3 }]);
    expect((await agent(['--script', expected], { cwd: tree })).exitCode).toBe(0);

    const edit = writeJson(dir, 'g.json', [{ edit: 'README.md', find: 'absent', replace: 'x' }]);
    const e = await agent(['--script', edit], { cwd: tree });
    expect(e.exitCode).toBe(1);
    expect(e.all).toContain('"absent" does not occur in README.md');

    const empty = writeJson(dir, 'h.json', [{ commit: 'nothing' }]);
    const c = await agent(['--script', empty], { cwd: tree });
    expect(c.exitCode).toBe(1);
    expect(c.all).toContain('nothing to commit');
    const allowed = writeJson(dir, 'i.json', [{ commit: 'empty ok', allow_empty: true }]);
    expect((await agent(['--script', allowed], { cwd: tree })).exitCode).toBe(0);
    expect(await git(tree, 'log', '-1', '--format=%s')).toBe('empty ok');
  });
});

describe('gt-scripted-agent: misbehaviour', () => {
  it('crash exits with its code at once', async () => {
    const { tree, dir } = await sandbox();
    const script = writeJson(dir, 's.json', [{ say: 'working' }, { crash: 7 }, { say: 'unreachable' }]);
    const r = await agent(['--script', script], { cwd: tree });
    expect(r.exitCode).toBe(7);
    expect(r.all).toContain('[scripted] step 2/3 crash 7');
    expect(r.all).not.toContain('unreachable');
    expect(r.all).not.toContain('finished');
  });

  it('once crashes on the first run and goes on after the restart, its marker outside the work tree', async () => {
    const { tree, dir, repo } = await sandbox();
    const script = writeJson(dir, 's.json', [
      { once: 'first-attempt', steps: [{ say: 'about to crash' }, { crash: 3 }] },
      { write: 'done.txt', content: 'ok\n' },
      { commit: 'second attempt' },
    ]);
    const first = await agent(['--script', script], { cwd: tree });
    expect(first.exitCode).toBe(3);
    expect(first.all).toContain('[scripted] step 1.2/1.2 crash 3');
    expect(
      fs.existsSync(path.join(repo, '.git', 'worktrees', 'nux', 'gt-scripted', 'once-first-attempt')),
    ).toBe(true);
    expect(await git(tree, 'status', '--porcelain')).toBe('');

    const second = await agent(['--script', script], { cwd: tree });
    expect(second.exitCode, second.all).toBe(0);
    expect(second.all).toContain('once "first-attempt": already done in this sandbox, skipped');
    expect(second.all).not.toContain('about to crash');
    expect(await git(tree, 'log', '-1', '--format=%s')).toBe('second attempt');
  });

  it('hang stays alive, silent, until SIGTERM, then stops promptly with 143', async () => {
    const { tree, dir } = await sandbox();
    const script = writeJson(dir, 's.json', [{ hang: true }, { say: 'after the hang' }]);
    const p = agent(['--script', script], { cwd: tree });
    const seen = watch(p);
    await waitFor('the hang step', () => seen().includes('[scripted] step 1/2 hang'));
    const early = await Promise.race([
      p.then(() => 'exited'),
      new Promise((r) => setTimeout(() => r('alive'), 400)),
    ]);
    expect(early).toBe('alive');
    const before = seen();
    const t0 = Date.now();
    process.kill(p.pid as number, 'SIGTERM');
    const r = await p;
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(r.exitCode).toBe(143);
    expect(r.all.slice(before.length).trim()).toBe('[scripted] stopped');
    expect(r.all).not.toContain('after the hang');
  });

  it('SIGINT during silent_ms or a running command stops with 130 and kills the command', async () => {
    const { tree, dir } = await sandbox();
    const script = writeJson(dir, 's.json', [{ silent_ms: 60_000 }]);
    const p = agent(['--script', script], { cwd: tree });
    const seen = watch(p);
    await waitFor('the silent step', () => seen().includes('silent_ms 60000'));
    process.kill(p.pid as number, 'SIGINT');
    const r = await p;
    expect(r.exitCode).toBe(130);
    expect(r.all).toContain('[scripted] stopped');

    const pidFile = path.join(dir, 'child.pid');
    const long = writeJson(dir, 'l.json', [{ run: `echo $$ > ${pidFile}; exec sleep 60` }]);
    const q = agent(['--script', long], { cwd: tree });
    const childPid = await waitFor('the command to start', () =>
      fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) || undefined : undefined,
    );
    process.kill(q.pid as number, 'SIGTERM');
    expect((await q).exitCode).toBe(143);
    await waitFor('the command to be killed', () => !alive(childPid), 5_000);
  });

  it('wait_input goes on after a nudge is appended to GT_NUDGE_FILE (old nudges ignored)', async () => {
    const { tree, dir } = await sandbox();
    const nudges = path.join(dir, 'nudges.jsonl');
    fs.writeFileSync(nudges, `${JSON.stringify({ at: '2026-01-01T00:00:00Z', text: 'stale' })}\n`);
    const script = writeJson(dir, 's.json', [{ wait_input: 'Which colour?' }, { say: 'thanks' }]);
    const p = agent(['--script', script], { cwd: tree, env: { GT_NUDGE_FILE: nudges } });
    const seen = watch(p);
    await waitFor('the question', () => seen().includes('Which colour?\n❯ \n'));
    fs.appendFileSync(nudges, `${JSON.stringify({ at: new Date().toISOString(), text: 'blue' })}\n`);
    const r = await p;
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('got: blue\n');
    expect(r.all).not.toContain('stale');
    expect(r.all.indexOf('got: blue')).toBeLessThan(r.all.indexOf('thanks'));
  });

  it('wait_input also takes a line typed on stdin', async () => {
    const { tree, dir } = await sandbox();
    const script = writeJson(dir, 's.json', [{ wait_input: 'Proceed?' }]);
    const p = agent(['--script', script], { cwd: tree });
    const seen = watch(p);
    await waitFor('the question', () => seen().includes('Proceed?\n❯ \n'));
    p.stdin.write('yes please\n');
    const r = await p;
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('got: yes please');
  });

  it('--stay idles after finishing and runs on_nudge for each nudge until SIGTERM', async () => {
    const { tree, dir } = await sandbox();
    const nudges = path.join(dir, 'nudges.jsonl');
    const script = writeJson(dir, 's.json', {
      work: [{ say: 'worked' }],
      on_nudge: [{ run: 'echo "nudged with $GT_NUDGE_TEXT"' }],
    });
    const p = agent(['--script', script, '--stay'], { cwd: tree, env: { GT_NUDGE_FILE: nudges } });
    const seen = watch(p);
    await waitFor('finished', () => seen().includes('[scripted] finished\n❯ \n'));
    fs.appendFileSync(nudges, `${JSON.stringify({ at: new Date().toISOString(), text: 'check mail' })}\n`);
    await waitFor('the on_nudge steps', () => seen().includes('nudged with check mail'));
    await waitFor('the prompt again', () => seen().trimEnd().endsWith('❯'));
    expect(alive(p.pid as number)).toBe(true);
    process.kill(p.pid as number, 'SIGTERM');
    const r = await p;
    expect(r.exitCode).toBe(143);
    expect(r.all).toContain('got: check mail');
  });
});

describe('gt-scripted-agent: scripts and phases', () => {
  const first = { write: 'first.txt', content: 'x' };
  let one: ReturnType<typeof sandbox> | undefined;
  const shared = () => (one ??= sandbox());
  it.each([
    [[first, { bogus: 1 }], 'step 2: unknown step (keys: bogus)'],
    [[first, { edit: 'a.txt', find: 'x' }], 'step 2: (edit) field "replace"'],
    [
      [first, { write: '../escape.txt', content: 'x' }],
      'step 2: (write) field "write": must not contain ".."',
    ],
    [[first, { write: '/etc/passwd', content: 'x' }], 'step 2: (write) field "write": must be relative'],
    [[first, { run: 'true', stdin: 'x' }], 'step 2: (run) unknown field "stdin"'],
    [[first, { once: 'k', steps: [{ run: 'true', expect: 'zero' }] }], 'step 2.1: (run) field "expect"'],
    [
      { work: [first], fix: [{ delete: '.git' }] },
      'phase fix step 1: (delete) field "delete": must not touch .git',
    ],
    [{ work: [first], later: [] }, 'unknown phase "later"'],
  ])('refuses a bad script with exit 2, naming the step, doing nothing: %j', async (steps, message) => {
    const { tree, dir } = await shared();
    const script = writeJson(dir, `bad${++n}.json`, steps);
    const ready = path.join(dir, 'ready');
    const r = await agent(['--script', script], { cwd: tree, env: { GT_READY_FILE: ready } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(fs.existsSync(path.join(tree, 'first.txt'))).toBe(false);
    expect(fs.existsSync(ready)).toBe(false);
  });

  it('refuses unreadable and non-JSON scripts with exit 2', async () => {
    const { tree, dir } = await sandbox();
    const missing = await agent(['--script', path.join(dir, 'nope.json')], { cwd: tree });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('cannot read script file');
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ not json');
    const bad = await agent(['--script', path.join(dir, 'bad.json')], { cwd: tree });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('is not valid JSON');
    expect((await agent(['--phase', 'later'], { cwd: tree })).exitCode).toBe(2);
  });

  it('creates GT_READY_FILE after loading the script and prints the ready prompt', async () => {
    const { tree, dir } = await sandbox();
    const ready = path.join(dir, 'run', 'ready');
    const script = writeJson(dir, 's.json', [{ wait_input: 'go?' }]);
    const p = agent(['--script', script], { cwd: tree, env: { GT_READY_FILE: ready } });
    const seen = watch(p);
    await waitFor('the ready file', () => fs.existsSync(ready));
    expect(fs.readFileSync(ready, 'utf8').trim()).toBe(String(p.pid));
    await waitFor('the ready prompt', () => seen().includes('❯ \n[scripted] phase work'));
    p.stdin.write('go\n');
    expect((await p).exitCode).toBe(0);
  });

  it('--phase fix runs the fix steps; without fix steps it prints the gate output and exits 1', async () => {
    const { tree, dir } = await sandbox();
    const script = writeJson(dir, 's.json', {
      work: [{ say: 'work phase' }],
      fix: [{ say: 'fixing the gates' }, { write: 'fix.txt', content: 'fixed\n' }, { commit: 'fix gates' }],
    });
    const r = await agent(['--script', script, '--phase', 'fix'], { cwd: tree });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('phase fix');
    expect(r.all).toContain('fixing the gates');
    expect(r.all).not.toContain('work phase');
    expect(await git(tree, 'log', '-1', '--format=%s')).toBe('fix gates');

    const workOnly = writeJson(dir, 'w.json', [{ say: 'work phase' }]);
    const d = await agent(['--script', workOnly, '--phase', 'fix'], { cwd: tree });
    expect(d.exitCode).toBe(1);
    expect(d.all).toContain('(no gate output)');
  });
});

describe('gt-scripted-agent: talking to the town (stand-in gt/bd)', () => {
  it('gt, bd, done and ask_help steps run the town CLIs as this agent', async () => {
    const { tree, dir } = await sandbox();
    const { env, log } = stubEnv(dir, primeWith(null));
    const help = 'I cannot find the config loader; where does it live? It is not under src/config at all.';
    const script = writeJson(dir, 's.json', [
      { gt: ['mail', 'inbox'] },
      { bd: ['show', 'gt-1', '--json'] },
      { ask_help: help },
      { done: true },
      { gt: ['fail'], expect: 5 },
    ]);
    const r = await agent(['--script', script], { cwd: tree, env });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('stub ok mail inbox');
    expect(r.all).toContain('stub says no');
    const calls = stubLog(log);
    expect(calls.map((c) => c.args)).toEqual([
      ['mail', 'inbox'],
      ['show', 'gt-1', '--json'],
      ['mail', 'send', 'mayor', '-s', `HELP: ${help.slice(0, 60)}`, '-m', help],
      ['done'],
      ['fail'],
    ]);
    expect(calls.every((c) => c.address === 'alpha/web/polecats/nux')).toBe(true);
    expect(calls.every((c) => fs.realpathSync(c.cwd) === fs.realpathSync(tree))).toBe(true);

    const failing = writeJson(dir, 'f.json', [{ gt: ['fail'] }, { done: true }]);
    const f = await agent(['--script', failing], { cwd: tree, env });
    expect(f.exitCode).toBe(1);
    expect(f.all).toContain('step 1 (gt) failed: gt fail exited 5, expected 0');
    expect(stubLog(log).at(-1)?.args).toEqual(['fail']);
  });

  it('takes the script from the hooked bead via gt prime --json', async () => {
    const { tree, dir } = await sandbox();
    const bead = {
      id: 'gt-1',
      title: 'Add the parser',
      description: 'parse things',
      metadata: { script: [{ write: 'p.txt', content: 'p\n' }, { commit: 'parser' }, { done: true }] },
    };
    const { env, log } = stubEnv(
      dir,
      primeWith({ bead, kind: 'work' }, { mail: [{ id: 'gt-m1', from: 'mayor', subject: 'hi', body: '' }] }),
    );
    const r = await agent([], { cwd: tree, env: { ...env, GT_AGENT_PROMPT: 'You are nux. Run gt prime.' } });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain(
      '[scripted] start as alpha/web/polecats/nux: script from bead gt-1 metadata.script, phase work',
    );
    expect(r.all).toContain('[scripted] prompt: "You are nux. Run gt prime."');
    expect(r.all).toContain('hook: gt-1 "Add the parser" (work)');
    expect(r.all).toContain('mail gt-m1 from mayor: hi');
    expect(await git(tree, 'log', '-1', '--format=%s')).toBe('parser');
    expect(stubLog(log).map((c) => c.args)).toEqual([['prime', '--json'], ['done']]);
  });

  it('says "nothing on my hook" and exits 0 when the hook is empty', async () => {
    const { tree, dir } = await sandbox();
    const { env } = stubEnv(dir, primeWith(null));
    const r = await agent([], { cwd: tree, env });
    expect(r.exitCode).toBe(0);
    expect(r.all.trim()).toBe('[scripted] nothing on my hook');
  });

  it('falls back to the rig script, and selects the phase from the hook kind (metadata as JSON text)', async () => {
    const { tree, dir } = await sandbox();
    const rigScript = { work: [{ say: 'rig work' }], fix: [{ run: 'echo "fixing: $GT_GATE_OUTPUT"' }] };
    const fixHook = {
      bead: { id: 'gt-1', title: 't', metadata: '{"other":1}' },
      kind: 'fix',
      gate_output: 'lint failed',
    };
    const fix = stubEnv(dir, primeWith(fixHook, { rig_script: rigScript }));
    const r = await agent([], { cwd: tree, env: fix.env });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('script from rig web rig_script, phase fix');
    expect(r.all).toContain('fixing: lint failed');

    const noScript = stubEnv(dir, primeWith({ bead: { id: 'gt-1' }, kind: 'fix', gate_output: 'x' }));
    const none = await agent([], { cwd: tree, env: noScript.env });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('bead gt-1 carries no metadata.script');

    const textScript = {
      bead: { id: 'gt-1', metadata: JSON.stringify({ script: '[{"say":"from text"}]' }) },
      kind: 'work',
    };
    const t = await agent([], { cwd: tree, env: stubEnv(dir, primeWith(textScript)).env });
    expect(t.exitCode, t.all).toBe(0);
    expect(t.all).toContain('from text');

    const defaultFix = stubEnv(
      dir,
      primeWith({ ...fixHook, bead: { id: 'gt-1', metadata: { script: [{ say: 'w' }] } } }),
    );
    const d = await agent([], { cwd: tree, env: defaultFix.env });
    expect(d.exitCode).toBe(1);
    expect(d.all).toContain('lint failed');
  });

  it('GT_SCRIPT_FILE wins over the bead script, and the hook still gives the phase', async () => {
    const { tree, dir } = await sandbox();
    const file = writeJson(dir, 'env.json', { work: [{ say: 'env work' }], fix: [{ say: 'env fix' }] });
    const hook = {
      bead: { id: 'gt-1', metadata: { script: [{ say: 'bead script' }] } },
      kind: 'fix',
      gate_output: 'x',
    };
    const { env } = stubEnv(dir, primeWith(hook));
    const r = await agent([], { cwd: tree, env: { ...env, GT_SCRIPT_FILE: file } });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('env fix');
    expect(r.all).not.toContain('bead script');

    const townless = await agent([], {
      cwd: tree,
      env: { GT_SCRIPT_FILE: file, GT_BIN: path.join(dir, 'no-such-gt.js') },
    });
    expect(townless.exitCode, townless.all).toBe(0);
    expect(townless.all).toContain('no hook context');
    expect(townless.all).toContain('env work');
  });

  it('the default conflict phase rebases onto the target: gt done when clean, abort and exit 1 on conflict', async () => {
    const { tree, dir, repo } = await sandbox();
    fs.writeFileSync(path.join(tree, 'README.md'), 'polecat line\n');
    await git(tree, 'commit', '-q', '-am', 'polecat change');
    fs.writeFileSync(path.join(repo, 'other.txt'), 'main\n');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'main moves on');
    const hook = (onto: string) => ({
      bead: { id: 'gt-1', metadata: { script: [{ say: 'work' }] } },
      kind: 'conflict',
      conflict: { target: 'main', onto },
    });
    const clean = stubEnv(dir, primeWith(hook('main')));
    const r = await agent([], { cwd: tree, env: clean.env });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('git rebase main');
    expect(await git(tree, 'log', '--format=%s')).toBe('polecat change\nmain moves on\ninit');
    expect(stubLog(clean.log).map((c) => c.args)).toEqual([['prime', '--json'], ['done']]);

    fs.writeFileSync(path.join(repo, 'README.md'), 'main line\n');
    await git(repo, 'commit', '-q', '-am', 'main edits the readme');
    const conflicted = stubEnv(dir, primeWith(hook('main')));
    const c = await agent([], { cwd: tree, env: conflicted.env });
    expect(c.exitCode).toBe(1);
    expect(c.all).toContain('rebase onto main conflicts; aborted it, giving up');
    expect(await git(tree, 'status', '--porcelain')).toBe('');
    expect(await git(tree, 'log', '-1', '--format=%s')).toBe('polecat change');
  });
});
