import os from 'node:os';
import path from 'node:path';
import { NocturneError } from '../../core/errors.js';
import { targetNamed } from '../../config/resolve.js';
import type { StageRunner } from '../types.js';
import { ingestFrom } from './table/runner.js';
import { ingestSets } from './sets/run-sets.js';
import { localSource, remoteSource, type IngestSource, type RemoteStoreFactory } from './common/sources.js';

export { checkIngestTargets } from './check-targets.js';
export { installCatalogue } from './sets/catalogue.js';

export interface IngestDeps {
  /** Opens a named target of config/nocturne.yaml. @default createRemoteStore (FTP/FTPS, SFTP, local). */
  remoteStore?: RemoteStoreFactory;
}

/**
 * Stage "ingest": loads the CSVs of a local directory or of a target's remote
 * directory, each file exactly once: into the pipeline's table (single-CSV mode, see
 * table/runner.ts and table/load-file.ts), or as linked file sets into the HFC catalogue (sets
 * mode, see sets/run-sets.ts).
 */
export function createIngestStage(deps: IngestDeps = {}): StageRunner {
  return async (ctx) => {
    const stage = ctx.pipeline.config.ingest;
    // executeStage runs a stage only for a pipeline that has it.
    if (!stage) throw new NocturneError('INTERNAL', `${ctx.pipeline.file}: the ingest stage run for a pipeline without one`);
    const { source: where } = stage;
    let source: IngestSource;
    if (!('target' in where)) source = localSource(where.dir, stage, [ctx.config.paths.quarantine, ctx.config.paths.work]);
    else {
      const target = targetNamed(ctx.config, where.target);
      const workDir = path.join(ctx.config.paths.work, 'ingest', ctx.pipeline.config.name);
      const open = deps.remoteStore ?? (await defaultRemoteStore());
      source = remoteSource(open(where.target, target), where.dir, stage, workDir);
    }
    const host = ctx.config.daemon.host.name ?? os.hostname();
    try {
      if (stage.mode === 'sets') return await ingestSets(ctx, stage, source, host);
      return await ingestFrom(ctx, stage, source, host);
    } finally {
      await source.close();
    }
  };
}

// Loaded on first use: a host that only ingests local files never loads ssh2 or basic-ftp.
async function defaultRemoteStore(): Promise<RemoteStoreFactory> {
  return (await import('../../adapters/transfer/create-remote-store.js')).createRemoteStore;
}

export const ingestStage: StageRunner = createIngestStage();
