import path from 'node:path';
import { NocturneError } from '../../core/errors.js';
import { targetNamed } from '../../config/resolve.js';
import type { ResolvedTarget, ResolvedUploadStage } from '../../config/types.js';
import type { StageContext } from '../types.js';
import { checkRemoteDirTemplate, type TemplateValues } from './remote-dir.js';

/** Everything the upload stage of one pipeline needs to know, resolved once per run. */
export interface UploadSettings {
  pipeline: string;
  /** The pipeline's YAML file, for messages. */
  file: string;
  config: ResolvedUploadStage;
  target: string;
  targetConfig: ResolvedTarget;
  /** Directory the files to upload wait in. */
  outbox: string;
  /** Where rejected files go: <paths.quarantine>/<pipeline>. */
  quarantine: string;
  /** Where thumbnails are made before their upload: <paths.work>/<pipeline>/thumbnails. */
  thumbnails: string;
  values: TemplateValues;
}

export function uploadSettings(ctx: StageContext): UploadSettings {
  const { config: pipeline, file } = ctx.pipeline;
  const upload = pipeline.upload;
  if (!upload) throw new NocturneError('CONFIG_INVALID', `${file}: pipeline "${pipeline.name}" has no upload stage`);
  const targetConfig = targetNamed(ctx.config, upload.target);
  checkRemoteDirTemplate(upload.remoteDir, file);
  const { paths } = ctx.config;
  // The run stage's outbox, unless the upload names its own source.
  const outbox = upload.from ?? pipeline.run?.outputs.dir ?? path.join(paths.outbox, pipeline.name);
  return {
    pipeline: pipeline.name,
    file,
    config: upload,
    target: upload.target,
    targetConfig,
    outbox: path.resolve(ctx.config.dir, outbox),
    quarantine: path.join(paths.quarantine, pipeline.name),
    thumbnails: path.join(paths.work, pipeline.name, 'thumbnails'),
    values: { pipeline: pipeline.name, code: pipeline.code.name, version: pipeline.code.version },
  };
}
