import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertRigName, readRigConfig, rigPaths, writeRigConfig } from '../../../actors/rig/rig-config.js';
import type { RigConfig } from '../../../actors/rig/rig-config.js';
import { RigError } from '../../../actors/rig/rig-errors.js';
import { cleanupTemp, tempDir } from './rig-fixtures.js';

afterAll(cleanupTemp);

const config: RigConfig = {
  version: 1,
  name: 'web',
  url: 'https://example.com/web.git',
  default_branch: 'main',
  prefix: 'web',
  gates: [{ name: 'test', cmd: 'npm test', timeout_ms: 60_000 }],
  max_polecats: 4,
  batch_size: 10,
  created_at: '2026-12-01T00:00:00.000Z',
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RigError);
    return (e as RigError).code;
  }
  throw new Error('expected a RigError');
}

describe('rig.json', () => {
  it('lays a rig out under rigs/<name>', () => {
    expect(rigPaths('/t', 'web')).toEqual({
      dir: '/t/rigs/web',
      config: '/t/rigs/web/rig.json',
      mirror: '/t/rigs/web/.repo.git',
      refinery: '/t/rigs/web/refinery/rig',
      polecats: '/t/rigs/web/polecats',
      crew: '/t/rigs/web/crew',
    });
  });

  it('writes atomically and reads back; null when absent', () => {
    const town = tempDir();
    expect(readRigConfig(town, 'web')).toBeNull();
    fs.mkdirSync(rigPaths(town, 'web').dir, { recursive: true });
    writeRigConfig(town, config);
    expect(readRigConfig(town, 'web')).toEqual(config);
    expect(fs.readdirSync(rigPaths(town, 'web').dir)).toEqual(['rig.json']);
    writeRigConfig(town, { ...config, max_polecats: 9 });
    expect(readRigConfig(town, 'web')?.max_polecats).toBe(9);
  });

  it('fills defaults and refuses unknown fields, bad values and another rig name', () => {
    const town = tempDir();
    const file = rigPaths(town, 'web').config;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const { gates: _g, max_polecats: _m, ...minimal } = config;
    fs.writeFileSync(file, JSON.stringify(minimal));
    expect(readRigConfig(town, 'web')).toMatchObject({ gates: [], max_polecats: 4 });
    for (const bad of [
      { ...config, extra: 1 },
      { ...config, version: 2 },
      { ...config, max_polecats: 101 },
      { ...config, prefix: 'Web' },
      { ...config, gates: [config.gates[0], config.gates[0]] },
      { ...config, name: 'api' },
    ]) {
      fs.writeFileSync(file, JSON.stringify(bad));
      expect(codeOf(() => readRigConfig(town, 'web'))).toBe('rig.bad_config');
    }
    fs.writeFileSync(file, '{ not json');
    expect(() => readRigConfig(town, 'web')).toThrow(`${file}: not JSON`);
  });

  it('checks rig names', () => {
    for (const ok of ['web', 'a', '0-x', 'a'.repeat(32)]) expect(() => assertRigName(ok)).not.toThrow();
    for (const bad of ['', 'Web', '-a', 'a b', 'a'.repeat(33), 'mayor', 'deacon', 'boot', 'overseer', 'dogs'])
      expect(codeOf(() => assertRigName(bad))).toBe('rig.bad_name');
  });
});
