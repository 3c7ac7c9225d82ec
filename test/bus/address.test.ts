import { describe, expect, it } from 'vitest';
import {
  addressToSubjectTokens,
  formatAddress,
  isKnownPath,
  parseAddress,
  subjectTokensToAddress,
} from '../../bus/address.js';
import { InvalidSubjectError } from '../../bus/errors.js';
import { mail } from '../../bus/subjects.js';

describe('parseAddress', () => {
  it('reads qualified addresses', () => {
    expect(parseAddress('alpha/mayor', 'zeta')).toEqual({ town: 'alpha', path: ['mayor'] });
    expect(parseAddress('alpha/web/polecats/nux', 'zeta')).toEqual({
      town: 'alpha',
      path: ['web', 'polecats', 'nux'],
    });
    expect(parseAddress('alpha/web/refinery', 'zeta')).toEqual({ town: 'alpha', path: ['web', 'refinery'] });
    expect(parseAddress('beta/mayor', 'alpha')).toEqual({ town: 'beta', path: ['mayor'] });
    expect(parseAddress('alpha/dogs/rex', 'zeta')).toEqual({ town: 'alpha', path: ['dogs', 'rex'] });
    expect(parseAddress('alpha/web/crew/ann', 'zeta')).toEqual({
      town: 'alpha',
      path: ['web', 'crew', 'ann'],
    });
  });

  it('resolves bare paths to the local town', () => {
    expect(parseAddress('mayor', 'alpha')).toEqual({ town: 'alpha', path: ['mayor'] });
    expect(parseAddress('web/witness', 'alpha')).toEqual({ town: 'alpha', path: ['web', 'witness'] });
    expect(parseAddress('web/polecats/nux', 'alpha')).toEqual({
      town: 'alpha',
      path: ['web', 'polecats', 'nux'],
    });
    for (const root of ['deacon', 'boot', 'overseer']) {
      expect(parseAddress(root, 'alpha')).toEqual({ town: 'alpha', path: [root] });
    }
    expect(parseAddress('dogs/rex', 'alpha')).toEqual({ town: 'alpha', path: ['dogs', 'rex'] });
  });

  it('rejects unknown and malformed addresses', () => {
    expect(() => parseAddress('web/unknown', 'alpha')).toThrow(/unknown address "web\/unknown"/);
    expect(() => parseAddress('alpha/web/polecats', 'alpha')).toThrow(InvalidSubjectError);
    expect(() => parseAddress('alpha//mayor', 'alpha')).toThrow(/empty segment/);
    expect(() => parseAddress('', 'alpha')).toThrow(InvalidSubjectError);
    expect(() => parseAddress('Alpha/mayor', 'alpha')).toThrow(InvalidSubjectError);
    expect(() => parseAddress('alpha/web.x/witness', 'alpha')).toThrow(/may not contain/);
    expect(() => parseAddress('a/b/web/polecats/nux', 'alpha')).toThrow(InvalidSubjectError);
    expect(() => parseAddress('mayor', 'Bad.Town')).toThrow(/invalid town name/);
    expect(() => parseAddress('mayor/witness', 'alpha')).toThrow(InvalidSubjectError);
  });
});

describe('formatting and subjects', () => {
  it('formats fully qualified and round-trips', () => {
    for (const text of ['alpha/mayor', 'alpha/web/polecats/nux', 'beta/dogs/rex']) {
      expect(formatAddress(parseAddress(text, 'zeta'))).toBe(text);
    }
    expect(formatAddress(parseAddress('web/witness', 'alpha'))).toBe('alpha/web/witness');
  });

  it('maps to mail subject tokens and back', () => {
    const address = parseAddress('alpha/web/polecats/nux', 'zeta');
    const tokens = addressToSubjectTokens(address);
    expect(mail(address.town, tokens)).toBe('gt.alpha.mail.web.polecats.nux');
    expect(subjectTokensToAddress('alpha', tokens)).toEqual(address);
    expect(subjectTokensToAddress('alpha', ['web', 'nothing'])).toBeNull();
  });

  it('knows the role paths', () => {
    expect(isKnownPath(['mayor'])).toBe(true);
    expect(isKnownPath(['web', 'witness'])).toBe(true);
    expect(isKnownPath(['mayor', 'witness'])).toBe(false);
    expect(isKnownPath(['dogs', 'witness'])).toBe(true);
    expect(isKnownPath(['web'])).toBe(false);
    expect(isKnownPath([])).toBe(false);
  });
});
