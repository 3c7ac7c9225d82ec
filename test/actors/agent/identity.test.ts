import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentIdentityError,
  identityFromAddress,
  resolveAgentIdentity,
} from '../../../actors/agent/identity.js';

describe('resolveAgentIdentity', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-identity-'));
    for (const d of [
      'rigs/web/polecats/nux/src/deep',
      'rigs/web/crew/max',
      'mayor/notes',
      'deacon',
      'rigs/web/refinery/rig',
    ])
      fs.mkdirSync(path.join(root, d), { recursive: true });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const resolve = (cwd: string, env: NodeJS.ProcessEnv = {}) =>
    resolveAgentIdentity({ cwd: path.join(root, cwd), env, townRoot: root, town: 'alpha' });

  it('takes GT_AGENT_ADDRESS first, local or fully qualified, whatever the cwd', () => {
    expect(resolve('mayor', { GT_AGENT_ADDRESS: 'web/polecats/nux' })).toEqual({
      address: 'alpha/web/polecats/nux',
      role: 'polecat',
      rig: 'web',
      name: 'nux',
      sandbox: path.join(root, 'rigs', 'web', 'polecats', 'nux'),
    });
    expect(resolve('', { GT_AGENT_ADDRESS: 'alpha/web/crew/max' })).toMatchObject({
      address: 'alpha/web/crew/max',
      role: 'crew',
      rig: 'web',
      name: 'max',
      sandbox: path.join(root, 'rigs', 'web', 'crew', 'max'),
    });
    expect(resolve('', { GT_AGENT_ADDRESS: 'alpha/mayor' })).toMatchObject({
      address: 'alpha/mayor',
      role: 'mayor',
      rig: null,
      sandbox: path.join(root, 'mayor'),
    });
  });

  it('derives the identity from the cwd (any depth inside the agent directory)', () => {
    expect(resolve('rigs/web/polecats/nux/src/deep')).toMatchObject({
      address: 'alpha/web/polecats/nux',
      role: 'polecat',
      rig: 'web',
      name: 'nux',
    });
    expect(resolve('rigs/web/crew/max')).toMatchObject({ address: 'alpha/web/crew/max', role: 'crew' });
    expect(resolve('mayor/notes')).toMatchObject({ address: 'alpha/mayor', role: 'mayor', name: null });
    expect(resolve('deacon')).toMatchObject({ address: 'alpha/deacon', role: 'deacon' });
  });

  it('is the overseer outside any agent directory (town root, a refinery, elsewhere)', () => {
    const overseer = { address: 'alpha/overseer', role: 'overseer', rig: null, name: null, sandbox: null };
    expect(resolve('')).toEqual(overseer);
    expect(resolve('rigs/web/refinery/rig')).toEqual(overseer);
    expect(resolveAgentIdentity({ cwd: os.tmpdir(), env: {}, townRoot: root, town: 'alpha' })).toEqual(
      overseer,
    );
    expect(resolve('', { GT_AGENT_ADDRESS: '' })).toEqual(overseer);
  });

  it('refuses a malformed GT_AGENT_ADDRESS with a clear error instead of guessing', () => {
    for (const bad of ['web/polecats/', 'not an address', 'web/witness', 'beta/web/polecats/nux']) {
      let caught: unknown;
      try {
        resolve('rigs/web/polecats/nux', { GT_AGENT_ADDRESS: bad });
      } catch (err) {
        caught = err;
      }
      expect(caught, bad).toBeInstanceOf(AgentIdentityError);
      expect((caught as AgentIdentityError).code).toBe('agent.bad_address');
      expect((caught as Error).message).toContain('GT_AGENT_ADDRESS');
    }
  });

  it('identityFromAddress names the problem: another town, or a role without a hook', () => {
    expect(() => identityFromAddress('beta/mayor', root, 'alpha')).toThrow(/belongs to town beta/);
    expect(() => identityFromAddress('web/refinery', root, 'alpha')).toThrow(/not an agent with a hook/);
    expect(identityFromAddress('overseer', root, 'alpha')).toMatchObject({ role: 'overseer', sandbox: null });
  });
});
