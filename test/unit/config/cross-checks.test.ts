import { describe, expect, it } from 'vitest';
import { formatPath } from '../../../src/config/issues.js';
import { daemonProblems, pipelineProblems } from '../../../src/config/cross-checks.js';

describe('database.url', () => {
  const urlProblems = (url: string) => daemonProblems({ database: { url } }).map((p) => p.message);
  const HOLDS = 'holds a password: remove it, and reference it in database.password';

  it('finds a password wherever the PostgreSQL client would read one, never quoting it', () => {
    expect(urlProblems('postgres://nocturne:Hunter2@127.0.0.1/nocturne')).toEqual([HOLDS]);
    expect(urlProblems('postgres://nocturne@127.0.0.1/nocturne?password=Hunter2')).toEqual([HOLDS]);
    const unreadable = [
      ...urlProblems('postgres://nocturne:Hunt#er2@127.0.0.1/nocturne'),
      ...urlProblems('postgres://n@127.0.0.1:99999/x'),
    ];
    expect(unreadable).toHaveLength(2);
    for (const message of unreadable) expect(message).toMatch(/^is not a valid URL/);
    expect(urlProblems('postgres://nocturne@127.0.0.1/nocturne#x')).toEqual([
      'has a "#" part, which no PostgreSQL client reads: write "#" as %23',
    ]);
  });

  it('takes a URL without a password, a Unix socket one included', () => {
    expect(urlProblems('postgres://nocturne@127.0.0.1:5432/nocturne?sslmode=require')).toEqual([]);
    expect(urlProblems('postgres:///nocturne?host=/var/run/postgresql')).toEqual([]);
    expect(urlProblems('postgresql://nocturne@/nocturne?host=/run/postgresql')).toEqual([]);
  });
});

describe('remote directories', () => {
  /** The problems of the remote directories only (an ingest section this short has others). */
  const pipeline = (upload: unknown, ingest?: unknown) =>
    pipelineProblems({ name: 'sdoss', upload, ...(ingest === undefined ? {} : { ingest }) }, { fileName: 'sdoss', targets: undefined })
      .filter((p) => ['remoteDir', 'dir'].includes(String(p.path.at(-1))))
      .map((p) => `${formatPath(p.path)}: ${p.message}`);

  it('refuses at validation what the stage would refuse at each file', () => {
    expect(pipeline({ remoteDir: '/../../tmp/{code}/{yyyy}' })).toEqual([
      'upload.remoteDir: remote directory "/../../tmp/{code}/{yyyy}" is refused: it has an empty, "." or ".." segment',
    ]);
    expect(pipeline({ remoteDir: '/hfc/{code}\r\nDELE x/{yyyy}' })).toEqual([
      'upload.remoteDir: remote directory "/hfc/{code}\\r\\nDELE x/{yyyy}" is refused: it contains a control character (NUL, CR, LF...)',
    ]);
    // The ingest stage normalises its directory first: a ".." that stays is refused.
    expect(pipeline({}, { source: { target: 'archive', dir: '../sdoss' } })).toEqual([
      'ingest.source.dir: remote directory "../sdoss" is refused: it has an empty, "." or ".." segment',
    ]);
  });

  it('takes a template the stage takes: relative, with a trailing slash, placeholders filled', () => {
    expect(pipeline({ remoteDir: '/hfc/{code}/{yyyy}/{mm}/' })).toEqual([]);
    expect(pipeline({ remoteDir: 'hfc/{pipeline}' })).toEqual([]);
    expect(pipeline({ remoteDir: '/' })).toEqual([]);
    expect(pipeline({}, { source: { target: 'archive', dir: '/hfc/sdoss/' } })).toEqual([]);
    expect(pipeline({}, { source: { target: 'archive', dir: '/hfc/./sdoss/../spoca' } })).toEqual([]);
    // A local source is a local path: "..", resolved against the config directory, is fine there.
    expect(pipeline({}, { source: { dir: '../incoming' } })).toEqual([]);
  });
});

describe('long values', () => {
  it('quotes at most 60 characters of a schedule or a target name', () => {
    const long = `0 2 * * ${'1'.repeat(300_000)}`;
    const [schedule] = pipelineProblems({ name: 'p', run: { schedule: long } }, { fileName: 'p', targets: undefined }).map(
      (p) => p.message,
    );
    expect(schedule!.length).toBeLessThan(300);
    const [target] = pipelineProblems({ name: 'p', upload: { target: 'x'.repeat(300_000) } }, { fileName: 'p', targets: ['archive'] }).map(
      (p) => p.message,
    );
    expect(target!.length).toBeLessThan(300);
  });
});
