// A full night of 3 pipelines × 200 observations through run → upload → ingest by the
// real daemon (node bin/nocturne.js daemon, built), on the rig's SLURM, FTP, FTPS, SFTP
// and PostgreSQL, while the daemon is killed with SIGKILL 20+ times, the servers go down
// and come back, and bad input is mixed in. Nothing may be lost, doubled or unrecorded.
import { describe, expect, it } from 'vitest';
import { auditNight, nightProgress } from './audit.js';
import { MIN_KILLS, planFaults, playFaults, type ChaosReport } from './chaos.js';
import { watchDeletions } from './deletion-watch.js';
import { createPrng, faultSeed } from './prng.js';
import { formatSummary } from './summary.js';
import { Supervisor, type UnexpectedExit } from './supervisor.js';
import { createWorld, type World } from './world.js';

/** From the first daemon start: the faults, then the rest of the night, must fit in this. */
const NIGHT_BUDGET_MS = 260_000;
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

/** Exits the daemon may make by itself: without its database it cannot start (exit 1), and systemd tries again. */
function refusedStart(exit: UnexpectedExit, chaos: ChaosReport): boolean {
  return exit.code === 1 && chaos.outages.some((o) => o.service === 'postgres' && exit.at >= o.from && exit.at.getTime() <= o.to.getTime() + POSTGRES_GRACE_MS);
}

/** What the daemon's own behaviour says, beyond the end state. */
function daemonViolations(s: Supervisor, chaos: ChaosReport, stop: { code: number | null; msg: string | undefined }, pipelineFile: string): string[] {
  const v: string[] = [];
  for (const exit of s.unexpected) {
    if (!refusedStart(exit, chaos)) v.push(`daemon exited by itself (code ${exit.code}, signal ${exit.signal}):\n${exit.tail}`);
  }
  if (s.kills < MIN_KILLS) v.push(`only ${s.kills} kills were played`);
  const reload = chaos.reload;
  if (!reload) v.push('the broken reload was not played');
  else {
    const located = reload.issues.some((i) => i.file.endsWith(pipelineFile) && i.line > 0 && i.col > 0 && i.message.includes('schedul'));
    if (!located) v.push(`the broken pipeline file was not refused with its location: ${JSON.stringify(reload.issues)}`);
    if (!reload.keptRunning) v.push(`the old configuration did not keep running after the refusal: ${reload.problems.join('; ')}`);
    if (!reload.applied) v.push(`the fixed pipeline file was not applied: ${reload.problems.join('; ')}`);
  }
  if (stop.code !== 0 || stop.msg !== 'shutdown complete') v.push(`SIGTERM at the end: exit ${stop.code}, last line "${stop.msg ?? ''}"`);
  return v;
}

describe('fault suite: a full night under kill -9, server outages and bad input', () => {
  it('archives, ingests and records everything exactly once', async () => {
    const seed = faultSeed();
    console.log(`[faults] seed ${seed} (replay: FAULT_SEED=${seed} npm run test:faults)`);
    const steps = planFaults(createPrng(seed));
    const world = await createWorld();
    const supervisor = new Supervisor(world.dir, world.env);
    const watch = watchDeletions(world);
    const reloaded = world.pipelines[2]!;
    let passed = false;
    try {
      const started = Date.now();
      supervisor.start();
      await supervisor.ready(30_000);
      const chaos = await playFaults(steps, supervisor, reloaded);
      console.log(`[faults] ${supervisor.kills} kills and ${chaos.outages.length} outages played in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const late = await waitForNight(world, started + NIGHT_BUDGET_MS);
      const seconds = (Date.now() - started) / 1000;
      const stop = await supervisor.stop();
      await watch.stop();
      const audit = await auditNight(world);
      const violations = [
        ...(late ? [late] : []),
        ...daemonViolations(supervisor, chaos, { code: stop.code, msg: stop.last?.msg }, `pipelines/${reloaded.name}.yaml`),
        ...watch.violations,
        ...audit.violations,
      ];
      const refusedStarts = supervisor.unexpected.filter((e) => refusedStart(e, chaos)).length;
      const { kills, killsMidStage } = supervisor;
      console.log(formatSummary({ seed, seconds, kills, killsMidStage, refusedStarts, chaos, counts: audit.counts, violations }));
      expect(violations).toEqual([]);
      passed = true;
    } finally {
      await supervisor.abort();
      await watch.stop();
      if (passed) await world.close();
      else {
        await supervisor.saveLogs(`${world.dir}/daemon.log`);
        console.log(`[faults] kept for inspection: ${world.dir} (daemon.log there; state schema ${world.t.schema})`);
      }
    }
  });
});
