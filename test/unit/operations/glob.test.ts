import { describe, expect, it } from 'vitest';
import { compileGlob, globToRegex } from '../../../src/operations/glob.js';

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

  it('takes the characters inside brackets literally, but for ranges, as PostgreSQL must read them', () => {
    expect(matches('[]a]x', ']x')).toBe(true);
    expect(matches('[!]a]x', 'bx')).toBe(true);
    expect(matches('[!]a]x', ']x')).toBe(false);
    expect(matches('[a\\^]', '\\')).toBe(true);
    expect(matches('[0-9]', '5')).toBe(true);
    expect(matches('[a-]', '-')).toBe(true);
  });

  it('names what is wrong with a glob that makes no sense, rather than leaving it to the database', () => {
    expect(compileGlob('[z-a]*')).toEqual({ problem: 'glob "[z-a]*": the range [z-a] is backwards: write [a-z]' });
    expect(compileGlob('[[:alpha:]]')).toEqual({
      problem: 'glob "[[:alpha:]]": character classes such as [:alpha:] are not supported: list the characters or a range (a-z)',
    });
    expect(() => globToRegex('[z-a]')).toThrow('the range [z-a] is backwards');
  });
});
