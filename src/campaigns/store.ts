import os from 'node:os';
import { NocturneError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import { pidNamespace, processAlive } from '../runs/holder.js';
import { campaignView, type CampaignView } from './describe.js';

export const CAMPAIGN_STATES = ['running', 'paused', 'cancelled', 'done', 'failed'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export interface NewCampaign {
  pipeline: string;
  from: string;
  to: string;
  stages: string[];
  batchNights: number;
  maxRunning: number;
  nice: number;
  qos: string | null;
  codeVersion: string;
  createdBy: string;
}

export interface Campaign extends NewCampaign {
  id: number;
  state: CampaignState;
  /** First night not yet wholly processed. */
  nextNight: string;
  createdAt: Date;
  holderHost: string | null;
  /** The driver's pid namespace (runs/holder.ts): where its pid can be checked. */
  holderNs: string | null;
  holderPid: number | null;
  heartbeatAt: Date | null;
  error: string | null;
}

/** Observations of a campaign by state, and its nights done. */
export interface CampaignProgress {
  nights: number;
  nightsDone: number;
  observations: Record<'pending' | 'active' | 'done' | 'failed', number>;
}

/** The ledger name under which a campaign's observations and jobs are recorded: no pipeline can have it. */
export function campaignLedger(pipeline: string, id: number): string {
  return `${pipeline}.c${id}`;
}

// A driver that has not written its heartbeat for this long is gone: another takes over.
export const STALE_SECONDS = 30;

const COLUMNS = `id::int AS id, pipeline, to_char(night_from, 'YYYY-MM-DD') AS "from", to_char(night_to, 'YYYY-MM-DD') AS "to",
  stages, state, to_char(next_night, 'YYYY-MM-DD') AS "nextNight", batch_nights AS "batchNights", max_running AS "maxRunning",
  nice, qos, code_version AS "codeVersion", created_by AS "createdBy", created_at AS "createdAt", holder_host AS "holderHost",
  holder_ns AS "holderNs", holder_pid AS "holderPid", heartbeat_at AS "heartbeatAt", error`;

const DAY_MS = 86_400_000;

// This process holds the campaign (parameters $2 host, $3 pid).
const HELD = 'holder_host = $2 AND holder_pid = $3';

/** A driver that finds another holding its campaign: it stops, recording nothing more. */
export function takenOver(id: number): NocturneError {
  return new NocturneError(
    'CAMPAIGN_HELD',
    `campaign ${id}: another driver took it over (this process was frozen or cut off for more than ${STALE_SECONDS} s): ` +
      `this one stopped and recorded nothing more; \`nocturne backfill status ${id}\` shows who drives it`,
  );
}

/** Nights from `from` to `to`, both included. */
export function nightsBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

export function addNights(night: string, n: number): string {
  return new Date(Date.parse(`${night}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** The campaigns table: what a campaign is, who drives it, how far it got. */
export class CampaignStore {
  constructor(readonly db: Db) {}

  async create(c: NewCampaign): Promise<Campaign> {
    return inDatabase(`${c.pipeline}: recording a campaign`, () =>
      this.db.one<Campaign>(
        `INSERT INTO campaigns (pipeline, night_from, night_to, stages, next_night, batch_nights, max_running, nice, qos, code_version, created_by)
         VALUES ($1, $2, $3, $4, $2, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
        [c.pipeline, c.from, c.to, c.stages, c.batchNights, c.maxRunning, c.nice, c.qos, c.codeVersion, c.createdBy],
      ),
    );
  }

  async get(id: number): Promise<Campaign> {
    const row = await inDatabase(`reading campaign ${id}`, () =>
      this.db.oneOrNone<Campaign>(`SELECT ${COLUMNS} FROM campaigns WHERE id = $1`, [id]),
    );
    if (!row) throw new NocturneError('CAMPAIGN_INVALID', `campaign ${id} does not exist: \`nocturne backfill status\` lists them`);
    return row;
  }

  async list(options: { open?: boolean } = {}): Promise<Campaign[]> {
    return inDatabase('listing campaigns', () =>
      this.db.any<Campaign>(
        `SELECT ${COLUMNS} FROM campaigns ${options.open ? "WHERE state IN ('running', 'paused')" : ''} ORDER BY id DESC LIMIT 100`,
      ),
    );
  }

  /**
   * Moves a campaign from one of `from` to `to`; returns it, or throws CAMPAIGN_INVALID
   * naming its state when it is in none of them (resuming a cancelled campaign, ...).
   */
  async transition(id: number, from: readonly CampaignState[], to: CampaignState, error: string | null = null): Promise<Campaign> {
    const row = await inDatabase(`campaign ${id}: setting it ${to}`, () =>
      this.db.oneOrNone<Campaign>(
        `UPDATE campaigns SET state = $3, error = coalesce($4, error), updated_at = now() WHERE id = $1 AND state = ANY($2::text[]) RETURNING ${COLUMNS}`,
        [id, from, to, error],
      ),
    );
    if (row) return row;
    const now = await this.get(id);
    throw new NocturneError(
      'CAMPAIGN_INVALID',
      `campaign ${id} is ${now.state}: it cannot become ${to} (only a campaign ${from.join(' or ')} can)`,
    );
  }

  /**
   * Makes this process the campaign's driver: when nobody drives it, its driver's
   * heartbeat is stale, or its driver is a process of this pid namespace that is gone.
   * Throws CAMPAIGN_HELD naming the live driver otherwise.
   */
  async claim(id: number): Promise<Campaign> {
    const current = await this.get(id);
    const ns = pidNamespace();
    const gone = current.holderPid !== null && ns !== null && current.holderNs === ns && !processAlive(current.holderPid);
    const row = await inDatabase(`campaign ${id}: taking it`, () =>
      this.db.oneOrNone<Campaign>(
        `UPDATE campaigns SET holder_host = $2, holder_ns = $3, holder_pid = $4, heartbeat_at = now()
          WHERE id = $1 AND (holder_pid IS NULL OR $5 OR heartbeat_at < now() - make_interval(secs => $6)
                 OR (holder_ns IS NOT DISTINCT FROM $3 AND holder_pid = $4))
          RETURNING ${COLUMNS}`,
        [id, os.hostname(), ns, process.pid, gone, STALE_SECONDS],
      ),
    );
    if (row) return row;
    throw new NocturneError(
      'CAMPAIGN_HELD',
      `campaign ${id} is driven by pid ${current.holderPid} on ${current.holderHost} (heartbeat ${current.heartbeatAt?.toISOString()}): ` +
        `stop that process, or wait ${STALE_SECONDS} s after it died`,
      { retryable: true },
    );
  }

  /**
   * The driver is alive; returns the campaign's state, which a person may have changed, or
   * null when another process holds it (this one was frozen or cut off for longer than
   * STALE_SECONDS and was replaced): this one must then stop and record nothing more.
   */
  async heartbeat(id: number): Promise<CampaignState | null> {
    const row = await inDatabase(`campaign ${id}: heartbeat`, () =>
      this.db.oneOrNone<{ state: CampaignState }>(`UPDATE campaigns SET heartbeat_at = now() WHERE id = $1 AND ${HELD} RETURNING state`, [
        id,
        os.hostname(),
        process.pid,
      ]),
    );
    return row?.state ?? null;
  }

  async release(id: number): Promise<void> {
    await inDatabase(`campaign ${id}: releasing it`, () =>
      this.db.none(`UPDATE campaigns SET holder_host = NULL, holder_ns = NULL, holder_pid = NULL WHERE id = $1 AND ${HELD}`, [
        id,
        os.hostname(),
        process.pid,
      ]),
    );
  }

  /**
   * A batch is wholly processed: the next starts after it (the last one: the campaign is
   * done). Throws CAMPAIGN_HELD when another process holds the campaign: it records that.
   */
  async advance(id: number, next: string, done: boolean): Promise<void> {
    const row = await inDatabase(`campaign ${id}: recording a batch done`, () =>
      this.db.oneOrNone<{ id: number }>(
        `UPDATE campaigns SET next_night = $4, state = CASE WHEN $5 AND state = 'running' THEN 'done' ELSE state END, updated_at = now()
          WHERE id = $1 AND ${HELD} RETURNING id`,
        [id, os.hostname(), process.pid, next, done],
      ),
    );
    if (!row) throw takenOver(id);
  }

  /** Campaigns (open ones, or all recent ones) with their progress, newest first. */
  async views(options: { open?: boolean } = {}): Promise<CampaignView[]> {
    const list = await this.list(options);
    return Promise.all(list.map(async (c) => campaignView(c, await this.progress(c))));
  }

  async progress(c: Campaign): Promise<CampaignProgress> {
    const rows = await inDatabase(`campaign ${c.id}: counting its observations`, () =>
      this.db.any<{ state: keyof CampaignProgress['observations']; n: number }>(
        'SELECT state, count(*)::int AS n FROM observations WHERE pipeline = $1 GROUP BY state',
        [campaignLedger(c.pipeline, c.id)],
      ),
    );
    const observations = { pending: 0, active: 0, done: 0, failed: 0 };
    for (const r of rows) observations[r.state] = r.n;
    const nights = nightsBetween(c.from, c.to);
    return { nights, nightsDone: Math.min(nights, nightsBetween(c.from, c.nextNight) - 1), observations };
  }
}
