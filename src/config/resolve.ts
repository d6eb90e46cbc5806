import path from 'node:path';
import { NocturneError } from '../core/errors.js';
import { durationMs } from './durations.js';
import type { DaemonConfig, IngestSection, PipelineConfig, RetentionConfig, SecretRef, TargetConfig } from './schema.js';
import { secretPaths } from './secret-check.js';
import { valueAt } from './schema-walk.js';
import type {
  LoadedPipeline,
  NocturneConfig,
  ResolvedDaemonConfig,
  ResolvedIngestStage,
  ResolvedPaths,
  ResolvedPipelineConfig,
  ResolvedRetention,
  ResolvedTarget,
} from './types.js';

/**
 * The validated configuration as the daemon uses it, compiled once (as graphile's and
 * Temporal's options are): every duration in milliseconds (`timeout` → `timeoutMs`), the
 * ingest stage tagged with its mode, and every relative filesystem path made absolute
 * against the configuration directory `dir` (paths, a local target's path, an FTPS `ca`,
 * secret files, a pipeline's command, input glob and directories), so nothing depends on
 * the directory the daemon was started from. The result is deep-frozen: a reload builds
 * a new one.
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
  for (const { config, file } of pipelines) byName.set(config.name, { config: compilePipeline(anchorPipeline(config, under)), file });
  return deepFreeze({ dir, daemon: compileDaemon(daemon), paths, pipelines: freezeMap(byName) });
}

/** config/nocturne.yaml's durations in milliseconds (paths are resolveConfig's business). */
export function compileDaemon(daemon: DaemonConfig): ResolvedDaemonConfig {
  const { pollInterval, lostAfter, ...slurm } = daemon.executor.slurm;
  const { heartbeat, ...host } = daemon.host;
  const { yieldBefore, ...campaigns } = daemon.campaigns;
  return {
    ...daemon,
    host: { ...host, heartbeatMs: durationMs(heartbeat) },
    targets: Object.fromEntries(Object.entries(daemon.targets).map(([name, target]) => [name, compileTarget(target)])),
    executor: { ...daemon.executor, slurm: { ...slurm, pollIntervalMs: durationMs(pollInterval), lostAfterMs: durationMs(lostAfter) } },
    shutdown: { graceMs: durationMs(daemon.shutdown.grace) },
    retention: compileRetention(daemon.retention),
    campaigns: { ...campaigns, yieldBeforeMs: durationMs(yieldBefore) },
  };
}

function compileRetention(retention: RetentionConfig): ResolvedRetention {
  const { jobs, runs, transferEvents, goneFiles, operatorActions, thumbnails, quarantine, ...rest } = retention;
  return {
    ...rest,
    jobsMs: durationMs(jobs),
    runsMs: durationMs(runs),
    transferEventsMs: durationMs(transferEvents),
    goneFilesMs: durationMs(goneFiles),
    operatorActionsMs: durationMs(operatorActions),
    thumbnailsMs: durationMs(thumbnails),
    quarantineMs: durationMs(quarantine),
  };
}

export function compileTarget(target: TargetConfig): ResolvedTarget {
  if (target.type === 'local') return { ...target };
  const { timeout, ...rest } = target;
  return { ...rest, timeoutMs: durationMs(timeout) };
}

/**
 * A pipeline's durations in milliseconds and its ingest stage tagged with its mode
 * (paths are resolveConfig's business). The cross-checks have made sure that an ingest
 * stage is in exactly one mode before a pipeline gets here.
 */
export function compilePipeline(pipeline: PipelineConfig): ResolvedPipelineConfig {
  const { run, upload, ingest, ...rest } = pipeline;
  const compiled: ResolvedPipelineConfig = { ...rest };
  if (run) {
    const { timeout, waitWarning, ...stage } = run;
    compiled.run = { ...stage, timeoutMs: durationMs(timeout), waitWarningMs: durationMs(waitWarning) };
  }
  if (upload) {
    const { timeout, ...stage } = upload;
    compiled.upload = { ...stage, timeoutMs: durationMs(timeout) };
  }
  if (ingest) compiled.ingest = compileIngest(pipeline.name, ingest);
  return compiled;
}

function compileIngest(pipeline: string, ingest: IngestSection): ResolvedIngestStage {
  const { timeout, table, columns, naturalKey, onConflict, badRows, sets, ...common } = ingest;
  const timeoutMs = durationMs(timeout);
  if (sets !== undefined) {
    const { initWait, ...declaration } = sets;
    return { ...common, timeoutMs, mode: 'sets', sets: { ...declaration, initWaitMs: durationMs(initWait) } };
  }
  if (table === undefined || columns === undefined || naturalKey === undefined) {
    throw new NocturneError('INTERNAL', `pipeline "${pipeline}": ingest has neither a complete table nor sets (not validated?)`);
  }
  return { ...common, timeoutMs, mode: 'table', table, columns, naturalKey, onConflict, badRows };
}

/** Whether compilePipeline can take this pipeline: its ingest stage, if any, is in a mode. */
export function compilable(pipeline: PipelineConfig): boolean {
  const ingest = pipeline.ingest;
  return (
    !ingest || ingest.sets !== undefined || (ingest.table !== undefined && ingest.columns !== undefined && ingest.naturalKey !== undefined)
  );
}

/**
 * A target by name. Validation checks every name a pipeline uses, so a miss means a
 * configuration that did not go through loadConfig.
 */
export function targetNamed(config: NocturneConfig, name: string): ResolvedTarget {
  const target = config.daemon.targets[name];
  if (!target) throw new NocturneError('INTERNAL', `no target named "${name}" in the configuration of ${config.dir} (not validated?)`);
  return target;
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
