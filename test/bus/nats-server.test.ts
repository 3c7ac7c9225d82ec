import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NatsServerMissingError, NatsServerStartError } from '../../bus/errors.js';
import { renderNatsConfig, startNatsServer } from '../../bus/nats-server.js';
import type { NatsServerHandle } from '../../bus/nats-server.js';
import { connectBus } from '../../bus/connection.js';
import { findFreePort } from '../harness/free-port.js';

const dirs: string[] = [];
const servers: NatsServerHandle[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bus-srv-'));
  dirs.push(dir);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop(1_000);
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('startNatsServer', () => {
  it('starts on a free loopback port with credentials, then stops by PID', async () => {
    const dir = tempDir();
    const auth = { user: 'town', password: 'p4ss-w0rd' };
    const server = await startNatsServer({
      storeDir: path.join(dir, 'js'),
      configPath: path.join(dir, 'nats.conf'),
      host: '127.0.0.1',
      port: 0,
      jetstream: true,
      auth,
    });
    servers.push(server);
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(alive(server.pid)).toBe(true);
    expect(fs.statSync(server.configPath).mode & 0o777).toBe(0o600);

    const bus = await connectBus({ servers: server.url, user: auth.user, pass: auth.password, name: 'test' });
    await bus.flush();
    await bus.close();
    await expect(connectBus({ servers: server.url, name: 'anon', timeoutMs: 2_000 })).rejects.toThrow();

    await server.stop(2_000);
    const exit = await server.exited;
    expect(exit.signal).not.toBe('SIGKILL'); // 2.9.10 exits with code 1 after a graceful SIGTERM shutdown
    expect(alive(server.pid)).toBe(false);
    await server.stop();
  });

  it('uses a requested port and refuses a taken one', async () => {
    const port = await findFreePort();
    const dir = tempDir();
    const opts = { storeDir: path.join(dir, 'js'), configPath: path.join(dir, 'a.conf'), port };
    const server = await startNatsServer(opts);
    servers.push(server);
    expect(server.port).toBe(port);
    await expect(startNatsServer({ ...opts, configPath: path.join(dir, 'b.conf') })).rejects.toThrow(
      NatsServerStartError,
    );
  });

  it('retries another port when a chosen free port is taken before the server binds it', async () => {
    const dir = tempDir();
    const blocker = net.createServer();
    const blocked = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)),
    );
    try {
      const server = await startNatsServer({
        storeDir: path.join(dir, 'js'),
        configPath: path.join(dir, 'c.conf'),
      });
      servers.push(server);
      expect(server.port).not.toBe(blocked);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('SIGKILLs a server that ignores SIGTERM within the grace period', async () => {
    const dir = tempDir();
    const server = await startNatsServer({
      storeDir: path.join(dir, 'js'),
      configPath: path.join(dir, 'n.conf'),
    });
    servers.push(server);
    process.kill(server.pid, 'SIGSTOP');
    await server.stop(200);
    const exit = await server.exited;
    expect(exit.signal).toBe('SIGKILL');
  });

  it('reports a missing binary with the install command', async () => {
    const dir = tempDir();
    const start = startNatsServer({
      storeDir: path.join(dir, 'js'),
      configPath: path.join(dir, 'n.conf'),
      binary: path.join(dir, 'no-such-nats-server'),
    });
    await expect(start).rejects.toThrow(NatsServerMissingError);
    await expect(start).rejects.toThrow(/apt-get install nats-server/);
    await expect(
      startNatsServer({
        storeDir: path.join(dir, 'js'),
        configPath: path.join(dir, 'm.conf'),
        binary: 'no-such-nats-xyz',
      }),
    ).rejects.toMatchObject({ code: 'bus.nats_server_missing' });
  });

  it('only listens on loopback', async () => {
    const dir = tempDir();
    await expect(
      startNatsServer({
        storeDir: dir,
        configPath: path.join(dir, 'n.conf'),
        host: '0.0.0.0',
      }),
    ).rejects.toThrow(/loopback/);
  });

  it('renders a config with quoted values', () => {
    const text = renderNatsConfig({
      host: '127.0.0.1',
      port: 4222,
      storeDir: '/tmp/a "b"',
      jetstream: true,
      auth: { user: 'u', password: 'p"w' },
    });
    expect(text).toContain('listen: "127.0.0.1:4222"');
    expect(text).toContain('store_dir: "/tmp/a \\"b\\""');
    expect(text).toContain('password: "p\\"w"');
  });
});
