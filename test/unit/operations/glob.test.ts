import { describe, expect, it } from 'vitest';
import { globToRegex } from '../../../src/operations/glob.js';

const matches = (glob: string, text: string) => new RegExp(globToRegex(glob)).test(text);

describe('globToRegex, for PostgreSQL ~', () => {
  it('anchors, and reads *, ? and [...] as the shell does', () => {
    expect(globToRegex('sdoss_2014022*')).toBe('^sdoss_2014022.*$');
    expect(matches('sdoss_2014022*', 'sdoss_20140221T000045')).toBe(true);
    expect(matches('sdoss_2014022*', 'xsdoss_20140221')).toBe(false);
    expect(matches('obs_?', 'obs_a')).toBe(true);
    expect(matches('obs_?', 'obs_ab')).toBe(false);
    expect(matches('[bc]-*', 'c-broken')).toBe(true);
    expect(matches('[!bc]-*', 'c-broken')).toBe(false);
    expect(matches('[!bc]-*', 'a-ok')).toBe(true);
  });

  it('takes every other character literally', () => {
    expect(matches('a.csv', 'a.csv')).toBe(true);
    expect(matches('a.csv', 'abcsv')).toBe(false);
    expect(matches('f(1)+$^|{2}.csv', 'f(1)+$^|{2}.csv')).toBe(true);
    expect(matches('a[b', 'a[b')).toBe(true);
  });
});
