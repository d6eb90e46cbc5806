import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isJournalStream, journalPriority } from '../../../src/log/journal.js';
import { createLogger } from '../../../src/log/logger.js';

describe('journald priorities of log lines', () => {
  let dir: string;
  const fds: number[] = [];
  /** A file standing in for the stream systemd connects: its device and inode go in JOURNAL_STREAM. */
  const open = (name: string) => {
    const fd = openSync(path.join(dir, name), 'w');
    fds.push(fd);
    return fd;
  };
  const streamOf = (fd: number) => {
    const stat = fstatSync(fd);
    return `${stat.dev}:${stat.ino}`;
  };
  const lines = (name: string) => readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-journal-'));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    for (const fd of fds.splice(0)) closeSync(fd);
    await rm(dir, { recursive: true, force: true });
  });

  it('maps pino levels to syslog priorities', () => {
    expect([10, 20, 30, 40, 50, 60].map(journalPriority)).toEqual([7, 7, 6, 4, 3, 2]);
  });

  it('prefixes each record with <N> when the descriptor is the journal stream, one line per record', () => {
    const fd = open('journal');
    vi.stubEnv('JOURNAL_STREAM', streamOf(fd));
    const logger = createLogger({ level: 'trace', fd }).child({ pipeline: 'sdoss' });
    logger.trace('trace');
    logger.debug('debug');
    logger.info('info');
    logger.warn('warn');
    const err = new Error('3 task(s) failed:\n/d/a.fits: exit code 3\n/d/b.fits: exit code 3');
    logger.error({ err }, `stage failed: ${err.message}`);
    logger.fatal('fatal');
    const written = lines('journal');
    expect(written.map((l) => l.slice(0, 3))).toEqual(['<7>', '<7>', '<6>', '<4>', '<3>', '<2>']);
    // After the prefix (which journald strips), the JSON with every field, the newlines of
    // the message and of the stack escaped: one line, so one record.
    const failed = JSON.parse(written[4]!.slice(3)) as { pipeline: string; msg: string; err: { stack: string } };
    expect(failed.pipeline).toBe('sdoss');
    expect(failed.msg).toBe(`stage failed: ${err.message}`);
    expect(failed.err.stack).toContain('\n    at ');
  });

  it('writes plain JSON when JOURNAL_STREAM names another stream (inherited, or output redirected)', () => {
    const fd = open('file');
    vi.stubEnv('JOURNAL_STREAM', streamOf(open('elsewhere')));
    createLogger({ fd }).error('boom');
    expect(JSON.parse(lines('file')[0]!)).toMatchObject({ level: 50, msg: 'boom' });
    vi.stubEnv('JOURNAL_STREAM', 'garbage');
    expect(isJournalStream(fd)).toBe(false);
    vi.stubEnv('JOURNAL_STREAM', streamOf(fd));
    expect(isJournalStream(fd)).toBe(true);
  });
});
