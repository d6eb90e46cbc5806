import path from 'node:path';
import type { NocturneConfig } from '../../config/types.js';
import type { Db } from '../../db/database.js';
import { nightRuns } from './nights.js';

export interface Quicklook {
  pipeline: string;
  /** The quicklook's file name (its thumbnail is made from it). */
  name: string;
  remotePath: string;
  state: string;
  runId: number | null;
  thumbnail: string;
}

export interface QuicklookGallery {
  night: string;
  pipelines: { pipeline: string; quicklooks: Quicklook[] }[];
}

const LIMIT_PER_PIPELINE = 500;

/**
 * The quicklooks the upload runs of one night archived, per pipeline: /quicklooks and
 * /api/quicklooks. A pipeline whose upload makes thumbnails shows those; another shows
 * its JPEG outputs, which the monitor shrinks itself (thumbnails.ts).
 */
export async function quicklooks(config: NocturneConfig, db: Db, night: string, only?: string): Promise<QuicklookGallery> {
  const pipelines = [...config.pipelines.keys()].filter((p) => only === undefined || p === only);
  const runIds = (await nightRuns(config, db, night, pipelines)).filter((r) => r.stage === 'upload').map((r) => r.id);
  const rows = await db.any<{
    id: string;
    pipeline: string;
    kind: string;
    local_path: string;
    remote_path: string;
    state: string;
    run_id: string | null;
  }>(
    `SELECT x.id, x.pipeline, x.kind, x.local_path, x.remote_path, x.state, x.run_id FROM transfers x
      WHERE x.run_id = ANY($1::bigint[]) AND x.state NOT IN ('missing', 'quarantined')
        AND (x.kind = 'thumbnail' OR x.remote_path ~* '\\.jpe?g$')
      ORDER BY x.pipeline, x.local_path LIMIT ${LIMIT_PER_PIPELINE * Math.max(pipelines.length, 1)}`,
    [runIds],
  );
  return {
    night,
    pipelines: pipelines.map((pipeline) => ({
      pipeline,
      quicklooks: rows
        .filter(
          (r, _, all) =>
            r.pipeline === pipeline && (r.kind === 'thumbnail' || !all.some((o) => o.pipeline === pipeline && o.kind === 'thumbnail')),
        )
        .map((r) => ({
          pipeline,
          name: path.basename(r.local_path).replace(/\.thumb(\.jpe?g)$/i, '$1'),
          remotePath: r.remote_path,
          state: r.state,
          runId: r.run_id === null ? null : Number(r.run_id),
          thumbnail: `/api/thumbnails/${r.id}`,
        })),
    })),
  };
}
