import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../actors/runtime/agent-errors.js';
import { resolveAgent } from '../../../actors/runtime/agent-config.js';
import {
  agentEnvironment,
  beacon,
  BUILTIN_PRESETS,
  buildLaunch,
  SCRIPTED_PROMPT_ENV,
  SCRIPTED_READY_ENV,
  WORK_NUDGE,
} from '../../../actors/runtime/presets.js';
import type { AgentPreset, BeaconFields } from '../../../actors/runtime/presets.js';
import { sessionStartCommand, writeRoleContext } from '../../../actors/runtime/role-context.js';
import { waitFor } from '../../harness/town.js';

const STAND_INS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stand-ins');
const AT = new Date('2026-12-01T19:42:17Z');
const FIELDS: BeaconFields = {
  recipient: 'web/polecats/nux',
  sender: 'web/witness',
  topic: 'assigned',
  at: AT,
};

let tmp: string;
let bin: string;
const pids = new Set<number>();

function preset(name: string): AgentPreset {
  const p = BUILTIN_PRESETS[name];
  if (p === undefined) throw new Error(`no preset ${name}`);
  return p;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await execa('git', args, { cwd });
  return String(r.stdout);
}

async function gitRepo(name: string): Promise<string> {
  const repo = path.join(tmp, name);
  fs.mkdirSync(repo);
  await git(repo, 'init', '-q', '-b', 'main');
  await git(repo, 'config', 'user.email', 'test@example.com');
  await git(repo, 'config', 'user.name', 'test');
  fs.writeFileSync(path.join(repo, 'README.md'), 'hello\n');
  await git(repo, 'add', 'README.md');
  await git(repo, 'commit', '-q', '-m', 'init');
  return repo;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-presets-'));
  bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'package.json'), '{"type":"module"}\n');
  for (const file of fs.readdirSync(STAND_INS)) {
    const target = path.join(bin, file === 'stand-in-lib.js' ? file : file.replace(/\.js$/, ''));
    fs.copyFileSync(path.join(STAND_INS, file), target);
    fs.chmodSync(target, 0o755);
  }
});

afterAll(() => {
  for (const pid of pids)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  pids.clear();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Recorded {
  name: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  stdin: string;
}

describe('every preset against a stand-in of its CLI', () => {
  const cases: Array<[string, string]> = [
    ['claude', 'claude'],
    ['codex', 'codex'],
    ['gemini', 'gemini'],
    ['cursor', 'cursor-agent'],
    ['amp', 'amp'],
    ['opencode', 'opencode'],
    ['copilot', 'copilot'],
    ['auggie', 'auggie'],
  ];

  it.each(cases)('%s runs as `%s` called the way the real CLI expects', async (name, command) => {
    const p = preset(name);
    expect(p.command).toBe(command);
    const work = await gitRepo(`work-${name}`);
    const record = path.join(tmp, `record-${name}.json`);
    await writeRoleContext(p, work, 'polecat');
    const launch = buildLaunch(p, {
      role: 'polecat',
      cwd: work,
      prompt: FIELDS,
      env: { BD_ACTOR: 'web/polecats/nux', STAND_IN_RECORD: record, NODE_OPTIONS: '--no-warnings' },
    });
    const env = agentEnvironment(launch, {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`,
      NODE_OPTIONS: '--max-old-space-size=64',
      CLAUDECODE: '1',
    });
    const child = execa(launch.command, launch.args, {
      cwd: launch.cwd,
      env,
      extendEnv: false,
      stdin: 'pipe',
      reject: false,
      timeout: 15_000,
    });
    if (child.pid !== undefined) pids.add(child.pid);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const ready = launch.ready;
    if (ready.kind === 'prompt')
      await waitFor(`${name} to show its prompt ${JSON.stringify(ready.prefix)}`, () =>
        out.includes(ready.prefix),
      );
    await waitFor(`${name} to record its call`, () => fs.existsSync(record) || child.exitCode !== null);
    child.stdin.write(`${launch.deliveries[0]?.text ?? 'exit'}\n`);
    const r = await child;
    if (child.pid !== undefined) pids.delete(child.pid);
    expect(r.exitCode, String(r.stderr)).toBe(0);

    const rec = JSON.parse(fs.readFileSync(record, 'utf8')) as Recorded;
    expect(rec.name).toBe(command);
    expect(rec.argv).toEqual(launch.args);
    expect(fs.realpathSync(rec.cwd)).toBe(fs.realpathSync(work));
    expect(rec.env).toMatchObject({ GT_AGENT: name, GT_ROLE: 'polecat', BD_ACTOR: 'web/polecats/nux' });
    expect(rec.env['GT_PROCESS_NAMES']).toBe(p.processNames.join(','));
    expect(rec.env).not.toHaveProperty('NODE_OPTIONS');
    expect(rec.env).not.toHaveProperty('CLAUDECODE');
    if (p.promptMode === 'none') {
      expect(launch.args.some((a) => a.startsWith('[GAS TOWN]'))).toBe(false);
      expect(rec.stdin).toContain('[GAS TOWN] web/polecats/nux <- web/witness • 2026-12-01T19:42 • assigned');
    } else expect(launch.args.at(-1)).toBe(rec.argv.at(-1));
    expect((await git(work, 'status', '--porcelain')).trim()).toBe('');
  });
});

describe('the stand-ins', () => {
  it('refuse a wrong call: a missing flag, a prompt codex does not take, NODE_OPTIONS, no GT_AGENT', async () => {
    const record = path.join(tmp, 'record-wrong.json');
    const base = { PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`, STAND_IN_RECORD: record };
    const run = (command: string, args: string[], env: Record<string, string>) =>
      execa(command, args, { env: { ...base, ...env }, extendEnv: false, stdin: 'ignore', reject: false });
    const ok = { GT_AGENT: 'gemini', GT_ROLE: 'crew' };
    const prompt = beacon(FIELDS);
    expect((await run('gemini', ['--approval-mode', 'yolo', prompt], ok)).exitCode).toBe(0);
    const missing = await run('gemini', ['--approval-mode', prompt], ok);
    expect(missing.exitCode).toBe(64);
    expect(String(missing.stderr)).toContain('gemini: called wrong');
    expect(
      (
        await run('codex', ['--dangerously-bypass-approvals-and-sandbox', prompt], {
          ...ok,
          GT_AGENT: 'codex',
        })
      ).exitCode,
    ).toBe(64);
    expect(
      (await run('gemini', ['--approval-mode', 'yolo', prompt], { ...ok, NODE_OPTIONS: '' })).exitCode,
    ).toBe(64);
    expect((await run('gemini', ['--approval-mode', 'yolo', prompt], { GT_ROLE: 'crew' })).exitCode).toBe(64);
    expect((await run('opencode', [prompt], { ...ok, GT_AGENT: 'opencode' })).exitCode).toBe(64);
  });
});

describe('buildLaunch', () => {
  it('follows the startup fallback matrix', () => {
    const opts = { role: 'polecat', cwd: '/w', prompt: FIELDS };
    // hooks + prompt argument: nothing extra
    expect(buildLaunch(preset('claude'), opts).deliveries).toEqual([]);
    expect(buildLaunch(preset('gemini'), opts).args.at(-1)).toContain('gt prime --hook');
    // no hooks, prompt argument: a beacon saying "Run `gt prime`", then the work nudge after >= 2 s
    const amp = buildLaunch(preset('amp'), opts);
    expect(amp.args.at(-1)).toContain('Run `gt prime && gt mail check --inject`');
    expect(amp.deliveries).toEqual([{ kind: 'nudge', text: WORK_NUDGE, afterReadyMs: 2_000 }]);
    expect(WORK_NUDGE).toBe('Check your hook with `gt hook`. If work is present, begin immediately.');
    const crew = buildLaunch(preset('auggie'), { ...opts, role: 'crew' });
    expect(crew.args.at(-1)).toContain('Run `gt prime` to load your role context');
    // neither: everything as nudges, single-line
    const codex = buildLaunch(preset('codex'), opts);
    expect(codex.args).toEqual(['--dangerously-bypass-approvals-and-sandbox']);
    expect(codex.deliveries.map((d) => d.afterReadyMs)).toEqual([0, 2_000]);
    expect(codex.deliveries[0]?.text).toMatch(/^\[GAS TOWN\] .* • assigned Run `gt prime/);
    expect(codex.deliveries.every((d) => !d.text.includes('\n'))).toBe(true);
    // a finished prompt text is kept, and a hookless agent gets the prime instruction appended
    expect(buildLaunch(preset('gemini'), { ...opts, prompt: 'hello' }).args.at(-1)).toBe('hello');
    expect(buildLaunch(preset('amp'), { ...opts, prompt: 'hello' }).args.at(-1)).toMatch(
      /^hello\n\nRun `gt prime/,
    );
  });

  it('gives each preset its readiness check and process names', () => {
    const ready = (n: string) => buildLaunch(preset(n), { role: 'crew', cwd: '/w', prompt: 'x' }).ready;
    expect(ready('claude')).toEqual({ kind: 'prompt', prefix: '❯ ', timeoutMs: 10_000 });
    expect(ready('codex')).toEqual({ kind: 'prompt', prefix: '› ', timeoutMs: 3_000 });
    expect(ready('gemini')).toEqual({ kind: 'delay', ms: 5_000 });
    expect(ready('cursor')).toEqual({ kind: 'delay', ms: 5_000 });
    expect(ready('opencode')).toEqual({ kind: 'delay', ms: 8_000 });
    expect(ready('copilot')).toEqual({ kind: 'delay', ms: 5_000 });
    expect(ready('amp')).toEqual({ kind: 'delay', ms: 3_000 });
    expect(preset('claude').processNames).toEqual(['node', 'claude']);
    expect(preset('opencode').processNames).toEqual(['opencode', 'node', 'bun']);
    expect(preset('cursor').processNames).toEqual(['cursor-agent']);
  });

  it('builds resume command lines', () => {
    const args = (n: string) =>
      buildLaunch(preset(n), { role: 'crew', cwd: '/w', prompt: 'P', resumeId: 'S1' }).args;
    expect(args('claude')).toEqual([
      '--dangerously-skip-permissions',
      '--settings',
      '/w/.claude/settings.json',
      '--resume',
      'S1',
      'P',
    ]);
    expect(args('codex')).toEqual(['resume', 'S1', '--dangerously-bypass-approvals-and-sandbox']);
    expect(args('amp').slice(0, 5)).toEqual([
      'threads',
      'continue',
      'S1',
      '--dangerously-allow-all',
      '--no-ide',
    ]);
    for (const n of ['gemini', 'cursor', 'copilot', 'auggie'])
      expect(args(n).slice(-3, -1)).toEqual(['--resume', 'S1']);
    expect(args('opencode')).toEqual(['P']);
  });

  it('scrubs NODE_OPTIONS and CLAUDECODE and lets the caller override preset variables', () => {
    const launch = buildLaunch(preset('opencode'), {
      role: 'witness',
      cwd: '/w',
      prompt: 'x',
      env: { NODE_OPTIONS: '--inspect', CLAUDECODE: '1', GT_RIG: 'web', OPENCODE_PERMISSION: '{"*":"ask"}' },
    });
    expect(launch.env).toEqual({
      OPENCODE_PERMISSION: '{"*":"ask"}',
      GT_ROLE: 'witness',
      GT_RIG: 'web',
      GT_AGENT: 'opencode',
      GT_PROCESS_NAMES: 'opencode,node,bun',
    });
    expect(launch.unset).toEqual(['NODE_OPTIONS', 'CLAUDECODE']);
    const full = agentEnvironment(launch, {
      HOME: '/h',
      NODE_OPTIONS: '--x',
      CLAUDECODE: '1',
      GT_AGENT: 'old',
    });
    expect(full).toEqual({ HOME: '/h', ...launch.env });
  });

  it('gives the scripted agent its prompt in the environment and a ready file', () => {
    const launch = buildLaunch(preset('scripted'), {
      role: 'polecat',
      cwd: '/w',
      prompt: FIELDS,
      readyFile: '/r/ready',
    });
    expect(launch.command).toBe('gt-scripted-agent');
    expect(launch.args).toEqual([]);
    expect(launch.ready).toEqual({ kind: 'file', path: '/r/ready' });
    expect(launch.env[SCRIPTED_READY_ENV]).toBe('/r/ready');
    expect(launch.env[SCRIPTED_PROMPT_ENV]).toBe(beacon(FIELDS));
    expect(launch.deliveries).toEqual([]);
    const auto = buildLaunch(preset('scripted'), { role: 'polecat', cwd: '/w', prompt: 'x' }).ready;
    expect(auto.kind === 'file' && path.isAbsolute(auto.path)).toBe(true);
  });
});

describe('beacon', () => {
  it('formats the Gas Town startup beacon', () => {
    expect(beacon(FIELDS)).toBe(
      '[GAS TOWN] web/polecats/nux <- web/witness • 2026-12-01T19:42 • assigned\n\n' +
        'Run `gt prime --hook` and begin work on your hook.',
    );
    expect(beacon({ ...FIELDS, topic: 'handoff', instruction: 'Read your handoff mail.' })).toBe(
      '[GAS TOWN] web/polecats/nux <- web/witness • 2026-12-01T19:42 • handoff\n\nRead your handoff mail.',
    );
  });
});

describe('writeRoleContext', () => {
  it('writes each hook file, runs gt prime at session start, and leaves a worktree clean', async () => {
    const repo = await gitRepo('ctx-repo');
    const wt = path.join(tmp, 'ctx-wt');
    await git(repo, 'worktree', 'add', '-q', '-b', 'polecat/nux', wt);
    const written: string[] = [];
    for (const p of Object.values(BUILTIN_PRESETS))
      written.push(...(await writeRoleContext(p, wt, 'polecat')));
    expect(written.map((f) => path.relative(wt, f)).sort()).toEqual([
      '.claude/settings.json',
      '.cursor/hooks.json',
      '.gemini/settings.json',
      '.github/hooks/gastown.json',
      '.opencode/plugins/gastown.js',
    ]);
    for (const f of written) {
      const text = fs.readFileSync(f, 'utf8');
      expect(text, f).toContain('gt prime --hook && gt mail check --inject');
      if (f.endsWith('.json')) expect(() => JSON.parse(text) as unknown).not.toThrow();
    }
    const claude = JSON.parse(fs.readFileSync(path.join(wt, '.claude/settings.json'), 'utf8'));
    expect(claude.hooks.SessionStart[0].hooks[0]).toEqual({
      type: 'command',
      command: 'gt prime --hook && gt mail check --inject',
    });
    expect((await git(wt, 'status', '--porcelain', '--untracked-files=all')).trim()).toBe('');
    expect((await git(repo, 'status', '--porcelain')).trim()).toBe('');
    // idempotent: a second write adds nothing to the exclude file
    const exclude = path.resolve(wt, (await git(wt, 'rev-parse', '--git-path', 'info/exclude')).trim());
    const before = fs.readFileSync(exclude, 'utf8');
    await writeRoleContext(preset('claude'), wt, 'crew');
    expect(fs.readFileSync(exclude, 'utf8')).toBe(before);
    expect(fs.readFileSync(path.join(wt, '.claude/settings.json'), 'utf8')).not.toContain(
      'mail check --inject &&',
    );
    expect(sessionStartCommand('crew')).toBe('gt prime --hook');
  });

  it('creates a missing exclude file, skips hookless presets and works outside git', async () => {
    const repo = await gitRepo('ctx-noexclude');
    fs.rmSync(path.join(repo, '.git', 'info'), { recursive: true, force: true });
    await writeRoleContext(preset('gemini'), repo, 'mayor');
    expect(fs.readFileSync(path.join(repo, '.git', 'info', 'exclude'), 'utf8')).toBe(
      '/.gemini/settings.json\n',
    );
    expect((await git(repo, 'status', '--porcelain')).trim()).toBe('');
    expect(await writeRoleContext(preset('codex'), repo, 'polecat')).toEqual([]);
    const plain = fs.mkdtempSync(path.join(tmp, 'plain-'));
    expect(await writeRoleContext(preset('copilot'), plain, 'crew')).toEqual([
      path.join(plain, '.github/hooks/gastown.json'),
    ]);
  });

  it('refuses to overwrite a hook file the repository tracks', async () => {
    const repo = await gitRepo('ctx-tracked');
    fs.mkdirSync(path.join(repo, '.claude'));
    fs.writeFileSync(path.join(repo, '.claude', 'settings.json'), '{}\n');
    await git(repo, 'add', '.claude/settings.json');
    await git(repo, 'commit', '-q', '-m', 'settings');
    await expect(writeRoleContext(preset('claude'), repo, 'polecat')).rejects.toMatchObject({
      code: 'agent.context_tracked',
    });
    expect(fs.readFileSync(path.join(repo, '.claude', 'settings.json'), 'utf8')).toBe('{}\n');
  });
});

describe('resolveAgent', () => {
  const town = {
    default_agent: 'mine',
    agents: {
      mine: { command: '/opt/bin/mine', args: ['--auto'], ready_prompt: '> ' },
      claude: { command: 'claude', ready_delay_ms: 20_000 },
    },
  };

  it('picks --agent, then the rig, then the town default, then claude', () => {
    expect(resolveAgent(town, { override: 'codex', rig: { agent: 'gemini' } }).name).toBe('codex');
    expect(resolveAgent(town, { rig: { agent: 'gemini' } }).name).toBe('gemini');
    expect(resolveAgent(town).name).toBe('mine');
    expect(resolveAgent({}).name).toBe('claude');
  });

  it('builds custom agents and overrides of built-ins', () => {
    expect(resolveAgent(town)).toEqual({
      name: 'mine',
      command: '/opt/bin/mine',
      args: ['--auto'],
      env: {},
      promptMode: 'arg',
      hooks: null,
      ready: { kind: 'prompt', prefix: '> ', timeoutMs: 3_000 },
      resume: null,
      processNames: ['mine'],
    });
    const claude = resolveAgent(town, { override: 'claude' });
    expect(claude.args).toEqual(['--dangerously-skip-permissions']);
    expect(claude.ready).toEqual({ kind: 'prompt', prefix: '❯ ', timeoutMs: 20_000 });
    expect(claude.hooks?.file).toBe('.claude/settings.json');
  });

  it('refuses an unknown name, listing the known ones', () => {
    let error: unknown;
    try {
      resolveAgent(town, { override: 'nope' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ code: 'agent.unknown' });
    expect((error as Error).message).toContain(
      'claude, codex, gemini, cursor, amp, opencode, copilot, auggie, scripted, mine',
    );
  });
});
