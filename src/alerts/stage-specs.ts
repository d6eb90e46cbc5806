import path from 'node:path';
import { STAGES, type StageName } from '../config/schema.js';
import type { NocturneConfig } from '../config/types.js';

/** A configured stage, as alerting judges it. */
export interface StageSpec {
  pipeline: string;
  stage: StageName;
  schedule: string;
  timezone: string;
  /** Whether this host schedules it (host.stages). */
  here: boolean;
  /** The target the stage talks to: upload.target, or ingest.source.target. */
  target: string | null;
}

/** Every stage of every pipeline of the configuration, whether this host runs it or not. */
export function stageSpecs(config: NocturneConfig): StageSpec[] {
  const specs: StageSpec[] = [];
  for (const [pipeline, { config: p }] of config.pipelines) {
    for (const stage of STAGES) {
      const s = p[stage];
      if (!s) continue;
      const target = stage === 'upload' ? (p.upload?.target ?? null) : stage === 'ingest' ? targetOf(p.ingest?.source) : null;
      specs.push({ pipeline, stage, schedule: s.schedule, timezone: s.timezone, here: config.daemon.host.stages.includes(stage), target });
    }
  }
  return specs;
}

function targetOf(source: { target: string } | { dir: string } | undefined): string | null {
  return source && 'target' in source ? source.target : null;
}

/** "pipeline/stage" of the stages this host schedules (hosts.schedules). */
export function scheduledHere(config: NocturneConfig): string[] {
  return stageSpecs(config)
    .filter((s) => s.here)
    .map((s) => `${s.pipeline}/${s.stage}`);
}

/** The directories whose disk this host watches: the state directory and the outboxes of its pipelines. */
export function watchedDirs(config: NocturneConfig): { path: string; pipeline: string | null }[] {
  const dirs: { path: string; pipeline: string | null }[] = [{ path: config.paths.state, pipeline: null }];
  for (const [name, { config: p }] of config.pipelines) {
    const outboxes = new Set<string>();
    if (p.run) outboxes.add(p.run.outputs.dir ?? path.join(config.paths.outbox, name));
    if (p.upload) outboxes.add(path.resolve(config.dir, p.upload.from ?? p.run?.outputs.dir ?? path.join(config.paths.outbox, name)));
    for (const dir of outboxes) dirs.push({ path: dir, pipeline: name });
  }
  return dirs;
}
