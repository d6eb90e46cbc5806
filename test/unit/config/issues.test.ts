import { describe, expect, it } from 'vitest';
import { closest, levenshtein, suggestion } from '../../../src/config/did-you-mean.js';
import { formatIssues, formatPath } from '../../../src/config/issues.js';
import { scheduleProblems } from '../../../src/config/schedule-check.js';

describe('did you mean', () => {
  it('measures edit distance', () => {
    expect(levenshtein('schedul', 'schedule')).toBe(1);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
  });

  it('suggests the closest candidate within a third of the word, ignoring case', () => {
    expect(closest('timeZone', ['schedule', 'timezone'])).toBe('timezone');
    expect(closest('remotedir', ['remoteDir', 'target'])).toBe('remoteDir');
    expect(closest('colour', ['schedule', 'timezone'])).toBeUndefined();
    expect(closest('ab', ['xy'])).toBeUndefined();
  });

  it('compares no candidate whose length alone puts it out of reach (a 1 MB time zone took 30 s)', () => {
    const zones = Intl.supportedValuesOf('timeZone');
    expect(closest('Europe/Pari', zones)).toBe('Europe/Paris');
    expect(closest('x'.repeat(1_000_000), zones)).toBeUndefined();
    const [unknown] = scheduleProblems({ timezone: `Europe/${'x'.repeat(1_000_000)}` }, ['run']);
    expect(unknown?.message).toBe(`unknown IANA time zone "Europe/${'x'.repeat(53)}…" (an IANA name such as Europe/Paris or UTC)`);
  });

  it('lists what is allowed when nothing is close', () => {
    expect(suggestion('archiv', ['archive'], 'targets', 'none')).toBe('; did you mean "archive"?');
    expect(suggestion('ftp', ['archive', 'mirror'], 'targets', 'none')).toBe(' (targets: archive, mirror)');
    expect(suggestion('ftp', [], 'targets', 'no targets are defined')).toBe(' (no targets are defined)');
  });
});

describe('formatIssues', () => {
  it('sorts by file, line and column, drops repeats and counts', () => {
    const text = formatIssues([
      { file: 'pipelines/b.yaml', line: 2, col: 1, message: 'second' },
      { file: 'config/nocturne.yaml', line: 10, col: 3, message: 'later' },
      { file: 'config/nocturne.yaml', line: 9, col: 7, message: 'earlier' },
      { file: 'pipelines/b.yaml', line: 2, col: 1, message: 'second' },
    ]);
    expect(text).toBe(
      [
        'config/nocturne.yaml:9:7: earlier',
        'config/nocturne.yaml:10:3: later',
        'pipelines/b.yaml:2:1: second',
        '3 problems in 2 files',
      ].join('\n'),
    );
  });

  it('writes paths with keys and indexes', () => {
    expect(formatPath(['ingest', 'naturalKey', 1])).toBe('ingest.naturalKey[1]');
    expect(formatPath([])).toBe('');
  });
});
