import type { NocturneConfig } from '../../config/types.js';
import { runDemo, type DemoResult } from '../../demo/demo.js';
import { nightOption } from '../options.js';
import { createProgress } from '../progress.js';
import { DemoCannotStart } from '../../demo/cannot-start.js';
import { CliExit, cliLogger, type CliOptions } from '../runtime.js';
import { demoDirs } from '../../demo/config-dir.js';
import { EXIT } from '../../core/exit-codes.js';

interface DemoCommandOptions extends CliOptions {
  date: string;
  keep?: boolean;
}

/** `nocturne demo`: a whole night on embedded servers, then a summary and how to query it. */
export async function demoCommand(options: DemoCommandOptions, version: string): Promise<void> {
  const date = nightOption('--date', options.date);
  const logger = cliLogger();
  logger.level = 'warn';
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const dirs = demoDirs(options);
  print(`nocturne ${version} demo: one night (${date}) through run → upload → ingest`);
  print(`configuration: ${dirs.config}${dirs.state ? `; its files in ${dirs.state}` : ''}\n`);
  const result = await runDemo({
    configDir: dirs.config,
    ...(dirs.state ? { stateDir: dirs.state } : {}),
    date,
    logger,
    print,
    progress: (label) => createProgress(process.stderr, label),
    ...(options.keep
      ? {
          keep: async (config, reload, night) => {
            print(summary(night));
            await keepRunning(config, reload, version);
          },
        }
      : {}),
  }).catch((err: unknown) => {
    // The servers could not start: one sentence saying why and what to do, no stack.
    if (err instanceof DemoCannotStart) throw new CliExit(EXIT.unavailable, `nocturne demo: ${err.message}`);
    throw err;
  });
  if (!options.keep) print(summary(result));
  if (result.failures.length > 0) process.exitCode = EXIT.failure;
}

async function keepRunning(config: NocturneConfig, reload: () => Promise<NocturneConfig>, version: string): Promise<void> {
  const { serveUntilSignal } = await import('../../daemon/serve.js');
  process.stdout.write(`\ndaemon running: http://${config.daemon.http.listen}/ — the web monitor (metrics at /metrics); Ctrl-C to stop\n`);
  const code = await serveUntilSignal({ config, reload, version });
  if (code !== EXIT.ok) process.exitCode = code;
}

function summary(result: DemoResult): string {
  const { run, upload, ingest } = result.totals;
  const n = (v: number | undefined) => String(v ?? 0);
  const lines = [
    '',
    'summary',
    `  jobs        ${n(run['completed'])} completed, ${n(run['failed'])} failed (${n(run['submitted'])} submitted)`,
    `  uploaded    ${n(upload['verified'])} files verified on the archive, ${n(upload['deleted'])} local copies deleted`,
    `  ingested    ${n(ingest['rows'])} rows from ${n(ingest['loaded'])} file sets (${n(ingest['files'])} files)`,
    `  quarantined ${n(upload['quarantined'])} quicklooks, ${n(ingest['rejected'])} file sets`,
  ];
  if (result.failures.length > 0) lines.push('', 'failures', ...result.failures.map((f) => `  ${f}`));
  lines.push(
    '',
    'query the catalogue (it stays up with --keep):',
    `  psql '${result.connection}'`,
    '  SELECT set_key, status, rows FROM hfc.set_loads ORDER BY load_id;',
    '  SELECT code, date_obs, feat_hg_lat_deg, feat_hg_long_deg, snapshot FROM hfc.view_sunspots_hqi LIMIT 5;',
  );
  return lines.join('\n');
}
