import { describe, expect, it } from 'vitest';
import { retrySelection } from '../../../src/cli/commands/retry.js';

const stages = ['run', 'upload', 'ingest'] as const;

describe('nocturne retry: the options as a selection', () => {
  it('needs a stage with its selector, or --failed', () => {
    expect(() => retrySelection('sdoss', {}, stages)).toThrow(
      /say what to retry: --stage run\|ingest\|upload with its selector, or --failed/,
    );
    expect(() => retrySelection('sdoss', { stage: 'run' }, stages)).toThrow(/--stage run needs --obs GLOB/);
    expect(() => retrySelection('sdoss', { stage: 'ingest' }, stages)).toThrow(/--stage ingest needs --set KEY or --file PATH/);
    expect(() => retrySelection('sdoss', { stage: 'upload', obs: 'x' }, stages)).toThrow(/--obs selects observations of --stage run/);
    expect(() => retrySelection('sdoss', { stage: 'run', obs: 'x', set: 'y' }, stages)).toThrow(
      /--set selects file sets of --stage ingest/,
    );
    expect(() => retrySelection('sdoss', { stage: 'ingest', set: 'x', night: '2026-11-21' }, stages)).toThrow(
      /--night selects observations of --stage run/,
    );
    expect(() => retrySelection('sdoss', { stage: 'run', obs: 'x', night: '2026-11-31' }, stages)).toThrow(
      '--night must be a date YYYY-MM-DD that the calendar has, not "2026-11-31"',
    );
    expect(() => retrySelection('sdoss', { stage: 'run', obs: '[z-a]*' }, stages)).toThrow(
      'nocturne retry sdoss: --obs: glob "[z-a]*": the range [z-a] is backwards: write [a-z]',
    );
  });

  it('takes --since as an ISO date, or an ISO date-time with its offset, and nothing else new Date() reads', () => {
    const since = (text: string) => retrySelection('sdoss', { failed: true, since: text }, stages).since;
    for (const text of [
      'yesterday',
      '1',
      '12/01/2026',
      'Dec 1',
      '2026-02-30',
      '2026-11-21 10:00',
      '2026-11-21T10:00',
      '2026-11-21T24:00Z',
    ]) {
      expect(() => since(text), text).toThrow(
        `--since takes a date YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time with its offset, e.g. 2026-11-21T10:00:00Z or 2026-11-21T10:00+01:00; not ${JSON.stringify(text)}`,
      );
    }
    expect(since('2026-11-21T10:00Z')).toEqual(new Date('2026-11-21T10:00:00Z'));
    expect(since('2026-11-21T10:00:30.5-02:00')).toEqual(new Date('2026-11-21T12:00:30.500Z'));
  });

  it('takes every configured stage with --failed, a date as midnight UTC', () => {
    expect(retrySelection('sdoss', { failed: true, since: '2026-11-01' }, ['run', 'ingest'])).toEqual({
      pipeline: 'sdoss',
      stages: ['run', 'ingest'],
      since: new Date('2026-11-01T00:00:00Z'),
    });
    expect(retrySelection('sdoss', { stage: 'upload' }, stages)).toEqual({ pipeline: 'sdoss', stages: ['upload'] });
    expect(retrySelection('sdoss', { stage: 'run', obs: 'sdoss_2014*', since: '2026-11-01T12:00:00+01:00' }, stages)).toEqual({
      pipeline: 'sdoss',
      stages: ['run'],
      obs: 'sdoss_2014*',
      since: new Date('2026-11-01T11:00:00Z'),
    });
  });
});
