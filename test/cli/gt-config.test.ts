import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGt, townFixtures } from '../harness/town.js';

interface AgentJson {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  prompt_mode: string;
  hooks: string | null;
  ready: Record<string, unknown>;
  source: string;
  default: boolean;
}

const fx = townFixtures();
let root: string;
const gt = (...args: string[]) => runGt(['--town', root, ...args]);
const townJson = () => fs.readFileSync(path.join(root, 'town.json'), 'utf8');

beforeAll(async () => {
  root = path.join(fx.dir(), 'alpha');
  const r = await runGt(['install', root]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => fx.cleanup());

describe('gt config agent', () => {
  it('lists the built-in presets with claude as the default', async () => {
    const r = await gt('config', 'agent', 'list', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ default_agent: string; agents: AgentJson[] }>();
    expect(doc.default_agent).toBe('claude');
    expect(doc.agents.map((a) => a.name)).toEqual([
      'claude',
      'codex',
      'gemini',
      'cursor',
      'amp',
      'opencode',
      'copilot',
      'auggie',
      'scripted',
    ]);
    const byName = new Map(doc.agents.map((a) => [a.name, a]));
    expect(byName.get('claude')).toMatchObject({
      command: 'claude',
      args: ['--dangerously-skip-permissions'],
      hooks: '.claude/settings.json',
      ready: { kind: 'prompt', prefix: '❯ ', timeout_ms: 10_000 },
      source: 'builtin',
      default: true,
    });
    expect(byName.get('codex')).toMatchObject({ prompt_mode: 'none', hooks: null });
    expect(byName.get('opencode')?.env).toEqual({ OPENCODE_PERMISSION: '{"*":"allow"}' });
    const human = await gt('config', 'agent', 'list');
    expect(human.stdout).toMatch(
      /^\* claude +claude --dangerously-skip-permissions +\(built-in, default\)$/m,
    );
  });

  it('sets a custom agent, makes it the default and protects it', async () => {
    const set = await gt(
      'config',
      'agent',
      'set',
      'mine',
      '/opt/mine/bin/agent',
      '--prompt-mode',
      'none',
      '--ready-prompt',
      '$ ',
      '--ready-delay',
      '4000',
      '--env',
      'MINE_MODE=auto',
      '--env',
      'X=a=b',
      '--',
      '--yes',
      '-v',
    );
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('Agent mine: /opt/mine/bin/agent --yes -v');
    expect(fs.statSync(path.join(root, 'town.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(townJson()).agents).toEqual({
      mine: {
        command: '/opt/mine/bin/agent',
        args: ['--yes', '-v'],
        env: { MINE_MODE: 'auto', X: 'a=b' },
        prompt_mode: 'none',
        ready_prompt: '$ ',
        ready_delay_ms: 4000,
      },
    });

    const list = (await gt('config', 'agent', 'list', '--json')).json<{ agents: AgentJson[] }>();
    expect(list.agents.at(-1)).toMatchObject({
      name: 'mine',
      source: 'custom',
      prompt_mode: 'none',
      ready: { kind: 'prompt', prefix: '$ ', timeout_ms: 4000 },
      default: false,
    });

    const def = await gt('config', 'default-agent', 'mine');
    expect(def.code, def.stderr).toBe(0);
    expect((await gt('config', 'default-agent')).stdout.trim()).toBe('mine');
    expect((await gt('config', 'default-agent', '--json')).json()).toMatchObject({ default_agent: 'mine' });

    const before = townJson();
    const removeDefault = await gt('config', 'agent', 'remove', 'mine', '--json');
    expect(removeDefault.code).toBe(1);
    expect(JSON.parse(removeDefault.stderr)).toMatchObject({ code: 'agent.is_default' });
    const removeBuiltin = await gt('config', 'agent', 'remove', 'claude');
    expect(removeBuiltin.code).toBe(1);
    expect(removeBuiltin.stderr).toContain('"claude" is a built-in agent and cannot be removed');
    expect(townJson()).toBe(before);

    expect((await gt('config', 'default-agent', 'codex')).code).toBe(0);
    const removed = await gt('config', 'agent', 'remove', 'mine');
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(townJson())).not.toHaveProperty('agents');
    expect(JSON.parse(townJson())).toMatchObject({ default_agent: 'codex' });
  });

  it('overrides a built-in and reverts it on remove', async () => {
    expect((await gt('config', 'agent', 'set', 'gemini', 'gemini', '--ready-delay', '9000')).code).toBe(0);
    const list = (await gt('config', 'agent', 'list', '--json')).json<{ agents: AgentJson[] }>();
    expect(list.agents.find((a) => a.name === 'gemini')).toMatchObject({
      source: 'override',
      args: ['--approval-mode', 'yolo'],
      ready: { kind: 'delay', ms: 9000 },
      hooks: '.gemini/settings.json',
    });
    const r = await gt('config', 'agent', 'remove', 'gemini', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ removed: 'gemini', reverted_to_builtin: true });
  });

  it('refuses an unknown default agent and leaves town.json unchanged', async () => {
    const before = townJson();
    const r = await gt('config', 'default-agent', 'nosuch');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown agent "nosuch": known agents are claude, codex, gemini');
    const j = await gt('config', 'default-agent', 'nosuch', '--json');
    expect(JSON.parse(j.stderr)).toMatchObject({ code: 'agent.unknown' });
    expect((await gt('config', 'agent', 'remove', 'nosuch')).code).toBe(1);
    expect(townJson()).toBe(before);
  });

  it('exits 2 on bad arguments', async () => {
    const before = townJson();
    for (const args of [
      ['config', 'agent', 'set', 'x'],
      ['config', 'agent', 'set', 'x', 'y', '--prompt-mode', 'sometimes'],
      ['config', 'agent', 'set', 'x', 'y', '--ready-delay', 'soon'],
      ['config', 'agent', 'set', 'x', 'y', '--env', 'NOEQUALS'],
      ['config', 'agent', 'set', 'x', 'y', '--bogus'],
      ['config', 'agent', 'remove'],
      ['config', 'default-agent', 'a', 'b'],
    ]) {
      const r = await gt(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
    }
    const badName = await gt('config', 'agent', 'set', 'Bad Name', 'y', '--json');
    expect(badName.code).toBe(1);
    expect(JSON.parse(badName.stderr)).toMatchObject({ code: 'agent.bad_name' });
    expect(townJson()).toBe(before);
  });

  it('needs a town', async () => {
    const r = await runGt(['config', 'agent', 'list'], { cwd: fx.dir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no town here');
  });
});
