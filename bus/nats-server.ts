import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { execa } from 'execa';
import { NatsServerMissingError, NatsServerStartError } from './errors.js';
import { findFreePort } from './free-port.js';

/** Default binary: Debian's package installs it here. */
export const DEFAULT_NATS_SERVER_BIN = '/usr/sbin/nats-server';

/** Options of `startNatsServer`. */
export interface NatsServerOptions {
  /** JetStream store directory (created if missing). */
  storeDir: string;
  /** Where the generated config file is written. */
  configPath: string;
  /** Only loopback (127.0.0.1, the default) is accepted. */
  host?: string;
  /** 0 or absent: a free port is chosen (retried if it is taken meanwhile). */
  port?: number;
  /** Default true. */
  jetstream?: boolean;
  /** Credentials generated (randomly) by the caller; the server then refuses anyone without them. */
  auth?: { user: string; password: string };
  /** Binary path; default `$NATS_SERVER_BIN` or /usr/sbin/nats-server. */
  binary?: string;
  /** Deadline for readiness; default 10 s. */
  readyTimeoutMs?: number;
  /** Receives the server's log lines. */
  log?: (line: string) => void;
}

/** How the server process ended. */
export interface NatsServerExit {
  code: number | null;
  signal: string | null;
}

/** A running nats-server child. */
export interface NatsServerHandle {
  pid: number;
  /** `nats://127.0.0.1:<port>` */
  url: string;
  port: number;
  configPath: string;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5000); resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the process exits, however it ends. */
  exited: Promise<NatsServerExit>;
}

const READY_RE = /Server is ready/;
const IN_USE_RE = /address already in use/i;
const MAX_PORT_ATTEMPTS = 5;

/**
 * Writes a config file and spawns `nats-server -c <config>` as a child of this process (killed with
 * it), waits until it logs "Server is ready" and accepts a TCP connection, and returns its handle.
 * Throws NatsServerMissingError when the binary is absent, NatsServerStartError when it exits or is
 * not ready before the deadline.
 */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerHandle> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1')
    throw new NatsServerStartError(`nats-server must listen on loopback, not ${host}`);
  const binary = options.binary ?? process.env['NATS_SERVER_BIN'] ?? DEFAULT_NATS_SERVER_BIN;
  assertBinary(binary);
  const fixedPort = options.port !== undefined && options.port !== 0;
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ? (options.port as number) : await findFreePort(host);
    try {
      return await spawnOnce(binary, host, port, options);
    } catch (error) {
      const retry = error instanceof PortInUse && !fixedPort && attempt < MAX_PORT_ATTEMPTS;
      if (!retry) throw error instanceof PortInUse ? error.asStartError() : error;
    }
  }
}

function assertBinary(binary: string): void {
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch (cause) {
    if (path.isAbsolute(binary) || binary.includes('/')) throw new NatsServerMissingError(binary, { cause });
  }
}

class PortInUse extends Error {
  constructor(
    readonly port: number,
    readonly output: string,
  ) {
    super(`port ${port} is in use`);
  }
  asStartError(): NatsServerStartError {
    return new NatsServerStartError(
      `nats-server could not bind 127.0.0.1:${this.port}: address already in use`,
      {
        details: { port: this.port, output: this.output },
      },
    );
  }
}

/** The nats-server config text for these options. */
export function renderNatsConfig(o: {
  host: string;
  port: number;
  storeDir: string;
  jetstream: boolean;
  auth?: { user: string; password: string } | undefined;
}): string {
  const lines = [`listen: ${JSON.stringify(`${o.host}:${o.port}`)}`];
  if (o.jetstream) lines.push(`jetstream {`, `  store_dir: ${JSON.stringify(o.storeDir)}`, `}`);
  if (o.auth) {
    lines.push(
      'authorization {',
      `  user: ${JSON.stringify(o.auth.user)}`,
      `  password: ${JSON.stringify(o.auth.password)}`,
      '}',
    );
  }
  return lines.join('\n') + '\n';
}

async function spawnOnce(
  binary: string,
  host: string,
  port: number,
  options: NatsServerOptions,
): Promise<NatsServerHandle> {
  fs.mkdirSync(options.storeDir, { recursive: true });
  fs.mkdirSync(path.dirname(options.configPath), { recursive: true });
  const config = renderNatsConfig({
    host,
    port,
    storeDir: options.storeDir,
    jetstream: options.jetstream ?? true,
    auth: options.auth,
  });
  fs.writeFileSync(options.configPath, config, { mode: 0o600 });

  const child = execa(binary, ['-c', options.configPath], {
    detached: false,
    cleanup: true,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  });
  const pid = child.pid;
  const exited: Promise<NatsServerExit> = child.then(
    (r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }),
    () => ({ code: null, signal: null }),
  );
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  if (pid === undefined) {
    const err = await spawnError;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NatsServerMissingError(binary, { cause: err });
    throw new NatsServerStartError(`nats-server failed to start: ${err.message}`, { cause: err });
  }

  const tail: string[] = [];
  let ready = false;
  let resolveReady: () => void = () => {};
  const readyLine = new Promise<void>((resolve) => (resolveReady = resolve));
  let pending = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > 50) tail.shift();
      options.log?.(line);
      if (!ready && READY_RE.test(line)) {
        ready = true;
        resolveReady();
      }
    }
  });

  const timeoutMs = options.readyTimeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    readyLine.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);

  const stop = makeStop(pid, exited);
  if (outcome === 'exited') {
    const out = tail.join('\n');
    if (IN_USE_RE.test(out)) throw new PortInUse(port, out);
    const exit = await exited;
    throw new NatsServerStartError(`nats-server exited before it was ready (code ${exit.code}): ${out}`, {
      details: { ...exit, output: out },
    });
  }
  if (outcome === 'timeout' || !(await canConnect(host, port, timeoutMs))) {
    await stop(0);
    throw new NatsServerStartError(`nats-server was not ready within ${timeoutMs} ms: ${tail.join('\n')}`);
  }
  return { pid, url: `nats://${host}:${port}`, port, configPath: options.configPath, stop, exited };
}

function makeStop(pid: number, exited: Promise<NatsServerExit>): (graceMs?: number) => Promise<void> {
  let stopping: Promise<void> | undefined;
  return (graceMs = 5_000) => {
    stopping ??= (async () => {
      signal(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        exited.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
      ]);
      clearTimeout(timer);
      if (!done) {
        signal(pid, 'SIGKILL');
        await exited;
      }
    })();
    return stopping;
  };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      socket.once('data', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.setTimeout(1_000, () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
