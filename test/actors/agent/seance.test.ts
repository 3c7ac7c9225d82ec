import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listSessions, pickSession, readSessionTail, SeanceError } from '../../../actors/agent/seance.js';
import { sessionLogDir, sessionLogPath } from '../../../actors/agent/session-paths.js';
import { townPaths } from '../../../actors/town/town-config.js';
import type { TownPaths } from '../../../actors/town/town-config.js';

const NUX = 'alpha/web/polecats/nux';

describe('seance', () => {
  let root: string;
  let paths: TownPaths;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-seance-'));
    paths = townPaths(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  function log(at: string, text: string): string {
    const file = sessionLogPath(paths, NUX, new Date(at));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  }

  it('lists the sessions oldest first with start time, size and last line', () => {
    log('2026-12-01T10:00:00.000Z', 'first\nsecond session? no: first one ends\n\n');
    log('2026-12-01T09:00:00.000Z', 'the very first\n');
    log('2026-12-01T11:30:00.500Z', '');
    fs.writeFileSync(path.join(sessionLogDir(paths, NUX), 'notes.txt'), 'not a log');
    const sessions = listSessions(paths, NUX);
    expect(sessions.map((s) => [s.index, s.started_at, s.last_line])).toEqual([
      [1, '2026-12-01T09:00:00.000Z', 'the very first'],
      [2, '2026-12-01T10:00:00.000Z', 'second session? no: first one ends'],
      [3, '2026-12-01T11:30:00.500Z', ''],
    ]);
    expect(sessions[0]?.size).toBe('the very first\n'.length);
    expect(sessions[0]?.file).toBe('2026-12-01T09-00-00-000Z.log');
  });

  it('picks the newest by default, or by number, negative offset or file name', () => {
    log('2026-12-01T09:00:00.000Z', 'one\n');
    const second = log('2026-12-01T10:00:00.000Z', 'two\n');
    log('2026-12-01T11:00:00.000Z', 'three\n');
    expect(pickSession(paths, NUX).index).toBe(3);
    expect(pickSession(paths, NUX, '1').last_line).toBe('one');
    expect(pickSession(paths, NUX, '-1').last_line).toBe('two');
    expect(pickSession(paths, NUX, path.basename(second)).index).toBe(2);
    expect(pickSession(paths, NUX, second).index).toBe(2);
    expect(() => pickSession(paths, NUX, '9')).toThrow(/has no session "9": it has 3/);
  });

  it('reads the tail of a log', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i + 1}`);
    log('2026-12-01T09:00:00.000Z', `${lines.join('\n')}\n`);
    const tail = readSessionTail(pickSession(paths, NUX));
    expect(tail.lines).toHaveLength(200);
    expect(tail.lines[0]).toBe('line 301');
    expect(tail.lines[199]).toBe('line 500');
    expect(tail).toMatchObject({ total_lines: 500, truncated: true });
    expect(readSessionTail(pickSession(paths, NUX), 1000)).toMatchObject({
      truncated: false,
      total_lines: 500,
    });
    expect(() => readSessionTail(pickSession(paths, NUX), 0)).toThrow(SeanceError);
  });

  it('an agent without sessions is seance.no_sessions', () => {
    expect(listSessions(paths, NUX)).toEqual([]);
    let caught: unknown;
    try {
      pickSession(paths, NUX);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SeanceError);
    expect((caught as SeanceError).code).toBe('seance.no_sessions');
    expect((caught as Error).message).toContain('has no session logs');
  });
});
