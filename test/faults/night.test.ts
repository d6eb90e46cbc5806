// A full night of 3 pipelines × 200 observations through run → upload → ingest by the
// real daemon (node bin/nocturne.js daemon, built), on the rig's SLURM, FTP, FTPS, SFTP
// and PostgreSQL, while the daemon is killed with SIGKILL 20+ times, the servers go down
// and come back, and bad input is mixed in. Nothing may be lost, doubled or unrecorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rig } from '../../harness/rig.js';
import { alertsSettled, auditAlerts } from './alerts.js';
import { auditDrain, auditNight, nightProgress } from './audit.js';
import { MIN_KILLS, MIN_KILLS_MID_STAGE, planFaults, playFaults, type ChaosReport } from './chaos.js';
import { watchDeletions } from './deletion-watch.js';
import { mib, unitMemoryLimit } from './memory.js';
import { lockNight, type NightLock } from './night-lock.js';
import { createPrng, faultSeed } from './prng.js';
import { cancelNightJobs } from './slurm-cleanup.js';
import { formatSummary } from './summary.js';
import { Supervisor, type StopResult, type UnexpectedExit } from './supervisor.js';
import { createWorld, type World } from './world.js';

/**
 * After the last fault, the rest of the night must complete in this. The faults take as
 * long as the daemon takes to start 20-26 times (148-155 s in CI): a deadline counted from
 * the first start failed a slower machine for its speed, not for the night.
 */
const REST_OF_NIGHT_MS = 80_000;
/** How long a night may wait for another night on the rig (its whole test, teardown included). */
const NIGHT_LOCK_WAIT_MS = 420_000;
/** PostgreSQL answers a little after its restart returns: a start refused just then is expected too. */
const POSTGRES_GRACE_MS = 5_000;

async function waitForNight(world: World, deadline: number): Promise<string | null> {
  let lastPrint = 0;
  for (;;) {
    const progress = await nightProgress(world).catch((err: unknown) => ({ done: false, line: `state database: ${String(err)}` }));
    if (progress.done) return null;
    if (Date.now() > deadline) return `the night did not complete in time: ${progress.line}`;
    if (Date.now() - lastPrint > 15_000) {
      console.log(`[faults] ${progress.line}`);
      lastPrint = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Exits the daemon may make by itself: without its database it cannot start (exit 1), and
 * systemd tries again. A daemon that had logged "ready" was running: its exit is a crash.
 */
function refusedStart(exit: UnexpectedExit, chaos: ChaosReport): boolean {
  return (
    !exit.wasReady &&
    exit.code === 1 &&
    chaos.outages.some((o) => o.service === 'postgres' && exit.at >= o.from && exit.at.getTime() <= o.to.getTime() + POSTGRES_GRACE_MS)
  );
}

/** What the daemon's own behaviour says, beyond the end state. */
function daemonViolations(s: Supervisor, chaos: ChaosReport, stop: StopResult, pipelineFile: string): string[] {
  const v: string[] = [];
  for (const exit of s.unexpected) {
    if (!refusedStart(exit, chaos)) {
      v.push(
        `daemon exited by itself (code ${exit.code}, signal ${exit.signal}, ${exit.wasReady ? 'after' : 'before'} "ready"):\n${exit.tail}`,
      );
    }
  }
  if (s.kills < MIN_KILLS) v.push(`only ${s.kills} kills were played`);
  if (s.killsMidStage < MIN_KILLS_MID_STAGE) {
    v.push(`only ${s.killsMidStage} kills found a stage in flight (at least ${MIN_KILLS_MID_STAGE} needed)`);
  }
  for (const o of chaos.outages) {
    if (o.nightDoneAt !== null) v.push(`the ${o.service} outage began after the night was over: ${o.nightDoneAt}`);
  }
  const reload = chaos.reload;
  if (!reload) v.push('the broken reload was not played');
  else {
    // A warning does not refuse anything (the night's schedules draw one: "fires 30 times a minute").
    const located = reload.issues.some(
      (i) => !i.warning && i.file.endsWith(pipelineFile) && i.line > 0 && i.col > 0 && i.message.includes('schedul'),
    );
    if (!located) v.push(`the broken pipeline file was not refused with its location: ${JSON.stringify(reload.issues)}`);
    if (!reload.keptRunning) v.push(`the old configuration did not keep running after the refusal: ${reload.problems.join('; ')}`);
    if (!reload.applied) v.push(`the fixed pipeline file was not applied: ${reload.problems.join('; ')}`);
  }
  // Above MemoryHigh the kernel throttles the daemon: the night's inflated quicklooks must not take it there.
  const high = unitMemoryLimit('MemoryHigh');
  if (s.measured === 0) v.push('the peak RSS of no daemon process could be read');
  else if (s.peakRssBytes >= high) {
    v.push(`a daemon process peaked at ${mib(s.peakRssBytes)} RSS, over the unit's MemoryHigh (${mib(high)})`);
  }
  if (stop.killed) v.push('SIGTERM at the end: the daemon did not exit within its grace + 10 s and was SIGKILLed');
  else if (stop.code !== 0 || stop.last?.msg !== 'shutdown complete') {
    v.push(`SIGTERM at the end: exit ${stop.code}, last line "${stop.last?.msg ?? ''}"`);
  }
  return v;
}

describe('fault suite: a full night under kill -9, server outages and bad input', () => {
  let lock: NightLock | undefined;
  beforeAll(async () => {
    lock = await lockNight(rig().dir, NIGHT_LOCK_WAIT_MS);
  }, NIGHT_LOCK_WAIT_MS + 10_000);
  afterAll(async () => {
    await lock?.release();
  });

  it('archives, ingests and records everything exactly once', async () => {
    const seed = faultSeed();
    console.log(`[faults] seed ${seed} (replay: FAULT_SEED=${seed} npm run test:faults)`);
    const steps = planFaults(createPrng(seed));
    const world = await createWorld();
    const supervisor = new Supervisor(world.dir, world.env);
    const watch = await watchDeletions(world);
    const reloaded = world.pipelines[2]!;
    let passed = false;
    try {
      const started = Date.now();
      supervisor.start();
      await supervisor.ready(30_000);
      const chaos = await playFaults(steps, supervisor, reloaded, () => nightProgress(world));
      console.log(
        `[faults] ${supervisor.kills} kills and ${chaos.outages.length} outages played in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const late = await waitForNight(world, Date.now() + REST_OF_NIGHT_MS);
      const seconds = (Date.now() - started) / 1000;
      // The digests of the night's last failures are told after their delay.
      const untold = await alertsSettled(world);
      // The last kill may have come just before: a SIGTERM before "ready" would test nothing.
      const unready = await supervisor.ready(30_000).then(
        () => null,
        (err: unknown) => `no daemon was ready for the SIGTERM at the end: ${err instanceof Error ? err.message : String(err)}`,
      );
      const stop = await supervisor.stop(world.graceMs);
      await watch.stop();
      const audit = await auditNight(world, chaos.outages);
      const drain = await auditDrain(
        world,
        chaos.outages.find((o) => o.service === 'slurm-node'),
      );
      const alerts = await auditAlerts(world, chaos.outages, supervisor.kills);
      const violations = [
        ...(late ? [late] : []),
        ...(unready ? [unready] : []),
        ...(untold ? [untold] : []),
        ...daemonViolations(supervisor, chaos, stop, `pipelines/${reloaded.name}.yaml`),
        ...watch.violations,
        ...audit.violations,
        ...drain.violations,
        ...alerts.violations,
      ];
      const refusedStarts = supervisor.unexpected.filter((e) => refusedStart(e, chaos)).length;
      const { kills, killsMidStage } = supervisor;
      const deletions = { checked: watch.checked, left: watch.left };
      const memory = { peakRssBytes: supervisor.peakRssBytes, measured: supervisor.measured, highBytes: unitMemoryLimit('MemoryHigh') };
      console.log(
        formatSummary({
          seed,
          seconds,
          kills,
          killsMidStage,
          refusedStarts,
          deletions,
          chaos,
          counts: audit.counts,
          drain,
          memory,
          alerts: alerts.line,
          violations,
        }),
      );
      expect(violations).toEqual([]);
      passed = true;
    } finally {
      await supervisor.abort();
      await watch.close();
      // A failed night may leave jobs queued on the single node: they would hold up the next run.
      const cancelled = await cancelNightJobs(world).catch((err: unknown) => {
        if (passed) throw err;
        console.log(`[faults] could not cancel the night's SLURM jobs: ${String(err)}`);
        return [];
      });
      if (cancelled.length > 0) console.log(`[faults] cancelled SLURM job(s) the night left: ${cancelled.join(', ')}`);
      if (passed) await world.close();
      else {
        await supervisor.saveLogs(`${world.dir}/daemon.log`);
        console.log(`[faults] kept for inspection: ${world.dir} (daemon.log there; state schema ${world.t.schema})`);
      }
    }
  });
});
