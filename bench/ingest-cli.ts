import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN_NODE_ARGS } from '../harness/daemon-process.js';
import type { RoundTrips } from './round-trips.js';

const CLI = fileURLToPath(new URL('../bin/nocturne.js', import.meta.url));
const COUNTER = new URL('./round-trips.ts', import.meta.url).href;

/**
 * `nocturne run <pipeline> --stage ingest`, timed, with its peak RSS (VmHWM, sampled every
 * 20 ms); with `count`, its round trips to PostgreSQL too (bench/round-trips.ts preloaded,
 * with tsx, whose start-up and loader hooks make it a run to count, not to time).
 */
export async function cli(
  configDir: string,
  pipeline: string,
  count = false,
): Promise<{ seconds: number; peakMiB: number; trips: RoundTrips }> {
  const started = performance.now();
  const flags = (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
  const tripsFile = path.join(configDir, `trips-${pipeline}.json`);
  const counter = count ? ['--import', 'tsx', '--import', COUNTER] : [];
  const child = spawn(
    process.execPath,
    [...BIN_NODE_ARGS, ...flags, ...counter, CLI, 'run', pipeline, '--stage', 'ingest', '--config', configDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_ROUND_TRIPS: tripsFile },
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let peakKiB = 0;
  // The last sample may come after the process has gone: its file is then missing.
  const sampler = setInterval(() => {
    readFile(`/proc/${child.pid}/status`, 'utf8').then(
      (status) => (peakKiB = Math.max(peakKiB, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0))),
      () => undefined,
    );
  }, 20);
  const [code] = (await once(child, 'close')) as [number | null];
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0 || !/: ok: /.test(output)) throw new Error(`nocturne run ${pipeline} failed (exit ${code}):\n${output}`);
  const trips = count ? (JSON.parse(await readFile(tripsFile, 'utf8')) as RoundTrips) : { queries: 0, commits: 0 };
  return { seconds, peakMiB: peakKiB / 1024, trips };
}
