// The FTP hash replies as real servers send them: ProFTPD's mod_digest answers HASH and
// XSHA256 on two lines (recorded from the rig's proftpd 1.3.8), others on one.
import { describe, expect, it } from 'vitest';
import { parseSha256Reply, sha256CommandFrom } from '../../../src/adapters/transfer/ftp-hash.js';

const HEX = '4ffd1c3afae498af3ed04c84f01810115c96436ab41f769c78ef4a4d5784d8be';
const HASH = { kind: 'HASH' } as const;
const XSHA256 = { kind: 'XSHA256' } as const;

describe('parseSha256Reply', () => {
  it("reads ProFTPD's two-line HASH reply", () => {
    const reply = `213-Computing SHA-256 digest\n213 SHA-256 0-254 ${HEX} pf-probe.bin`;
    expect(parseSha256Reply(HASH, reply)).toBe(HEX);
  });

  it('reads a one-line HASH reply, and a name with spaces', () => {
    expect(parseSha256Reply(HASH, `213 SHA-256 0-253 ${HEX} a b/c d.csv`)).toBe(HEX);
  });

  it("reads ProFTPD's XSHA256 reply: code 250, upper-case hex, on two lines", () => {
    const reply = `250-Computing SHA256 digest\n250 ${HEX.toUpperCase()}`;
    expect(parseSha256Reply(XSHA256, reply)).toBe(HEX);
  });

  it('reads a one-line 213 XSHA256 reply', () => {
    expect(parseSha256Reply(XSHA256, `213 ${HEX}\r\n`)).toBe(HEX);
  });

  it('gives null for another algorithm, an error reply or no digest', () => {
    expect(parseSha256Reply(HASH, `213-Computing SHA-1 digest\n213 SHA-1 0-254 4ec48be78b88a6dfb87d127670f27e02fffd2c69 x`)).toBeNull();
    expect(parseSha256Reply(HASH, '550 x: No such file or directory')).toBeNull();
    expect(parseSha256Reply(XSHA256, '250-Computing SHA256 digest\n250 not-a-digest')).toBeNull();
    expect(parseSha256Reply(XSHA256, `550 ${HEX}`)).toBeNull();
  });
});

describe('sha256CommandFrom', () => {
  it('prefers HASH when FEAT lists SHA-256 among its algorithms, even when another is selected', () => {
    expect(
      sha256CommandFrom(
        new Map([
          ['HASH', 'CRC32;MD5;SHA-1*;SHA-256;SHA-512;'],
          ['XSHA256', ''],
        ]),
      ),
    ).toEqual(HASH);
  });

  it('takes HASH whichever algorithm is selected, and not without SHA-256', () => {
    expect(sha256CommandFrom(new Map([['HASH', 'SHA-1;SHA-256*;MD5']]))).toEqual(HASH);
    expect(sha256CommandFrom(new Map([['HASH', 'SHA-1;MD5']]))).toBeNull();
  });

  it('falls back to XSHA256, and to none', () => {
    expect(
      sha256CommandFrom(
        new Map([
          ['HASH', 'SHA-1*;MD5'],
          ['XSHA256', ''],
        ]),
      ),
    ).toEqual(XSHA256);
    expect(sha256CommandFrom(new Map([['MDTM', '']]))).toBeNull();
  });
});
