/**
 * The faults of the night, planned from the seed and then played one after another
 * while the daemon works: SIGKILLs at random instants, vsftpd and sshd stopped and
 * started, PostgreSQL restarted, the SLURM node drained and resumed, and a reload with
 * a broken pipeline file, refused, then fixed.
 */
import { writeFile } from 'node:fs/promises';
import { setSlurmNode, startService, stopService } from '../../harness/rig.js';
import type { Prng } from './prng.js';
import type { Supervisor } from './supervisor.js';
import { RUN_TIMEOUT_MS, type NightPipeline } from './world.js';

type Service = 'vsftpd' | 'sshd' | 'postgres' | 'slurm-node';

/** A kill's `afterMs` counts from the current daemon's "ready"; the others' from the step before. */
export type FaultStep =
  | { kind: 'kill'; afterMs: number }
  | { kind: 'outage'; service: Service; afterMs: number; downMs: number; killAtMs: number | null }
  | { kind: 'reload'; afterMs: number };

export interface Outage {
  service: Service;
  from: Date;
  to: Date;
  /** What the night's progress said just before the service went down: null if it was not done yet. */
  nightDoneAt: string | null;
}

export interface ReloadReport {
  /** The refusal's issues, as logged by the daemon: its problems and its warnings. */
  issues: { file: string; line: number; col: number; message: string; warning?: true }[];
  /** A stage of the pipeline started after the refusal: the old configuration went on. */
  keptRunning: boolean;
  /** The fixed file was taken. */
  applied: boolean;
  /** What went otherwise than expected. */
  problems: string[];
}

export interface ChaosReport {
  steps: FaultStep[];
  outages: Outage[];
  reload: ReloadReport | null;
}

export const MIN_KILLS = 20;
/** Kills that must find a stage run in flight, for the kills to prove anything. */
export const MIN_KILLS_MID_STAGE = 10;

/**
 * 20 to 24 kills, 4 outages (the drained node's longer than the run stage's timeout) and
 * a reload, in a seeded order. A kill's delay counts from
 * the "ready" of the daemon it kills, long enough for the 2 s schedules to have started
 * stages. The outages and the reload come among the first dozen steps, well before the
 * night (about 100 s) can be over.
 */
export function planFaults(prng: Prng): FaultStep[] {
  const kills: FaultStep[] = Array.from({ length: prng.int(MIN_KILLS, MIN_KILLS + 4) }, () => ({
    kind: 'kill',
    afterMs: Math.round(prng.between(1_500, 4_000)),
  }));
  const outage = (service: Service, min: number, max: number, kill = true): FaultStep => {
    const downMs = Math.round(prng.between(min, max));
    const killAtMs = kill && prng.next() < 0.5 ? Math.round(downMs * prng.next()) : null;
    return { kind: 'outage', service, afterMs: Math.round(prng.between(500, 3_000)), downMs, killAtMs };
  };
  const others = prng.shuffle<FaultStep>([
    outage('vsftpd', 2_000, 5_000),
    outage('sshd', 2_000, 5_000),
    outage('postgres', 1_000, 3_000),
    // Longer than the run stage's timeout, so that a run times out while its tasks cannot
    // start; no kill meanwhile, which would start the run's timeout anew.
    outage('slurm-node', RUN_TIMEOUT_MS + 3_000, RUN_TIMEOUT_MS + 6_000, false),
    { kind: 'reload', afterMs: Math.round(prng.between(500, 2_000)) },
  ]);
  const steps = [...kills];
  for (const step of others) steps.splice(prng.int(2, 8), 0, step);
  return steps;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function down(service: Service): Promise<void> {
  if (service === 'slurm-node') await setSlurmNode('drain', 'faults');
  else await stopService(service);
}

async function up(service: Service): Promise<void> {
  if (service === 'slurm-node') await setSlurmNode('resume');
  else await startService(service);
}

/**
 * Breaks the pipeline file (an unknown key), sends SIGHUP and expects a located refusal
 * while the old configuration keeps running; then writes the file back and reloads.
 */
async function brokenReload(s: Supervisor, p: NightPipeline): Promise<ReloadReport> {
  await s.ready(30_000);
  const daemon = s.current;
  const report: ReloadReport = { issues: [], keptRunning: false, applied: false, problems: [] };
  const problem = (err: unknown) => report.problems.push(err instanceof Error ? err.message : String(err));
  const broken = p.yaml.replace(/^upload:\n {2}schedule:/m, 'upload:\n  schedul:');
  if (broken === p.yaml) throw new Error(`cannot break ${p.file}: no upload.schedule line`);
  await writeFile(p.file, broken);
  try {
    let from = daemon.lines.length;
    daemon.kill('SIGHUP');
    const refused = await daemon.waitFor((l) => l.msg.startsWith('reload refused'), 15_000, 'the refused reload', from);
    report.issues = (refused['issues'] as ReloadReport['issues'] | undefined) ?? [];
    from = daemon.lines.length;
    await daemon
      .waitFor((l) => l.msg === 'stage started' && l['pipeline'] === p.name, 15_000, `a stage of ${p.name} after the refusal`, from)
      .then(() => (report.keptRunning = true), problem);
  } finally {
    await writeFile(p.file, p.yaml);
  }
  const from = daemon.lines.length;
  daemon.kill('SIGHUP');
  await daemon
    .waitFor((l) => l.msg === 'configuration reloaded', 15_000, 'the fixed reload', from)
    .then(() => (report.applied = true), problem);
  return report;
}

/** The night's progress, as the suite reads it from the state database. */
export type NightProbe = () => Promise<{ done: boolean; line: string }>;

/** Plays the steps in order; `reloadPipeline` is the one whose file the reload breaks. */
export async function playFaults(
  steps: readonly FaultStep[],
  s: Supervisor,
  reloadPipeline: NightPipeline,
  night: NightProbe,
): Promise<ChaosReport> {
  const report: ChaosReport = { steps: [...steps], outages: [], reload: null };
  for (const step of steps) {
    if (step.kind === 'kill') {
      await s.ready(30_000);
      await sleep(step.afterMs);
      await s.kill9();
      continue;
    }
    await sleep(step.afterMs);
    if (step.kind === 'reload') {
      report.reload = await brokenReload(s, reloadPipeline);
    } else {
      const progress = await night();
      const from = new Date();
      await down(step.service);
      try {
        if (step.killAtMs === null) await sleep(step.downMs);
        else {
          await sleep(step.killAtMs);
          await s.kill9();
          await sleep(step.downMs - step.killAtMs);
        }
      } finally {
        await up(step.service);
      }
      report.outages.push({ service: step.service, from, to: new Date(), nightDoneAt: progress.done ? progress.line : null });
    }
  }
  return report;
}
