/**
 * `npm run bench -- campaign [nights] [--every=10s] [--yield-before=3s] [--max-running=2] [--fast]`:
 * a campaign of `nights` nights (default 365, one observation a night) for each of 2 codes
 * on the rig's SLURM with the example detection code (--fast: a bash code without
 * interpreter start-up), while a nightly pipeline's run fires at each slot of its schedule,
 * every few seconds, on a night of its own (4 observations). Prints the campaigns'
 * throughput, then each nightly run's time beside the campaigns against the median of the
 * same runs alone, and the mean delay (goal ≤ 10 %). The nightly runs go through the run
 * stage as the scheduler's would (not the scheduler itself); campaigns yield to them
 * (campaigns.yieldToNightly) while they run and `--yield-before` before each slot
 * (campaigns.yieldBefore), so `--every` must exceed both together, or campaigns never
 * submit. Needs the rig (scripts/rig/up.sh).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { driveCampaign } from '../src/campaigns/driver.js';
import { addNights, CampaignStore } from '../src/campaigns/store.js';
import { Schedule } from '../src/scheduling/slots.js';
import { createHarness, type Harness } from '../harness/run-harness.js';
import { median } from './timing.js';

const FAST_CODE = `#!/bin/bash
# usage: fast.sh <obs> <outdir>
printf 'ID_FEAT;OBS_ID\\n1;%s\\n' "$1" > "$2/bench_10_20261120T000000_$1_feat.csv"
printf 'OBS_ID\\n%s\\n' "$1" > "$2/bench_10_20261120T000000_$1_init.csv"
`;
const NIGHTLY_OBS = 4;
const CODES = ['camp-a', 'camp-b'];

function option(args: string[], name: string, fallback: string): string {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
}

/** One nightly run on a night of its own; returns its wall time in ms. */
async function nightlyRun(h: Harness, night: string): Promise<number> {
  for (let i = 0; i < NIGHTLY_OBS; i++) await h.writeObs('nightly', night, `n${i}`, { seed: i });
  const started = Date.now();
  const outcome = await h.run(h.config.pipelines.get('nightly')!, { extra: { date: night } });
  if (!outcome.ok) throw new Error(`nightly run of ${night} failed: ${outcome.summary}`);
  return Date.now() - started;
}

export async function bench(args: string[]): Promise<void> {
  const nights = Number(args.find((a) => /^\d+$/.test(a)) ?? 365);
  const everyMs = Number(option(args, 'every', '10s').replace(/s$/, '')) * 1000;
  const maxRunning = Number(option(args, 'max-running', '2'));
  const yieldBeforeMs = Number(option(args, 'yield-before', '3s').replace(/s$/, '')) * 1000;
  const h = await createHarness('bench_campaign', 'slurm', { pollInterval: '1s', lostAfter: '5m' });
  try {
    const fast = path.join(h.dir, 'fast.sh');
    await writeFile(fast, FAST_CODE, { mode: 0o755 });
    const run = args.includes('--fast') ? { command: [fast, '{obs}', '{outdir}'], retries: 0 } : { retries: 0 };
    for (const code of CODES) h.pipeline(code, { ...run, array: { throttle: 8 } });
    const every = everyMs / 1000;
    h.pipeline('nightly', { ...run, array: { throttle: 8 }, schedule: `*/${every} * * * * *`, timezone: 'UTC' });
    const slots = new Schedule(`*/${every} * * * * *`, 'UTC');
    const config = { ...h.config, daemon: { ...h.config.daemon, campaigns: { ...h.config.daemon.campaigns, yieldBeforeMs } } };
    const from = '2025-01-01';
    const to = addNights(from, nights - 1);
    for (const code of CODES) {
      for (let k = 0; k < nights; k++) await h.writeObs(code, addNights(from, k), `o${k}`, { seed: k });
    }
    process.stdout.write(
      `campaign bench: ${nights} nights x ${CODES.length} codes (${args.includes('--fast') ? 'fast bash code' : 'example code'}), ` +
        `max ${maxRunning} running each, nightly run of ${NIGHTLY_OBS} observations every ${everyMs / 1000} s, campaigns yield ${yieldBeforeMs / 1000} s before; load ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}\n`,
    );

    // The nightly run alone, to compare with: 5 runs before the campaigns and 5 after, so
    // that a change of the machine's load meanwhile weighs on both sides; at the schedule's
    // slots, as beside the campaigns.
    let nightly = '2026-01-01';
    const alone: number[] = [];
    const aloneRuns = async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, slots.next(new Date())!.getTime() - Date.now()));
        alone.push(await nightlyRun(h, nightly));
        nightly = addNights(nightly, 1);
      }
    };
    await aloneRuns();

    const store = new CampaignStore(h.t.db);
    const stop = new AbortController();
    const started = Date.now();
    const drives = Promise.all(
      CODES.map(async (code) => {
        const c = await store.create({
          pipeline: code,
          from,
          to,
          stages: ['run'],
          batchNights: 30,
          maxRunning,
          nice: 1000,
          qos: null,
          codeVersion: '1.0.6',
          createdBy: 'bench',
        });
        return driveCampaign(c.id, { config, db: h.t.db, logger: h.logger, signal: stop.signal, heartbeatMs: 2_000 });
      }),
    ).then((results) => ({ results, ms: Date.now() - started }));
    let finished = false;
    const done = drives.finally(() => (finished = true));
    const beside: number[] = [];
    while (!finished) {
      // At the schedule's next slot, as the scheduler fires it (the campaigns yield ahead of it).
      const wait = slots.next(new Date())!.getTime() - Date.now();
      await Promise.race([new Promise((resolve) => setTimeout(resolve, wait)), done]);
      if (finished) break;
      beside.push(await nightlyRun(h, nightly));
      nightly = addNights(nightly, 1);
    }
    const { results, ms } = await drives;
    await aloneRuns();
    const aloneMs = median(alone);
    const tasks = results.reduce((sum, r) => sum + r.completed, 0);
    const failed = results.reduce((sum, r) => sum + r.failed, 0);
    const delays = beside.map((b) => (b - aloneMs) / aloneMs);
    const mean = delays.reduce((a, b) => a + b, 0) / Math.max(1, delays.length);
    // A nightly run alone takes one poll or two to be seen ended, in streaks that follow
    // SLURM's own cycles (1.25 s or 2.4 s on the rig): against the median alone, a run of
    // the slower kind counts as +90 % with or without a campaign. The delay the campaigns
    // add is the mean beside them against the mean alone.
    const average = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const added = average(beside) / average(alone) - 1;
    process.stdout.write(
      [
        `campaign throughput: ${(tasks / (ms / 1000)).toFixed(2)} tasks/s, ${((nights * CODES.length) / (ms / 1000)).toFixed(2)} nights/s (${tasks} tasks completed, ${failed} failed, in ${(ms / 1000).toFixed(1)} s)`,
        `nightly run alone: median ${(aloneMs / 1000).toFixed(2)} s (${alone.map((a) => (a / 1000).toFixed(2)).join(', ')})`,
        `nightly runs beside the campaigns: ${beside.map((b) => (b / 1000).toFixed(2)).join(', ')} s`,
        `delay the campaigns add to each nightly run: ${delays.map((d) => `${(d * 100).toFixed(0)}%`).join(', ')}`,
        `mean of each run's delay against the median alone: ${(mean * 100).toFixed(1)} %`,
        `mean nightly run: ${(average(alone) / 1000).toFixed(2)} s alone, ${(average(beside) / 1000).toFixed(2)} s beside the campaigns`,
        `delay the campaigns add to a nightly run (mean against mean): ${(added * 100).toFixed(1)} % (goal <= 10 %); load ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      ].join('\n') + '\n',
    );
  } finally {
    await h.close();
  }
}
