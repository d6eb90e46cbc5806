import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { STAGES } from '../config/schema.js';
import { CliExit } from './runtime.js';
import { EXIT } from '../core/exit-codes.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/**
 * A command's module is imported only when that command runs: `run` pulls in every
 * stage (sharp, ssh2, basic-ftp, csv-parse), which `daemon`, `status` or `reload` must
 * not pay for at start.
 */
function lazy<A extends unknown[]>(load: () => Promise<(...args: A) => Promise<void>>) {
  return async (...args: A): Promise<void> => (await load())(...args);
}

function program(): Command {
  const cli = new Command('nocturne')
    .description("Runs an observatory's nightly pipelines: detection codes, verified uploads, catalogue ingestion.")
    .version(version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const configOption = () =>
    new Option('-c, --config <dir>', 'directory holding config/ and pipelines/ (default: $NOCTURNE_CONFIG_DIR or .)');

  cli
    .command('validate')
    .description('check config/nocturne.yaml and pipelines/*.yaml; exit 78 listing every problem')
    .option('--db', 'also check in the database that every ingest target table exists with compatible columns')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/validate.js')).validateCommand));
  const db = cli.command('db').description('database maintenance');
  db.command('migrate')
    .description("create or upgrade nocturne's state schema")
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/migrate.js')).migrateCommand));
  db.command('grant-reader')
    .description("let a database role read the HFC catalogue (tables, views, lineage), and nothing of nocturne's state")
    .argument('<role>', "an existing PostgreSQL role, e.g. the analysts' login")
    .option('--catalogue <schema>', 'catalogue schema (default: those the pipelines load sets into)')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/db-grant-reader.js')).grantReaderCommand));
  cli
    .command('run')
    .description('run one stage of a pipeline now (takes the same locks as the daemon)')
    .argument('<pipeline>', 'pipeline name (pipelines/<name>.yaml)')
    .addOption(new Option('-s, --stage <stage>', 'stage to run').choices(STAGES).makeOptionMandatory())
    .option('-d, --date <yyyy-mm-dd>', 'observing night to process (run stage; default: today)')
    .option('-n, --dry-run', 'print what would be done, change nothing')
    .option('-f, --force', 'run even though the stage is paused (nocturne pause)')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/run.js')).runCommand));
  cli
    .command('retry')
    .description("put what failed back in line for the stage's next run (or run it now); records who asked")
    .argument('<pipeline>', 'pipeline name')
    .addOption(new Option('-s, --stage <stage>', 'stage whose failed items to retry').choices(STAGES))
    .option('--obs <glob>', 'run: observations (ids) that failed for good')
    .option('--night <yyyy-mm-dd>', 'run: only observations of this night (an id may be found on several)')
    .option('--set <glob>', 'ingest: rejected file sets (set keys)')
    .option('--file <glob>', 'ingest: rejected CSV files; upload: quarantined files (path or name)')
    .option('--failed', 'everything that failed (of --stage, else of every stage)')
    .option('--since <date>', 'only what failed since then: YYYY-MM-DD (midnight UTC), or YYYY-MM-DDTHH:MM[:SS] with Z or ±HH:MM')
    .option('--now', 'run each stage concerned at once instead of at its next slot')
    .option('-n, --dry-run', 'list what would be retried, change nothing')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/retry.js')).retryCommand));
  cli
    .command('pause')
    .description('stop new runs of a pipeline (or one stage) on every host, until resumed; no config edit or reload')
    .argument('<pipeline>', 'pipeline name')
    .addOption(new Option('-s, --stage <stage>', 'only this stage (default: all)').choices(STAGES))
    .option('-r, --reason <text>', 'why, shown by status')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/pause.js')).pauseCommand));
  cli
    .command('resume')
    .description("lift a pause; the slots that passed meanwhile follow each stage's catch-up policy")
    .argument('<pipeline>', 'pipeline name')
    .addOption(new Option('-s, --stage <stage>', 'only this stage (default: all)').choices(STAGES))
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/pause.js')).resumeCommand));
  cli
    .command('backfill')
    .description(
      'reprocess nights as one campaign (SLURM job arrays, throttled, below the nightly runs); or: status [id], pause|resume|cancel <id>',
    )
    .argument('<pipeline|action>', 'the pipeline to reprocess, or status, pause, resume, cancel')
    .argument('[id]', 'the campaign (for an action)')
    .option('--from <yyyy-mm-dd>', 'first night')
    .option('--to <yyyy-mm-dd>', 'last night')
    .option(
      '--stages <list>',
      'stages the campaign drives: run, then upload and/or ingest after each batch (default: those the pipeline has)',
    )
    .option('--max-running <n>', 'most tasks submitted at once (default: campaigns.maxRunning)')
    .option('--nice <n>', 'sbatch --nice of its jobs (default: campaigns.nice)')
    .option('--qos <name>', 'sbatch --qos of its jobs (default: campaigns.qos)')
    .option('--batch-nights <n>', 'nights submitted together (default: campaigns.batchNights)')
    .option('--detach', 'record the campaign and return: the daemon, or `backfill resume <id>`, drives it')
    .option('--json', 'status: machine-readable output')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/backfill.js')).backfillCommand));
  cli
    .command('history')
    .description('recent runs, newest first')
    .argument('[pipeline]', 'only this pipeline')
    .option('-l, --limit <n>', 'how many runs', '20')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/history.js')).historyCommand));
  cli
    .command('daemon')
    .description('run the schedules until SIGTERM (systemd: nocturne.service); logs JSON to stdout')
    .addOption(configOption())
    .action(
      lazy(async () => {
        const { daemonCommand } = await import('./commands/daemon.js');
        return (options: { config?: string }) => daemonCommand(options, version);
      }),
    );
  cli
    .command('status')
    .description('each pipeline and stage: next slot, what runs now, last result, pending work')
    .option('--json', 'machine-readable output')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/status.js')).statusCommand));
  cli
    .command('hosts')
    .description('the daemons registered on this state database: alive, late or gone, their stages and last run')
    .option('--json', 'machine-readable output')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/hosts.js')).hostsCommand));
  cli
    .command('logs')
    .description("a run's record and the end of the job logs recorded for it")
    .argument('<run>', 'run number, as shown by history and status')
    .option('-n, --lines <n>', 'lines of each log', '40')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/logs.js')).logsCommand));
  cli
    .command('reload')
    .description('make the running daemon reload its configuration, and wait for the outcome (exit 78 if refused)')
    .option('--listen <host:port>', "the daemon's HTTP address (default: http.listen of config/nocturne.yaml)")
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/reload.js')).reloadCommand));
  cli
    .command('prune')
    .description(
      'remove what retention allows: old job directories and logs, run history, transfer events, ledger rows of files long gone, thumbnails, quarantine',
    )
    .option('-n, --dry-run', 'print what would be removed (counts per kind, bytes for files), remove nothing')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/prune.js')).pruneCommand));
  const alerts = cli.command('alerts').description('alerting: who is told of incidents, and how');
  alerts
    .command('test')
    .description('send a test message to every destination of a route (default: of every route); exit 1 if one fails')
    .argument('[route]', 'route name (alerts.routes of config/nocturne.yaml)')
    .addOption(configOption())
    .action(
      lazy(async () => {
        const { alertsTestCommand } = await import('./commands/alerts.js');
        return (route: string | undefined, options: { config?: string }) => alertsTestCommand(route, options, version);
      }),
    );
  cli
    .command('incidents')
    .description('incidents of alerting, newest first, with their messages')
    .option('--open', 'only the open ones')
    .option('-l, --limit <n>', 'how many', '20')
    .option('--json', 'machine-readable output')
    .addOption(configOption())
    .action(lazy(async () => (await import('./commands/incidents.js')).incidentsCommand));
  cli
    .command('demo')
    .description('one night through run → upload → ingest on an embedded PostgreSQL and FTP archive, then a summary')
    .option('-d, --date <yyyy-mm-dd>', 'the night of the bundled sample observations', '2026-11-21')
    .option('-k, --keep', 'stay up afterwards as a daemon with HTTP status and metrics, until Ctrl-C')
    .addOption(configOption())
    .action(
      lazy(async () => {
        const { demoCommand } = await import('./commands/demo.js');
        return (options: { date: string; keep?: boolean; config?: string }) => demoCommand(options, version);
      }),
    );
  return cli;
}

/** Runs the command line and returns the exit code; never calls process.exit itself. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // Imported here: pino is not worth loading for commands that succeed without it.
    const { printFailure } = await import('../log/print-failure.js');
    if (err instanceof CliExit) {
      if (err.message) printFailure(err.message);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof Error && 'code' in err ? `${String(err.code)}: ` : '';
    printFailure(`nocturne: ${code}${message}`);
    return EXIT.failure;
  }
}
