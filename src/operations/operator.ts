import os from 'node:os';
import type { Db } from '../db/database.js';

/**
 * Who asked, as "<user>@<host>": the sudo user when the command runs through sudo, so
 * the history names the person rather than root or the service account.
 */
export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  const user = env['SUDO_USER'] || env['LOGNAME'] || env['USER'] || safeUsername();
  return `${user}@${os.hostname()}`;
}

function safeUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid${process.getuid?.() ?? '?'}`;
  }
}

export type OperatorAction = 'pause' | 'resume' | 'retry';

export interface ActionRecord {
  action: OperatorAction;
  pipeline: string;
  stage: string;
  askedBy: string;
  details: Record<string, unknown>;
}

/** Writes one row of operator_actions and returns its id; `db` may be a transaction. */
export async function recordAction(db: Pick<Db, 'one'>, record: ActionRecord): Promise<number> {
  const row = await db.one<{ id: string }>(
    `INSERT INTO operator_actions (action, pipeline, stage, asked_by, details) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [record.action, record.pipeline, record.stage, record.askedBy, record.details],
  );
  return Number(row.id);
}

/** A row of operator_actions, as `nocturne history` shows it. */
export interface ActionRow {
  id: number;
  action: OperatorAction;
  pipeline: string;
  stage: string;
  askedBy: string;
  askedAt: Date;
  details: Record<string, unknown>;
  runId: number | null;
}

export async function listActions(db: Db, filter: { pipeline?: string; limit: number }): Promise<ActionRow[]> {
  return db.map(
    `SELECT * FROM operator_actions WHERE ($1::text IS NULL OR pipeline = $1) ORDER BY asked_at DESC, id DESC LIMIT $2`,
    [filter.pipeline ?? null, filter.limit],
    (r: {
      id: string;
      action: OperatorAction;
      pipeline: string;
      stage: string;
      asked_by: string;
      asked_at: Date;
      details: Record<string, unknown>;
      run_id: string | null;
    }) => ({
      id: Number(r.id),
      action: r.action,
      pipeline: r.pipeline,
      stage: r.stage,
      askedBy: r.asked_by,
      askedAt: r.asked_at,
      details: r.details,
      runId: r.run_id === null ? null : Number(r.run_id),
    }),
  );
}
