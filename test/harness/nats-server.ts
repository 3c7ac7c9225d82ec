import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startNatsServer } from '../../bus/nats-server.js';
import type { NatsServerHandle } from '../../bus/nats-server.js';

/** A nats-server for one test file: temp store dir, free loopback port. */
export interface TestNats {
  server: NatsServerHandle;
  url: string;
  port: number;
  dir: string;
  /** Credentials when started with `auth: true`. */
  auth: { user: string; password: string } | undefined;
  /** Kills the current server by PID (SIGKILL) and starts a new one on the same port and store dir. */
  restart(): Promise<NatsServerHandle>;
  /** Stops the server by PID (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Starts a real nats-server; call `stop()` in afterAll/afterEach. */
export async function startTestNats(
  options: { jetstream?: boolean; auth?: boolean } = {},
): Promise<TestNats> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bus-nats-'));
  const auth = options.auth
    ? { user: `u${randomBytes(4).toString('hex')}`, password: randomBytes(16).toString('hex') }
    : undefined;
  const base = {
    storeDir: path.join(dir, 'jetstream'),
    configPath: path.join(dir, 'nats.conf'),
    jetstream: options.jetstream ?? true,
    ...(auth === undefined ? {} : { auth }),
  };
  let server: NatsServerHandle;
  try {
    server = await startNatsServer({ ...base, port: 0 });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  const handle: TestNats = {
    server,
    url: server.url,
    port: server.port,
    dir,
    auth,
    async restart() {
      process.kill(handle.server.pid, 'SIGKILL');
      await handle.server.exited;
      handle.server = await startNatsServer({ ...base, port: handle.port });
      return handle.server;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await handle.server.stop(2_000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
