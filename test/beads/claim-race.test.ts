import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteBeadStore } from '../../beads/store.js';

const ROUNDS = 50;
const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-claim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('claim across processes', () => {
  it(`two processes claiming the same bead at once: exactly one wins, ${ROUNDS} times out of ${ROUNDS}`, async () => {
    const dbPath = path.join(dir, 'beads.db');
    const store = SqliteBeadStore.create(dbPath, 'race');
    const ids = Array.from(
      { length: ROUNDS },
      (_, i) => store.create({ title: `contested ${i}` }, 'setup').id,
    );
    store.close();
    writeFileSync(path.join(dir, 'ids.json'), JSON.stringify(ids));
    const worker = path.join(__dirname, 'fixtures/claim-worker.ts');
    const procs = ['alice', 'bob'].map((actor) =>
      execa('node', ['--import', 'tsx', worker, dbPath, actor, dir], { reject: false, timeout: 120_000 }),
    );
    try {
      for (let i = 0; i < ROUNDS; i++) {
        await until(
          () =>
            existsSync(path.join(dir, `ready-${i}-alice`)) && existsSync(path.join(dir, `ready-${i}-bob`)),
          `both workers ready for round ${i}`,
        );
        writeFileSync(path.join(dir, `go-${i}`), '');
      }
      const results = await Promise.all(procs);
      for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
    } finally {
      for (const p of procs) if (p.pid !== undefined && p.exitCode === null) process.kill(p.pid, 'SIGKILL');
    }
    const check = SqliteBeadStore.open(dbPath);
    for (let i = 0; i < ROUNDS; i++) {
      const outcome = ['alice', 'bob'].map((a) => readFileSync(path.join(dir, `res-${i}-${a}`), 'utf8'));
      expect(outcome.filter((o) => o === 'won')).toHaveLength(1);
      expect(outcome.filter((o) => o === 'bead.already_claimed')).toHaveLength(1);
      const winner = outcome[0] === 'won' ? 'alice' : 'bob';
      const bead = check.get(ids[i] as string);
      expect(bead?.assignee).toBe(winner);
      expect(bead?.status).toBe('in_progress');
    }
    check.close();
  });
});
