import type { StageName } from '../config/schema.js';
import { printable } from '../core/printable.js';
import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import { recordAction } from './operator.js';

/** A paused stage of a pipeline: no host starts a run of it until it is resumed. */
export interface Pause {
  pipeline: string;
  stage: StageName;
  reason: string;
  pausedBy: string;
  pausedAt: Date;
}

interface PauseRow {
  pipeline: string;
  stage: StageName;
  reason: string;
  paused_by: string;
  paused_at: Date;
}

const toPause = (r: PauseRow): Pause => ({
  pipeline: r.pipeline,
  stage: r.stage,
  reason: r.reason,
  pausedBy: r.paused_by,
  pausedAt: r.paused_at,
});

/** `pipeline/stage` → its pause, as the daemon's scheduler and `status` read them. */
export type PauseMap = ReadonlyMap<string, Pause>;

const pauseKey = (pipeline: string, stage: string): string => `${pipeline}/${stage}`;

async function listPauses(db: Db): Promise<Pause[]> {
  return inDatabase('pauses: listing paused stages', () => db.map<Pause>('SELECT * FROM pauses ORDER BY pipeline, stage', [], toPause));
}

export async function pauseMap(db: Db): Promise<PauseMap> {
  return new Map((await listPauses(db)).map((p) => [pauseKey(p.pipeline, p.stage), p]));
}

/** The pause of one stage, or null: what a run checks just before it begins. */
export async function findPause(db: Db, pipeline: string, stage: StageName): Promise<Pause | null> {
  return inDatabase(`pauses: looking up ${pipeline}/${stage}`, async () =>
    db.oneOrNone<Pause | null>('SELECT * FROM pauses WHERE pipeline = $1 AND stage = $2', [pipeline, stage], (r: PauseRow | null) =>
      r ? toPause(r) : null,
    ),
  );
}

export interface PauseRequest {
  pipeline: string;
  /** Omitted: every stage of the pipeline. */
  stage?: StageName;
  reason: string;
  by: string;
}

export interface PauseAllRequest extends PauseRequest {
  /** The stages the pipeline has: all are paused when `stage` is omitted, and no other. */
  stages: readonly StageName[];
}

/**
 * Pauses stages and records who asked, in one transaction. A stage already paused keeps
 * its first pause time but takes the new reason and name: the latest word on it.
 */
export async function pauseStages(db: Db, req: PauseAllRequest): Promise<Pause[]> {
  const stages = req.stage ? [req.stage] : [...req.stages];
  return inDatabase(`pauses: pausing ${req.pipeline}${req.stage ? `/${req.stage}` : ''}`, () =>
    db.tx('pause', async (tx) => {
      await recordAction(tx, {
        action: 'pause',
        pipeline: req.pipeline,
        stage: req.stage ?? '',
        askedBy: req.by,
        details: { reason: req.reason },
      });
      return tx.map<Pause>(
        `INSERT INTO pauses (pipeline, stage, reason, paused_by)
         SELECT $1, s, $3, $4 FROM unnest($2::text[]) AS s
         ON CONFLICT (pipeline, stage) DO UPDATE SET reason = EXCLUDED.reason, paused_by = EXCLUDED.paused_by
         RETURNING *`,
        [req.pipeline, stages, req.reason, req.by],
        toPause,
      );
    }),
  );
}

/** Lifts the pauses of a pipeline (or of one stage) and records who asked; returns those lifted. */
export async function resumeStages(db: Db, req: Omit<PauseRequest, 'reason'>): Promise<Pause[]> {
  return inDatabase(`pauses: resuming ${req.pipeline}${req.stage ? `/${req.stage}` : ''}`, () =>
    db.tx('resume', async (tx) => {
      const lifted = await tx.map<Pause>(
        `DELETE FROM pauses WHERE pipeline = $1 AND ($2::text IS NULL OR stage = $2) RETURNING *`,
        [req.pipeline, req.stage ?? null],
        toPause,
      );
      // Nothing to resume is nothing done: the history stays for what changed.
      if (lifted.length === 0) return lifted;
      await recordAction(tx, {
        action: 'resume',
        pipeline: req.pipeline,
        stage: req.stage ?? '',
        askedBy: req.by,
        details: {
          lifted: lifted.map((p) => ({ stage: p.stage, pausedBy: p.pausedBy, pausedAt: p.pausedAt.toISOString(), reason: p.reason })),
        },
      });
      return lifted;
    }),
  );
}

/**
 * "paused by ops@hal since 2026-11-24T18:02:11Z: telescope maintenance", its reason and
 * name printable whatever the database holds (core/printable.ts).
 */
export function pauseText(p: Pick<Pause, 'reason' | 'pausedBy' | 'pausedAt'>): string {
  return `paused by ${printable(p.pausedBy)} since ${p.pausedAt.toISOString().slice(0, 19)}Z${p.reason ? `: ${printable(p.reason)}` : ''}`;
}
