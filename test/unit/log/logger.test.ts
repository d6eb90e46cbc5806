import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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

describe('createLogger for a terminal (pretty)', () => {
  it('writes readable lines to its own descriptor at once, in this thread, and never a secret', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-pretty-'));
    const file = path.join(dir, 'out.log');
    const fd = openSync(file, 'w');
    try {
      createLogger({ pretty: true, fd }).info({ target: { password: 'p1', host: 'ftp' } }, 'connecting');
      // No worker thread, no flush to wait for: the line is in the file when info() returns.
      const text = readFileSync(file, 'utf8');
      expect(text).toMatch(/INFO.*connecting/);
      expect(text).toContain('[redacted]');
      expect(text).not.toContain('p1');
      expect(() => JSON.parse(text) as unknown).toThrow();
    } finally {
      closeSync(fd);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
