import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { AgentError } from './agent-errors.js';
import { AUTONOMOUS_ROLES } from './presets.js';
import type { AgentPreset, HookKind } from './presets.js';

const PRIME = 'gt prime --hook';
const MAIL = 'gt mail check --inject';

/** The command an agent runs when its session starts: prime, plus mail for autonomous roles. */
export function sessionStartCommand(role: string): string {
  return AUTONOMOUS_ROLES.has(role) ? `${PRIME} && ${MAIL}` : PRIME;
}

type Matcher = { matcher: string; hooks: Array<{ type: 'command'; command: string }> };

function matcher(command: string): Matcher[] {
  return [{ matcher: '', hooks: [{ type: 'command', command }] }];
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function claudeSettings(role: string): string {
  return json({
    skipDangerousModePermissionPrompt: true,
    editorMode: 'normal',
    hooks: {
      SessionStart: matcher(sessionStartCommand(role)),
      PreCompact: matcher(PRIME),
      UserPromptSubmit: matcher(MAIL),
    },
  });
}

function geminiSettings(role: string): string {
  return json({
    hooks: {
      SessionStart: matcher(sessionStartCommand(role)),
      PreCompress: matcher(PRIME),
      BeforeAgent: matcher(MAIL),
    },
  });
}

function cursorHooks(role: string): string {
  return json({
    version: 1,
    hooks: {
      sessionStart: [{ command: sessionStartCommand(role) }],
      preCompact: [{ command: PRIME }],
      beforeSubmitPrompt: [{ command: MAIL }],
    },
  });
}

function copilotHooks(role: string): string {
  return json({
    version: 1,
    hooks: {
      sessionStart: [{ type: 'command', bash: sessionStartCommand(role), timeoutSec: 30 }],
      userPromptSubmitted: [{ type: 'command', bash: MAIL, timeoutSec: 10 }],
    },
  });
}

function opencodePlugin(role: string): string {
  return `// Gas Town role context for OpenCode (written by gt; role ${role}).
// Loads \`gt prime\` (and mail for autonomous roles) into the system prompt at session start.
export const GasTown = async ({ $, directory }) => {
  let context = null;
  const run = async (cmd) => {
    try {
      return await $\`/bin/sh -c \${cmd}\`.cwd(directory).text();
    } catch {
      return '';
    }
  };
  const load = () => run(${JSON.stringify(sessionStartCommand(role))});
  return {
    event: async ({ event }) => {
      if (event?.type === 'session.created' || event?.type === 'session.compacted') context = load();
    },
    'experimental.chat.system.transform': async (_input, output) => {
      context ??= load();
      const text = await context;
      if (text) output.system.push(text);
      else context = null;
    },
  };
};
`;
}

const RENDER: Record<HookKind, (role: string) => string> = {
  claude: claudeSettings,
  gemini: geminiSettings,
  cursor: cursorHooks,
  copilot: copilotHooks,
  opencode: opencodePlugin,
};

/**
 * Writes `preset`'s hook/settings file into the workspace `dir` so the agent runs `gt prime --hook`
 * at session start (and `gt mail check --inject` for autonomous roles). Inside a git work tree each
 * file is added (anchored) to the repository's exclude file (`git rev-parse --git-path info/exclude`),
 * so the tree stays clean; a file git already tracks is `agent.context_tracked` (it would be
 * overwritten). Returns the absolute paths written (none for hookless presets).
 */
export async function writeRoleContext(preset: AgentPreset, dir: string, role: string): Promise<string[]> {
  if (preset.hooks === null) return [];
  const root = path.resolve(dir);
  const file = path.join(root, preset.hooks.file);
  const top = await gitTopLevel(root);
  if (top !== null) await assertUntracked(top, file);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, RENDER[preset.hooks.kind](role));
  fs.renameSync(tmp, file);
  if (top !== null) await excludeFromGit(root, top, [file]);
  return [file];
}

async function gitTopLevel(dir: string): Promise<string | null> {
  const r = await execa('git', ['rev-parse', '--show-toplevel'], { cwd: dir, reject: false });
  return r.exitCode === 0 ? fs.realpathSync(String(r.stdout).trim()) : null;
}

function relativeTo(top: string, file: string): string {
  const real = path.join(fs.realpathSync(path.dirname(file)), path.basename(file));
  return path.relative(top, real).split(path.sep).join('/');
}

async function assertUntracked(top: string, file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const rel = relativeTo(top, file);
  const r = await execa('git', ['ls-files', '--', rel], { cwd: top, reject: false });
  if (r.exitCode === 0 && String(r.stdout).trim() !== '')
    throw new AgentError(
      'agent.context_tracked',
      `${rel} is tracked in ${top}: gt would overwrite it with the role context; remove it from the repository or use another agent`,
      { details: { file, top } },
    );
}

async function excludeFromGit(dir: string, top: string, files: string[]): Promise<void> {
  const r = await execa('git', ['rev-parse', '--git-path', 'info/exclude'], { cwd: dir, reject: false });
  if (r.exitCode !== 0)
    throw new AgentError('agent.git_failed', `git rev-parse in ${dir} failed: ${String(r.stderr)}`);
  const exclude = path.resolve(dir, String(r.stdout).trim());
  fs.mkdirSync(path.dirname(exclude), { recursive: true });
  const current = fs.existsSync(exclude) ? fs.readFileSync(exclude, 'utf8') : '';
  const have = new Set(current.split('\n').map((l) => l.trim()));
  const add = files.map((f) => `/${relativeTo(top, f)}`).filter((p) => !have.has(p));
  if (add.length === 0) return;
  const sep = current === '' || current.endsWith('\n') ? '' : '\n';
  fs.appendFileSync(exclude, `${sep}${add.join('\n')}\n`);
}
