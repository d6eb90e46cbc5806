import { describe, expect, it } from 'vitest';
import { resolveRunSettings } from '../../../src/stages/run/settings.js';
import { testConfig } from './config.js';

describe('resolveRunSettings', () => {
  it('resolves paths against the configuration directory and fills in defaults', () => {
    const settings = resolveRunSettings(testConfig());
    expect(settings).toMatchObject({
      pipeline: 'sdoss',
      executor: 'local',
      inputGlob: '/data/hmi/{yyyy}/{mm}/{dd}/*.obs',
      lookbackDays: 1,
      array: undefined,
      resources: { time: '01:00:00', mem: '1G', cpus: 1 },
      outbox: '/var/lib/nocturne/outbox/sdoss',
      workDir: '/var/lib/nocturne/work/run/sdoss',
      logDir: '/var/log/nocturne/sdoss',
      csvGlob: '*.csv',
      quicklookGlob: '*.jpg',
      retries: 3,
      retryTimeout: false,
      pollIntervalMs: 10_000,
      lostAfterMs: 300_000,
      concurrency: 2,
    });
    expect(settings.command[0]).toBe('/etc/nocturne/bin/detect');
  });

  it('lets the pipeline override the executor, the outbox and the partition', () => {
    const { config, pipeline } = testConfig(
      { executor: 'slurm', outputs: { dir: 'outbox/hmi' }, slurm: { partition: 'long' }, array: { throttle: 4 } },
      { executor: { type: 'local', slurm: { partition: 'short', account: 'hfc', pollInterval: '5s', lostAfter: '2m' } } },
    );
    expect(resolveRunSettings({ config, pipeline })).toMatchObject({
      executor: 'slurm',
      outbox: '/etc/nocturne/outbox/hmi',
      resources: { partition: 'long', account: 'hfc' },
      array: { throttle: 4 },
      pollIntervalMs: 5_000,
      lostAfterMs: 120_000,
    });
  });

  it('names the pipeline file in configuration errors', () => {
    expect(() => resolveRunSettings(testConfig({ outputs: { csv: 'sub/*.csv' } }))).toThrow(
      '/etc/nocturne/pipelines/sdoss.yaml: run.outputs: output pattern "sub/*.csv" must match file names, without "/"',
    );
    const { config, pipeline } = testConfig();
    expect(() => resolveRunSettings({ config, pipeline: { ...pipeline, config: { ...pipeline.config, run: undefined } } })).toThrow(
      'pipeline "sdoss" (/etc/nocturne/pipelines/sdoss.yaml) has no run stage',
    );
  });
});
