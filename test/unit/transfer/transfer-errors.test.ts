import { FTPError } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import { NocturneError } from '../../../src/core/errors.js';
import { transferError } from '../../../src/adapters/transfer/transfer-errors.js';

const place = { target: 'archive', op: 'put', path: '/hfc/a.csv' };
const ftp = (code: number, message: string) => new FTPError({ code, message });
const withProps = (message: string, props: Record<string, unknown>) => Object.assign(new Error(message), props);

describe('transferError', () => {
  it.each([
    [ftp(530, '530 Login incorrect.'), 'TRANSFER_AUTH_FAILED', false, 'login refused (530 Login incorrect.)'],
    [ftp(421, 'Too many connections'), 'TRANSFER_FAILED', true, 'server replied 421 Too many connections'],
    [ftp(550, '550 Permission denied.'), 'TRANSFER_FAILED', false, 'server replied 550 Permission denied.'],
    [ftp(451, '451 Failure writing to local file.'), 'TRANSFER_FAILED', true, 'server replied 451 Failure writing to local file.'],
    [
      ftp(452, '452 Transfer aborted.  No space left on device'),
      'TRANSFER_STORAGE_FULL',
      true,
      'storage full on the server (452 Transfer aborted.  No space left on device)',
    ],
    [ftp(552, '552 Disk quota exceeded'), 'TRANSFER_STORAGE_FULL', false, 'storage full on the server (552 Disk quota exceeded)'],
    [withProps('connect ECONNREFUSED 127.0.0.1:21', { code: 'ECONNREFUSED' }), 'TRANSFER_FAILED', true, 'ECONNREFUSED'],
    [new Error('Server sent FIN packet unexpectedly, closing connection.'), 'TRANSFER_FAILED', true, 'FIN packet'],
    [withProps('self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'TRANSFER_FAILED', false, 'TLS certificate refused'],
    [
      withProps('All configured authentication methods failed', { level: 'client-authentication' }),
      'TRANSFER_AUTH_FAILED',
      false,
      'authentication refused',
    ],
    [
      withProps('connect: All configured authentication methods failed', { code: 'ERR_GENERIC_CLIENT' }),
      'TRANSFER_AUTH_FAILED',
      false,
      'authentication refused',
    ],
    [new Error('connect: Host denied (verification failed)'), 'TRANSFER_HOSTKEY_MISMATCH', false, 'pinned hostKeySha256'],
    [withProps('Timed out while waiting for handshake', { level: 'client-timeout' }), 'TRANSFER_FAILED', true, 'handshake'],
    [withProps('No such file', { code: 2 }), 'TRANSFER_FAILED', false, 'No such file (2)'],
  ] as const)('%s → %s', (err, code, retryable, text) => {
    const translated = transferError(err, place);
    expect(translated).toMatchObject({ code, retryable });
    expect(translated.message).toMatch(/^target "archive": put \/hfc\/a\.csv: /);
    expect(translated.message).toContain(text);
    expect(translated.cause).toBe(err);
  });

  it('passes a NocturneError through unchanged', () => {
    const err = new NocturneError('PATH_UNSAFE', 'no');
    expect(transferError(err, place)).toBe(err);
  });
});
