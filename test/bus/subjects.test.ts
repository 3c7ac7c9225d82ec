import { describe, expect, it } from 'vitest';
import { InvalidSubjectError } from '../../bus/errors.js';
import { cmd, evt, hb, mail, nudge, parseSubject, patterns } from '../../bus/subjects.js';

describe('subject builders', () => {
  it('builds every kind under gt.<town>.', () => {
    expect(cmd('alpha', 'bead.create')).toBe('gt.alpha.cmd.bead.create');
    expect(cmd('town-2', 'sling')).toBe('gt.town-2.cmd.sling');
    expect(evt('alpha', 'bead', 'created')).toBe('gt.alpha.evt.bead.created');
    expect(mail('alpha', ['web', 'polecats', 'nux'])).toBe('gt.alpha.mail.web.polecats.nux');
    expect(nudge('alpha', 'nux')).toBe('gt.alpha.nudge.nux');
    expect(hb('alpha', 'mayor')).toBe('gt.alpha.hb.mayor');
  });

  it('rejects bad town names', () => {
    for (const town of ['Alpha', 'al.pha', 'al_pha', '', 'a b', '*', '>']) {
      expect(() => cmd(town, 'x')).toThrow(InvalidSubjectError);
    }
    expect(() => cmd('Alpha', 'x')).toThrow(
      /invalid town name "Alpha": use lowercase letters, digits and "-"/,
    );
  });

  it('rejects tokens with dots, wildcards, whitespace or nothing', () => {
    expect(() => evt('alpha', 'be.ad', 'created')).toThrow(/may not contain "\.", "\*", ">" or whitespace/);
    expect(() => evt('alpha', 'bead', '*')).toThrow(InvalidSubjectError);
    expect(() => nudge('alpha', 'a>')).toThrow(InvalidSubjectError);
    expect(() => hb('alpha', 'a b')).toThrow(InvalidSubjectError);
    expect(() => hb('alpha', 'a\tb')).toThrow(InvalidSubjectError);
    expect(() => hb('alpha', '')).toThrow(/it is empty/);
    expect(() => cmd('alpha', 'bead..create')).toThrow(/empty/);
    expect(() => cmd('alpha', 'bead.*')).toThrow(InvalidSubjectError);
    expect(() => mail('alpha', [])).toThrow(/no path/);
    expect(() => mail('alpha', ['web', 'x.y'])).toThrow(InvalidSubjectError);
  });

  it('carries the stable code', () => {
    try {
      cmd('alpha', 'a b');
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidSubjectError).code).toBe('bus.invalid_subject');
    }
  });
});

describe('parseSubject', () => {
  it('round-trips every kind', () => {
    expect(parseSubject(cmd('alpha', 'bead.create'))).toEqual({
      kind: 'cmd',
      town: 'alpha',
      verb: 'bead.create',
    });
    expect(parseSubject(evt('beta', 'convoy', 'landed'))).toEqual({
      kind: 'evt',
      town: 'beta',
      entity: 'convoy',
      event: 'landed',
    });
    expect(parseSubject(mail('alpha', ['mayor']))).toEqual({
      kind: 'mail',
      town: 'alpha',
      tokens: ['mayor'],
    });
    expect(parseSubject(nudge('alpha', 'nux'))).toEqual({ kind: 'nudge', town: 'alpha', agent: 'nux' });
    expect(parseSubject(hb('alpha', 'deacon'))).toEqual({ kind: 'hb', town: 'alpha', actor: 'deacon' });
  });

  it('returns null for anything else', () => {
    for (const s of [
      '',
      'gt',
      'gt.alpha',
      'gt.alpha.cmd',
      'xx.alpha.cmd.sling',
      'gt.Alpha.cmd.sling',
      'gt.alpha.other.x',
      'gt.alpha.evt.bead',
      'gt.alpha.evt.bead.created.extra',
      'gt.alpha.nudge.a.b',
      'gt.alpha.hb.a.b',
      'gt.alpha.cmd.bead..create',
      'gt.*.evt.>',
      'gt.alpha.cmd.*',
    ]) {
      expect(parseSubject(s), s).toBeNull();
    }
  });
});

describe('observer patterns', () => {
  it('builds wildcard patterns for one town or all towns', () => {
    expect(patterns.events()).toBe('gt.*.evt.>');
    expect(patterns.events('alpha')).toBe('gt.alpha.evt.>');
    expect(patterns.all('alpha')).toBe('gt.alpha.>');
    expect(patterns.all()).toBe('gt.*.>');
    expect(patterns.commands('alpha')).toBe('gt.alpha.cmd.>');
    expect(patterns.mail()).toBe('gt.*.mail.>');
    expect(patterns.nudges('alpha')).toBe('gt.alpha.nudge.*');
    expect(patterns.heartbeats()).toBe('gt.*.hb.*');
    expect(() => patterns.events('A.B')).toThrow(InvalidSubjectError);
  });
});
