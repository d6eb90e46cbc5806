import type { DaemonConfig, PipelineConfig } from './schema.js';

/** Absolute directories, with the defaults below `paths.state` filled in. */
export interface ResolvedPaths {
  state: string;
  outbox: string;
  quarantine: string;
  logs: string;
  work: string;
}

export interface LoadedPipeline {
  readonly config: PipelineConfig;
  /** The YAML file it came from, for messages that name it. */
  readonly file: string;
}

/** A whole configuration, validated completely and frozen: what the daemon swaps on reload. */
export interface NocturneConfig {
  /** Directory holding config/ and pipelines/. */
  readonly dir: string;
  readonly daemon: DaemonConfig;
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
