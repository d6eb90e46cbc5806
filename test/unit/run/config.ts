/** A configuration built in memory, for unit tests of the run stage. */
import { compileDaemon, compilePipeline } from '../../../src/config/resolve.js';
import { daemonConfigSchema, pipelineSchema } from '../../../src/config/schema.js';
import type { LoadedPipeline, NocturneConfig } from '../../../src/config/types.js';

export function testConfig(
  run: Record<string, unknown> = {},
  daemon: Record<string, unknown> = {},
): { config: NocturneConfig; pipeline: LoadedPipeline } {
  const pipeline: LoadedPipeline = {
    file: '/etc/nocturne/pipelines/sdoss.yaml',
    config: compilePipeline(
      pipelineSchema.parse({
        name: 'sdoss',
        code: { name: 'sdoss', version: '1.06' },
        run: {
          schedule: '0 2 * * *',
          command: ['bin/detect', '--input', '{input}', '--obs={obs}', '--night', '{date}', '--outdir', '{outdir}', '{other}'],
          inputs: { glob: '/data/hmi/{yyyy}/{mm}/{dd}/*.obs', lookbackDays: 1 },
          ...run,
        },
      }),
    ),
  };
  const config: NocturneConfig = {
    dir: '/etc/nocturne',
    daemon: compileDaemon(daemonConfigSchema.parse({ database: { url: 'postgres://db/nocturne' }, ...daemon })),
    paths: {
      state: '/var/lib/nocturne',
      outbox: '/var/lib/nocturne/outbox',
      quarantine: '/q',
      logs: '/var/log/nocturne',
      work: '/var/lib/nocturne/work',
    },
    pipelines: new Map([['sdoss', pipeline]]),
  };
  return { config, pipeline };
}
