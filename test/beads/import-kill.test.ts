import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { exportText } from '../../beads/export-file.js';
import { importText } from '../../beads/import-file.js';
import { SqliteBeadStore } from '../../beads/store.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bigExport(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `big-${i.toString(36).padStart(5, '0')}`;
    const deps =
      i > 0 && i % 3 === 0
        ? `,"dependencies":[{"issue_id":"${id}","depends_on_id":"big-${(i - 1).toString(36).padStart(5, '0')}","type":"blocks","created_at":"2026-01-01T00:00:00Z","created_by":"gen"}]`
        : '';
    lines.push(
      `{"id":"${id}","title":"bead ${i}","description":"${'x'.repeat(200)}","status":"open","priority":${i % 5},"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","labels":["l${i % 7}"]${deps}}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('kill -9 during a large import', () => {
  it('leaves the database exactly as it was before the import', async () => {
    const dbPath = path.join(dir, 'beads.db');
    const store = SqliteBeadStore.create(dbPath, 'big');
    importText(store, bigExport(50).replace(/big-/g, 'big-pre'), 'seed', { actor: 'seed' });
    const before = exportText(store, { includeEphemeral: true });
    store.close();
    const file = path.join(dir, 'big.jsonl');
    writeFileSync(file, bigExport(200_000));

    const worker = execa(
      'node',
      ['--import', 'tsx', path.join(__dirname, 'fixtures/import-worker.ts'), dbPath, file],
      {
        reject: false,
        buffer: false,
      },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        worker.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('importing')) resolve();
          if (chunk.toString().includes('done'))
            reject(new Error('the import finished before it could be killed'));
        });
        worker.once('exit', () => reject(new Error('the worker exited early')));
      });
      // inside the transaction: uncommitted pages spill into the WAL as the import writes
      const wal = `${dbPath}-wal`;
      const deadline = Date.now() + 60_000;
      while (!(existsSync(wal) && statSync(wal).size > 8 * 1024 * 1024)) {
        if (Date.now() > deadline) throw new Error('the import never started writing');
        if (worker.exitCode !== null) throw new Error('the import finished before it could be killed');
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      if (worker.pid !== undefined) process.kill(worker.pid, 'SIGKILL');
    }
    const result = await worker;
    expect(result.signal).toBe('SIGKILL');

    const after = SqliteBeadStore.open(dbPath);
    expect(exportText(after, { includeEphemeral: true })).toBe(before);
    expect(after.count({ status: 'all' })).toBe(50);
    const db = (after as unknown as { db: { pragma: (s: string, o: object) => unknown } }).db;
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const again = importText(after, bigExport(1000), 'again', { actor: 'test' });
    expect(again.created).toBe(1000);
    after.close();
  });
});
