import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkRemoteName,
  checkRemotePath,
  joinRemote,
  partialPathFor,
  resolveRemote,
} from '../../../src/adapters/transfer/remote-paths.js';

describe('checkRemotePath', () => {
  it.each(['/hfc/sdoss/2014/a.csv', 'relative/dir', 'a b/ç.jpg', '/'])('accepts %j', (p) => {
    expect(checkRemotePath(p)).toBe(p);
  });

  it.each([
    ['', /length/],
    ['/hfc/../etc/passwd', /"\." or "\.\." segment/],
    ['hfc/./x', /"\." or "\.\." segment/],
    ['hfc//x', /empty/],
    ['hfc/x/', /empty/],
    ['a.csv\r\nDELE b.csv', /control character/],
    ['a\u0000b', /control character/],
    ['a\u007fb', /control character/],
    ['a\\b', /backslash/],
    ['x'.repeat(5000), /length/],
  ])('refuses %j', (p, why) => {
    expect(() => checkRemotePath(p)).toThrow(expect.objectContaining({ code: 'PATH_UNSAFE', message: expect.stringMatching(why) }));
  });
});

describe('names from a server listing', () => {
  it.each(['..', '.', 'a/b', 'x\ny', ''])('refuses %j, naming the directory', (name) => {
    expect(() => checkRemoteName(name, '/hfc')).toThrow(/listed in "\/hfc" is refused/);
  });

  it('accepts a plain name', () => {
    expect(joinRemote('/hfc', checkRemoteName('a b.csv', '/hfc'))).toBe('/hfc/a b.csv');
  });
});

describe('resolveRemote and partial names', () => {
  it('resolves relative paths against the login directory, keeps absolute ones', () => {
    expect(resolveRemote('/home/ftp', 'hfc/a.csv')).toBe('/home/ftp/hfc/a.csv');
    expect(resolveRemote('/home/ftp', '/hfc/a.csv')).toBe('/hfc/a.csv');
  });

  it('puts the partial beside the final name, with a random part', () => {
    expect(partialPathFor('/hfc/a.csv', () => 'k3y')).toBe('/hfc/a.csv.k3y.partial');
    const random = partialPathFor('/hfc/a.csv');
    expect(random).toMatch(/^\/hfc\/a\.csv\.[a-z0-9x]{8}\.partial$/);
    expect(partialPathFor('/hfc/a.csv')).not.toBe(random);
  });

  it('cuts a long final name so that the partial name stays within 255 bytes, on a character boundary', () => {
    const ascii = `${'L'.repeat(251)}.csv`;
    expect(partialPathFor(`/hfc/${ascii}`, () => 'k3y12345')).toBe(`/hfc/${'L'.repeat(238)}.k3y12345.partial`);
    expect(partialPathFor(ascii, () => 'k3y12345')).toBe(`${'L'.repeat(238)}.k3y12345.partial`);
    // 'é' is 2 bytes: 119 of them (238 bytes) fit, not 120.
    const wide = `${'é'.repeat(125)}.csv`;
    const partial = path.posix.basename(partialPathFor(`/hfc/${wide}`, () => 'k3y12345'));
    expect(partial).toBe(`${'é'.repeat(119)}.k3y12345.partial`);
    expect(Buffer.byteLength(partial)).toBe(255);
    expect(partialPathFor(`/hfc/${'L'.repeat(238)}`, () => 'k3y12345')).toBe(`/hfc/${'L'.repeat(238)}.k3y12345.partial`);
  });
});
