import path from 'node:path';
import type { DaemonConfig, PipelineConfig, SecretRef } from './schema.js';
import { secretPaths } from './secret-check.js';
import { valueAt } from './schema-walk.js';
import type { LoadedPipeline, NocturneConfig, ResolvedPaths } from './types.js';

/**
 * The validated configuration as the daemon uses it. Every relative filesystem path is
 * relative to the configuration directory `dir` and made absolute here (paths, a local
 * target's path, an FTPS `ca`, secret files, a pipeline's command, input glob and
 * directories), so nothing depends on the directory the daemon was started from.
 * The result is deep-frozen: a reload builds a new one.
 */
export function resolveConfig(
  dir: string,
  daemonConfig: DaemonConfig,
  pipelines: readonly { config: PipelineConfig; file: string }[],
): NocturneConfig {
  const under = (p: string) => path.resolve(dir, p);
  const daemon = structuredClone(daemonConfig);

  const state = under(daemon.paths.state);
  const paths: ResolvedPaths = {
    state,
    outbox: under(daemon.paths.outbox ?? path.join(state, 'outbox')),
    quarantine: under(daemon.paths.quarantine ?? path.join(state, 'quarantine')),
    logs: under(daemon.paths.logs ?? path.join(state, 'logs')),
    work: under(daemon.paths.work ?? path.join(state, 'work')),
  };
  daemon.paths = { ...paths };

  for (const target of Object.values(daemon.targets)) {
    if (target.type === 'local') target.path = under(target.path);
    else if (target.type !== 'sftp' && target.ca !== undefined) target.ca = under(target.ca);
  }
  for (const at of secretPaths(daemon)) {
    const ref = valueAt(daemon, at) as SecretRef;
    if ('file' in ref) ref.file = under(ref.file);
  }

  const byName = new Map<string, LoadedPipeline>();
  for (const { config, file } of pipelines) byName.set(config.name, { config: anchorPipeline(config, under), file });
  return deepFreeze({ dir, daemon, paths, pipelines: freezeMap(byName) });
}

function anchorPipeline(original: PipelineConfig, under: (p: string) => string): PipelineConfig {
  const pipeline = structuredClone(original);
  const { run, upload, ingest } = pipeline;
  if (run) {
    const [program, ...args] = run.command;
    if (program !== undefined) run.command = [under(program), ...args];
    run.inputs.glob = under(run.inputs.glob);
    if (run.outputs.dir !== undefined) run.outputs.dir = under(run.outputs.dir);
  }
  if (upload?.from !== undefined) upload.from = under(upload.from);
  if (ingest && !('target' in ingest.source)) ingest.source = { dir: under(ingest.source.dir) };
  return pipeline;
}

/** A Map whose mutators throw, like a frozen object's assignments in strict mode. */
function freezeMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  for (const method of ['set', 'delete', 'clear'] as const) {
    Object.defineProperty(map, method, {
      value: () => {
        throw new TypeError(`the configuration is frozen: Map.${method}() refused`);
      },
    });
  }
  return map;
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  const children = value instanceof Map ? [...value.values()] : Object.values(value);
  Object.freeze(value);
  for (const child of children) deepFreeze(child);
  return value;
}
