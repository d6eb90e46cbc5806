import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON and never a secret, however deep it travels', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination });
    logger.info({ password: 'p1', target: { password: 'p2', host: 'ftp' }, sftp: { options: { privateKey: 'k' } } }, 'connecting');
    const text = lines.join('');
    expect(text).not.toMatch(/p1|p2|"k"/);
    const record = JSON.parse(text) as { msg: string; target: { host: string; password: string } };
    expect(record.msg).toBe('connecting');
    expect(record.target).toEqual({ host: 'ftp', password: '[redacted]' });
  });
});
