import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { alive, GT_BIN, runGt, townFixtures, waitFor } from './town.js';
import type { GtResult } from './town.js';

/** The `bd` executable next to the `gt` of this test run. */
const BD_BIN = (gtBin: string) => path.join(path.dirname(gtBin), 'bd.js');

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'gt test',
  GIT_AUTHOR_EMAIL: 'gt-test@example.com',
  GIT_COMMITTER_NAME: 'gt test',
  GIT_COMMITTER_EMAIL: 'gt-test@example.com',
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await execa('git', args, { cwd, env: GIT_ENV });
  return r.stdout.trim();
}

/** A bare upstream repository whose `main` holds `files` (and `test.sh`, the rig's gate). */
export async function createUpstream(dir: string, files: Record<string, string>): Promise<string> {
  const bare = path.join(dir, 'upstream.git');
  const work = path.join(dir, 'upstream-work');
  await execa('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  await execa('git', ['init', '-q', '-b', 'main', work]);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(work, name)), { recursive: true });
    fs.writeFileSync(path.join(work, name), content);
  }
  await git(work, 'add', '-A');
  await git(work, 'commit', '-qm', 'initial');
  await git(work, 'push', '-q', bare, 'main');
  return bare;
}

/** A town with one rig, up, whose polecats run the scripted agent. */
export interface WorkTown {
  root: string;
  upstream: string;
  gt(args: readonly string[], env?: Record<string, string>): Promise<GtResult>;
  bd(args: readonly string[]): Promise<GtResult>;
  /** Creates a bead of the rig carrying a scripted-agent script; returns its id. */
  bead(title: string, script: unknown, options?: { deps?: string[]; priority?: number }): Promise<string>;
  /** Polls until every bead is closed (or throws after `timeoutMs`). */
  waitClosed(ids: readonly string[], timeoutMs?: number): Promise<void>;
  show(id: string): Promise<Record<string, unknown>>;
  /** Merge-request beads of the rig. */
  mergeRequests(): Promise<Array<Record<string, unknown>>>;
  /** The merge-request beads whose source is `bead`. */
  mergeRequestsOf(bead: string): Promise<Array<Record<string, unknown>>>;
  /** Subjects of the commits on upstream main, newest first. */
  mainLog(): Promise<string[]>;
  /** SIGKILLs the town's daemon (its pid from `gt status`) and waits until it is gone. */
  killDaemon(): Promise<void>;
  /** `gt up` again; the new daemon is stopped by pid at the end. Throws when `gt up` fails. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a town `alpha` with rig `app` from an upstream holding `files`. */
export async function startWorkTown(options: {
  files: Record<string, string>;
  gate?: string;
  maxPolecats?: number;
  timing?: Record<string, number>;
}): Promise<WorkTown> {
  const fx = townFixtures();
  const dir = fx.dir();
  const root = path.join(dir, 'alpha');
  const upstream = await createUpstream(dir, options.files);
  const gt = (args: readonly string[], env: Record<string, string> = {}) =>
    runGt(args, { cwd: root, env: { ...GIT_ENV, ...env }, timeoutMs: 60_000 });
  const bdBin = BD_BIN(GT_BIN);
  const bd = async (args: readonly string[]): Promise<GtResult> => {
    const r = await execa(process.execPath, [bdBin, ...args], {
      cwd: path.join(root, 'beads'),
      env: GIT_ENV,
      reject: false,
      stdin: 'ignore',
      timeout: 30_000,
    });
    const stdout = typeof r.stdout === 'string' ? r.stdout : '';
    return {
      code: r.exitCode ?? 1,
      stdout,
      stderr: typeof r.stderr === 'string' ? r.stderr : '',
      json: <T>() => JSON.parse(stdout) as T,
    };
  };
  const must = (r: GtResult, what: string) => {
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr}${r.stdout}`);
    return r;
  };
  must(await runGt(['install', root, '--name', 'alpha'], { env: GIT_ENV }), 'gt install');
  if (options.timing !== undefined) {
    const file = path.join(root, 'town.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    config['timing'] = { ...(config['timing'] as object | undefined), ...options.timing };
    fs.writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  }
  must(await gt(['config', 'default-agent', 'scripted']), 'gt config default-agent');
  const up = must(await gt(['up', '--json']), 'gt up').json<{ pid: number }>();
  fx.track(up.pid);
  must(
    await gt([
      'rig',
      'add',
      'app',
      upstream,
      '--prefix',
      'app',
      '--gate',
      `test=${options.gate ?? 'sh test.sh'}`,
      '--max-polecats',
      String(options.maxPolecats ?? 4),
    ]),
    'gt rig add',
  );
  const show = async (id: string) => {
    const r = must(await bd(['show', id, '--json']), `bd show ${id}`);
    const v = r.json<unknown>();
    return (Array.isArray(v) ? v[0] : v) as Record<string, unknown>;
  };
  const mergeRequests = async () => {
    const r = must(await bd(['list', '--all', '--type', 'merge-request', '--json']), 'bd list');
    return r.json<Array<Record<string, unknown>>>();
  };
  return {
    root,
    upstream,
    gt,
    bd,
    async bead(title, script, o = {}) {
      const args = ['create', title, '--prefix', 'app', '--metadata', JSON.stringify({ script }), '--json'];
      if (o.priority !== undefined) args.push('-p', String(o.priority));
      for (const d of o.deps ?? []) args.push('--deps', `blocks:${d}`);
      return must(await bd(args), `bd create ${title}`).json<{ id: string }>().id;
    },
    async waitClosed(ids, timeoutMs = 60_000) {
      await waitFor(
        `beads ${ids.join(', ')} to close`,
        async () => {
          for (const id of ids) if ((await show(id))['status'] !== 'closed') return false;
          return true;
        },
        timeoutMs,
      );
    },
    show,
    mergeRequests,
    async mergeRequestsOf(bead) {
      return (await mergeRequests()).filter(
        (m) => (m['metadata'] as { mr?: { source?: string } } | undefined)?.mr?.source === bead,
      );
    },
    async mainLog() {
      return (await execa('git', ['--git-dir', upstream, 'log', '--format=%s', 'main'])).stdout.split('\n');
    },
    async killDaemon() {
      const pid = (await gt(['status', '--json'])).json<{ pid: number }>().pid;
      process.kill(pid, 'SIGKILL');
      await waitFor('the daemon to die', () => !alive(pid));
    },
    async up() {
      const up = await gt(['up', '--json']);
      if (up.code !== 0) throw new Error(`gt up exited ${up.code}: ${up.stderr}`);
      fx.track(up.json<{ pid: number }>().pid);
    },
    async stop() {
      await gt(['down', '--grace', '3000']);
      await fx.cleanup();
    },
  };
}
