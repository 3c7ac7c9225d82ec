import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { claimPidFile } from '../../../actors/daemon/pid-files.js';
import { alive, waitFor } from '../../harness/town.js';

const dist = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../dist/actors/daemon/pid-files.js',
);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-pid-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A pid that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const p = execa('true');
  const pid = p.pid;
  await p;
  expect(pid).toBeGreaterThan(0);
  return pid as number;
}

// Each racer waits for the same instant, claims, prints the outcome, and (when it won) stays alive
// until told to exit, so that the losers see a live owner.
const RACER = `
import { claimPidFile, isAlive } from ${JSON.stringify(dist)};
const [file, at, release] = process.argv.slice(1);
while (Date.now() < Number(at)) {}
const r = claimPidFile(file, (pid) => isAlive(pid));
process.stdout.write(JSON.stringify(r) + '\\n');
if (r === 'claimed') { const fs = await import('node:fs'); while (!fs.existsSync(release)) await new Promise((s) => setTimeout(s, 20)); }
`;

describe('claimPidFile', () => {
  it('claims a missing file, refuses a live owner, replaces a stale one', async () => {
    const file = path.join(dir, 'a.pid');
    expect(claimPidFile(file, () => true)).toBe('claimed');
    fs.writeFileSync(file, `${process.ppid}\n`);
    expect(claimPidFile(file, () => true)).toEqual({ pid: process.ppid });
    fs.writeFileSync(file, `${await deadPid()}\n`);
    expect(claimPidFile(file, () => false)).toBe('claimed');
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(String(process.pid));
    expect(fs.existsSync(`${file}.takeover`)).toBe(false);
  });

  it('breaks a takeover lock left by a dead process', async () => {
    const file = path.join(dir, 'b.pid');
    fs.writeFileSync(file, `${await deadPid()}\n`);
    fs.writeFileSync(`${file}.takeover`, `${await deadPid()}\n`);
    expect(claimPidFile(file, () => false)).toBe('claimed');
  });

  it('gives a stale file to exactly one of eight processes racing for it', async () => {
    for (let round = 0; round < 5; round++) {
      const file = path.join(dir, `race-${round}.pid`);
      const release = path.join(dir, `release-${round}`);
      fs.writeFileSync(file, `${await deadPid()}\n`);
      const at = Date.now() + 1_500;
      const racers = Array.from({ length: 8 }, () =>
        execa(process.execPath, ['--input-type=module', '-e', RACER, file, String(at), release], {
          reject: false,
          timeout: 20_000,
        }),
      );
      const lines = await Promise.all(
        racers.map(
          (r) =>
            new Promise<string>((resolve) => {
              let text = '';
              r.stdout?.on('data', (d: Buffer) => {
                text += d.toString();
                if (text.includes('\n')) resolve(text.trim());
              });
              void r.then(() => resolve(text.trim()));
            }),
        ),
      );
      fs.writeFileSync(release, '');
      await Promise.all(racers);
      const winners = lines.filter((l) => l === '"claimed"');
      expect(winners, lines.join(', ')).toHaveLength(1);
      const owner = Number(fs.readFileSync(file, 'utf8').trim());
      for (const l of lines.filter((x) => x !== '"claimed"')) expect(JSON.parse(l)).toEqual({ pid: owner });
      await waitFor('the racers to exit', () => racers.every((r) => r.pid === undefined || !alive(r.pid)));
    }
  });
});
