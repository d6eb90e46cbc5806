import { connectionsOf, createRemoteStore } from '../../adapters/transfer/create-remote-store.js';
import { nightZone } from '../nights.js';
import type { StageRunner } from '../types.js';
import { createLocalFiles } from './local-files.js';
import { createPgTransferLedger } from './pg-transfer-ledger.js';
import { sharpQuicklooks } from './prepare.js';
import { uploadOutbox } from './upload-outbox.js';
import { uploadSettings } from './upload-settings.js';

/** Stage "upload": the outbox to the archive target, each local copy deleted only once verified. */
export const uploadStage: StageRunner = async (ctx) => {
  const { target, targetConfig, config } = uploadSettings(ctx);
  const naming = { nightZone: nightZone(ctx.pipeline.config, config.timezone), publicUrl: targetConfig.publicUrl };
  return uploadOutbox(ctx, {
    store: createRemoteStore(target, targetConfig),
    ledger: createPgTransferLedger(ctx.db, ctx.runId, naming),
    files: createLocalFiles(),
    quicklooks: sharpQuicklooks,
    connections: connectionsOf(targetConfig),
  });
};
