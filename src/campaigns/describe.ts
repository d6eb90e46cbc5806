import type { CampaignProgress, Campaign } from './store.js';

/** A campaign and its progress as `backfill status`, `status` and /api/campaigns show it. */
export interface CampaignView {
  id: number;
  pipeline: string;
  from: string;
  to: string;
  stages: string[];
  state: string;
  codeVersion: string;
  maxRunning: number;
  nice: number;
  qos: string | null;
  createdBy: string;
  createdAt: string;
  nights: number;
  nightsDone: number;
  observations: CampaignProgress['observations'];
  /** The process driving it, while one does. */
  driver: { host: string; pid: number; heartbeatAt: string | null } | null;
  error: string | null;
}

export function campaignView(c: Campaign, p: CampaignProgress): CampaignView {
  return {
    id: c.id,
    pipeline: c.pipeline,
    from: c.from,
    to: c.to,
    stages: c.stages,
    state: c.state,
    codeVersion: c.codeVersion,
    maxRunning: c.maxRunning,
    nice: c.nice,
    qos: c.qos,
    createdBy: c.createdBy,
    createdAt: c.createdAt.toISOString(),
    nights: p.nights,
    nightsDone: p.nightsDone,
    observations: p.observations,
    driver:
      c.holderPid === null ? null : { host: c.holderHost ?? '?', pid: c.holderPid, heartbeatAt: c.heartbeatAt?.toISOString() ?? null },
    error: c.error,
  };
}

/** "campaign 3 sdoss 2025-01-01..2025-12-31 running: 120/365 nights, 2400 done, 3 failed, 8 in SLURM (v1.0.6, pid 4242 on vm)" */
export function campaignLine(v: CampaignView): string {
  const o = v.observations;
  const driver = v.driver
    ? `, driven by pid ${v.driver.pid} on ${v.driver.host}`
    : v.state === 'running'
      ? ', no driver: `nocturne backfill resume` or the daemon takes it'
      : '';
  const error = v.error ? `: ${v.error}` : '';
  return (
    `campaign ${v.id} ${v.pipeline} ${v.from}..${v.to} [${v.stages.join(',')}] ${v.state}${error}: ` +
    `${v.nightsDone}/${v.nights} nights, ${o.done} done, ${o.failed} failed, ${o.active} in SLURM, ${o.pending} waiting ` +
    `(code ${v.codeVersion}, max ${v.maxRunning} running, nice ${v.nice}${v.qos ? `, qos ${v.qos}` : ''}${driver})`
  );
}
