import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { git, GitError, gitOk } from '../../../actors/git/git.js';
import { cleanupTemp, GIT_IDENTITY_ENV, makeUpstream, tempDir } from '../rig/rig-fixtures.js';

afterAll(cleanupTemp);

async function withServer<T>(handler: http.RequestListener, fn: (url: string) => Promise<T>): Promise<T> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('git', () => {
  it('returns stdout without the trailing newline, keeping leading spaces', async () => {
    const { dir, head } = await makeUpstream(tempDir());
    expect(await git(['rev-parse', 'HEAD'], { cwd: dir })).toBe(head);
    fs.writeFileSync(path.join(dir, 'README.md'), 'changed\n');
    expect(await git(['status', '--porcelain'], { cwd: dir })).toBe(' M README.md');
  });

  it('throws GitError with the command, the directory and the stderr', async () => {
    const dir = tempDir();
    const error = await git(['rev-parse', '--verify', 'nope'], { cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    const e = error as GitError;
    expect(e.code).toBe('git.failed');
    expect(e.message).toContain('git rev-parse --verify nope');
    expect(e.message).toContain(dir);
    expect(e.message).toContain('not a git repository');
    expect(e.exitCode).toBe(128);
    expect(e.cause).toBeDefined();
  });

  it('gitOk reports the exit code instead of throwing', async () => {
    const dir = tempDir();
    const r = await gitOk(['config', '--file', path.join(dir, 'c'), '--get', 'a.b'], { cwd: dir });
    expect(r).toEqual({ code: 1, stdout: '', stderr: '' });
    const ok = await gitOk(['--version'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^git version /);
  });

  it('passes extra environment variables and input', async () => {
    const { dir } = await makeUpstream(tempDir());
    const sha = await git(['hash-object', '--stdin'], { cwd: dir, input: 'hello\n' });
    expect(sha).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    const email = await git(['var', 'GIT_AUTHOR_IDENT'], { cwd: dir, env: { GIT_AUTHOR_EMAIL: 'x@y.z' } });
    expect(email).toContain('<x@y.z>');
  });

  it('never runs hooks unless asked, and never opens an editor', async () => {
    const { dir } = await makeUpstream(tempDir());
    const hook = path.join(dir, '.git', 'hooks', 'pre-commit');
    fs.writeFileSync(hook, '#!/bin/sh\necho hook ran >&2\nexit 1\n', { mode: 0o755 });
    const env = GIT_IDENTITY_ENV;
    await git(['commit', '-q', '--allow-empty', '-m', 'no hooks'], { cwd: dir, env });
    const hooked = await gitOk(['commit', '-q', '--allow-empty', '-m', 'hooks'], {
      cwd: dir,
      env,
      hooks: true,
    });
    expect(hooked.code).toBe(1);
    expect(hooked.stderr).toContain('hook ran');
    // Without -m git would wait for an editor; with ours it gets an empty message and stops.
    const noMessage = await gitOk(['commit', '--allow-empty'], { cwd: dir, env, timeoutMs: 10_000 });
    expect(noMessage.code).toBe(1);
    expect(noMessage.stderr).toContain('empty commit message');
  });

  it('fails instead of prompting for credentials', async () => {
    const dir = tempDir();
    await withServer(
      (_req, res) => {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"' });
        res.end();
      },
      async (url) => {
        const r = await gitOk(['ls-remote', url], {
          cwd: dir,
          env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
          timeoutMs: 10_000,
        });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain('terminal prompts disabled');
      },
    );
  });

  it('kills git after timeoutMs and says so', async () => {
    const dir = tempDir();
    await withServer(
      () => undefined,
      async (url) => {
        const started = Date.now();
        const error = await git(['ls-remote', url], { cwd: dir, timeoutMs: 500 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GitError);
        expect((error as GitError).timedOut).toBe(true);
        expect((error as GitError).message).toContain('timed out after 500 ms');
        expect(Date.now() - started).toBeLessThan(5_000);
      },
    );
  });
});
