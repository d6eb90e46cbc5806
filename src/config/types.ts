import type {
  DaemonConfig,
  IngestSection,
  PipelineConfig,
  RetentionConfig,
  RunStageConfig,
  SetsConfig,
  TargetConfig,
  UploadStageConfig,
} from './schema.js';

/**
 * `T` with its duration fields `K` ("90s" as written) compiled to milliseconds, each
 * renamed `<key>Ms` (timeout → timeoutMs): code never converts a duration itself.
 */
type WithMs<T, K extends keyof T & string> = Omit<T, K> & { readonly [P in K as `${P}Ms`]: number };

/** A target of config/nocturne.yaml, its operation deadline in milliseconds. */
export type ResolvedTarget =
  | WithMs<Extract<TargetConfig, { type: 'ftp' | 'ftps' }>, 'timeout'>
  | WithMs<Extract<TargetConfig, { type: 'sftp' }>, 'timeout'>
  | Extract<TargetConfig, { type: 'local' }>;

type Executor = DaemonConfig['executor'];

/** config/nocturne.yaml, resolved: targets and durations compiled, paths absolute. */
/** The retention ages in milliseconds (`jobs` → `jobsMs`). */
export type ResolvedRetention = WithMs<RetentionConfig, RetentionAge>;
export type RetentionAge = 'jobs' | 'runs' | 'transferEvents' | 'goneFiles' | 'operatorActions' | 'thumbnails' | 'quarantine';

export type ResolvedDaemonConfig = Omit<DaemonConfig, 'host' | 'targets' | 'executor' | 'shutdown' | 'retention' | 'campaigns'> & {
  host: WithMs<DaemonConfig['host'], 'heartbeat'>;
  targets: Record<string, ResolvedTarget>;
  executor: Omit<Executor, 'slurm'> & { slurm: WithMs<Executor['slurm'], 'pollInterval' | 'lostAfter'> };
  shutdown: WithMs<DaemonConfig['shutdown'], 'grace'>;
  retention: ResolvedRetention;
  campaigns: WithMs<DaemonConfig['campaigns'], 'yieldBefore'>;
};

export type ResolvedRunStage = WithMs<RunStageConfig, 'timeout' | 'waitWarning'>;
export type ResolvedUploadStage = WithMs<UploadStageConfig, 'timeout'>;

/** The sets declaration, initWait in milliseconds. */
export type ResolvedSets = WithMs<SetsConfig, 'initWait'>;

type IngestCommon = WithMs<Omit<IngestSection, 'table' | 'columns' | 'naturalKey' | 'onConflict' | 'badRows' | 'sets'>, 'timeout'>;

/** Single-CSV mode: one CSV → one table. */
export type IngestStageConfig = IngestCommon & { readonly mode: 'table' } & Required<
    Pick<IngestSection, 'table' | 'columns' | 'naturalKey' | 'onConflict' | 'badRows'>
  >;

/** Sets mode: linked init/feat/track files into the HFC catalogue. */
export type SetsIngestConfig = IngestCommon & { readonly mode: 'sets'; sets: ResolvedSets };

/** The ingest stage in its mode, which validation made sure is exactly one. */
export type ResolvedIngestStage = IngestStageConfig | SetsIngestConfig;

/** A pipeline file, resolved: each stage's durations in milliseconds, ingest tagged with its mode. */
export type ResolvedPipelineConfig = Omit<PipelineConfig, 'run' | 'upload' | 'ingest'> & {
  run?: ResolvedRunStage;
  upload?: ResolvedUploadStage;
  ingest?: ResolvedIngestStage;
};

/** Absolute directories, with the defaults below `paths.state` filled in. */
export interface ResolvedPaths {
  state: string;
  outbox: string;
  quarantine: string;
  logs: string;
  work: string;
}

export interface LoadedPipeline {
  readonly config: ResolvedPipelineConfig;
  /** The YAML file it came from, for messages that name it. */
  readonly file: string;
}

/** A whole configuration, validated completely, compiled and frozen: what the daemon swaps on reload. */
export interface NocturneConfig {
  /** Directory holding config/ and pipelines/. */
  readonly dir: string;
  readonly daemon: ResolvedDaemonConfig;
  readonly paths: ResolvedPaths;
  readonly pipelines: ReadonlyMap<string, LoadedPipeline>;
}

/** One problem found in a configuration file, located for the person who edits it. */
export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  message: string;
  /** Reported, but the configuration is still valid. */
  warning?: true;
}
