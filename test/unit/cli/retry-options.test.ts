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
    expect(() => retrySelection('sdoss', { failed: true, since: 'yesterday' }, stages)).toThrow(/--since must be a date/);
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
