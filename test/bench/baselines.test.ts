import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, encode } from '../../bus/envelope.js';
import { peekHeader } from '../../bus/delivery.js';
import { BD_BIN } from '../harness/bd.js';
import { startTestNats } from '../harness/nats-server.js';
import type { TestNats } from '../harness/nats-server.js';

/** The compiled bench children of this run's private build (global-setup.ts), next to its bin/. */
const BENCH = path.join(path.dirname(BD_BIN), '..', 'dist', 'bench');

/** A bench child as `start` runs it. */
type Child = ReturnType<typeof spawnChild>;

function spawnChild(script: string, args: string[]) {
  return execa(process.execPath, [path.join(BENCH, script), ...args], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
  });
}

/** Starts a bench child and waits for its first line ("ready"). */
async function start(
  script: string,
  args: string[],
): Promise<{ child: Child; lines: () => Promise<string> }> {
  const child = spawnChild(script, args);
  const queue: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else queue.push(line);
  });
  const lines = () =>
    new Promise<string>((resolve, reject) => {
      const queued = queue.shift();
      if (queued !== undefined) return resolve(queued);
      waiting.push(resolve);
      void child.then((r) => reject(new Error(`${script} exited: ${String(r.stderr)}`)));
    });
  expect(await lines()).toBe('ready');
  return { child, lines };
}

/** A `bead.created` event like the ones the bench fans out. */
function beadCreated() {
  return createEnvelope('bead.created', {
    from: 'bench/store',
    to: 'bench',
    body: {
      bead: {
        id: 'bench-abc',
        title: 'a bead',
        status: 'open',
        priority: 2,
        issue_type: 'task',
        created_at: '2026-12-03T10:00:00Z',
        updated_at: '2026-12-03T10:00:00Z',
      },
    },
  });
}

describe('the bus bench baselines', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let dir: string;
  const children: Child[] = [];
  const creds = () => [nats.url, nats.auth?.user ?? '', nats.auth?.password ?? ''];

  beforeAll(async () => {
    nats = await startTestNats({ auth: true, jetstream: false });
    nc = await connect({ servers: nats.url, user: nats.auth?.user ?? '', pass: nats.auth?.password ?? '' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-baselines-'));
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    for (const c of children) await c;
    await nc?.close();
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the raw responder answers with its reply, and with a database writes the rows first', async () => {
    const reply = JSON.stringify({ ok: true, result: { id: 'bench-x' } });
    const db = path.join(dir, 'raw.db');
    const plain = await start('raw-responder.js', [...creds(), 'bench.plain', reply]);
    const durable = await start('raw-responder.js', [...creds(), 'bench.durable', reply, db]);
    children.push(plain.child, durable.child);
    for (const subject of ['bench.plain', 'bench.durable'])
      for (let i = 0; i < 20; i++) {
        const msg = await nc.request(subject, new TextEncoder().encode('{}'), { timeout: 5_000 });
        expect(msg.string()).toBe(reply);
      }
    const check = new BetterSqlite3(db, { readonly: true });
    try {
      const count = (table: string) => check.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      expect(count('issues')).toBe(20);
      expect(count('events')).toBe(20);
      expect(count('dirty_log')).toBe(20);
      expect(count('handled_messages')).toBe(20);
      const replies = check.prepare('SELECT DISTINCT reply FROM handled_messages').pluck().all();
      expect(replies).toEqual([reply]);
    } finally {
      check.close();
    }
  });

  it('the fan-out publisher sends new valid envelopes (bus) or the same bytes (raw), then says done', async () => {
    const event = beadCreated();
    const publisher = await start('fan-publisher.js', [...creds(), JSON.stringify(event)]);
    children.push(publisher.child);
    const seen: Record<string, Uint8Array[]> = { bus: [], raw: [] };
    const subs = (['bus', 'raw'] as const).map((mode) =>
      nc.subscribe(`bench.fan.${mode}`, {
        callback: (_e, m) => {
          seen[mode]?.push(m.data);
        },
      }),
    );
    await nc.flush();
    for (const mode of ['bus', 'raw'] as const) {
      const done = publisher.lines();
      publisher.child.stdin?.write(`${mode} bench.fan.${mode} 2500\n`);
      expect(await done).toBe('done');
    }
    await nc.flush();
    for (const s of subs) s.unsubscribe();
    const bus = seen['bus'] ?? [];
    const raw = seen['raw'] ?? [];
    expect(bus).toHaveLength(2500);
    expect(raw).toHaveLength(2500);
    const ids = new Set(bus.map((d) => peekHeader(d)?.id));
    expect(ids.size).toBe(2500);
    expect(ids.has(undefined)).toBe(false);
    const bytes = Buffer.from(encode(event));
    expect(raw.every((d) => Buffer.from(d).equals(bytes))).toBe(true);
  });

  it('the fan-out publisher refuses a bad event or command with exit status 2', async () => {
    const notJson = await execa(
      process.execPath,
      [path.join(BENCH, 'fan-publisher.js'), ...creds(), 'nope'],
      {
        reject: false,
      },
    );
    expect(notJson.exitCode).toBe(2);
    expect(notJson.stderr).toContain('not JSON');
    const event = createEnvelope('nudge', { from: 'bench/a', to: 'bench/b', body: { text: 'hi' } });
    const publisher = await start('fan-publisher.js', [...creds(), JSON.stringify(event)]).catch(
      (error: unknown) => error,
    );
    expect(String(publisher)).toContain('not a bead.created envelope');
    const good = beadCreated();
    const p = await start('fan-publisher.js', [...creds(), JSON.stringify(good)]);
    p.child.stdin?.write('loud bench.fan.x 10\n');
    const r = await p.child;
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain('bad command');
  });
});
