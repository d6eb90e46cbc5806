import type { Counts, DrainAudit } from './audit.js';
import type { ChaosReport } from './chaos.js';
import { mib } from './memory.js';

export interface SummaryInput {
  seed: number;
  seconds: number;
  kills: number;
  killsMidStage: number;
  /** Restarts that failed for want of the database (expected while it was down). */
  refusedStarts: number;
  /** Outputs checked by the deletion watch when they left an outbox, of those that left. */
  deletions: { checked: number; left: number };
  chaos: ChaosReport;
  counts: Counts;
  drain: Omit<DrainAudit, 'violations'>;
  /** The daemon processes' highest peak RSS, of `measured` processes, and the unit's MemoryHigh. */
  memory: { peakRssBytes: number; measured: number; highBytes: number };
  /** The night's alert messages, counted in the Maildir (alerts.ts). */
  alerts: string;
  violations: readonly string[];
}

/** The table the suite prints at the end of every night, passed or not. */
export function formatSummary(s: SummaryInput): string {
  const c = s.counts;
  const reload = s.chaos.reload;
  const where = reload?.issues.find((i) => !i.warning);
  const rows: [string, string][] = [
    ['kills survived', `${s.kills} (SIGKILL at seeded random instants, ${s.killsMidStage} with stages in flight; restarted each time)`],
    [
      'outages survived',
      `${s.chaos.outages.length} (${s.chaos.outages.map((o) => `${o.service} ${((o.to.getTime() - o.from.getTime()) / 1000).toFixed(1)}s`).join(', ')}; ${s.chaos.outages.filter((o) => o.nightDoneAt === null).length} while the night was in progress; ${s.refusedStarts} start(s) refused without the database; ` +
        `${s.counts.outageFailures} upload/ingest run(s) failed while a server they need was down)`,
    ],
    [
      'deletions checked',
      `${s.deletions.checked} of the ${s.deletions.left} files that left the outboxes, each as it left (inotify; "left" by the transfer ledger)`,
    ],
    ['files archived', `${c.archivedCsv + c.archivedJpeg} (${c.archivedCsv} CSV, ${c.archivedJpeg} JPEG), each exactly once`],
    ['rows', `${c.rows} in the catalogue, each exactly once`],
    [
      'jobs',
      `${c.sbatch} sbatch (job arrays), ${c.tasks} tasks, ${c.retriedTasks} retried` +
        (c.ghostJobs > 0
          ? `; ${c.ghostJobs} job(s) cut off by a kill before sbatch, unknown to SLURM, their tasks LOST and run again`
          : ''),
    ],
    [
      'stage timeouts',
      `${s.drain.cancelled} task(s) cancelled at the run stage's timeout, ${s.drain.inWindow} of them before they could start on the drained node; all pending again, then processed once`,
    ],
    [
      'quarantined items',
      `${c.quarantinedJpeg + c.rejectedCsv + c.quarantinedRows + c.failedObservations} (${c.quarantinedJpeg - c.inflatedJpeg} truncated JPEG, ` +
        `${c.inflatedJpeg} inflated JPEG refused undecoded, ${c.rejectedCsv} CSV refused, ${c.quarantinedRows} CSV rows, ` +
        `${c.nulCsv} of those CSVs for a NUL byte at its line and column, ${c.failedObservations} failed codes)`,
    ],
    [
      'daemon memory',
      `peak RSS ${mib(s.memory.peakRssBytes)}, the highest of ${s.memory.measured} processes (the unit's MemoryHigh: ${mib(s.memory.highBytes)})`,
    ],
    [
      'broken reload',
      reload
        ? `refused at ${where ? `${where.file}:${where.line}:${where.col}` : '(no location)'}; ${reload.applied ? 'fixed and applied' : 'NOT applied'}`
        : 'not played',
    ],
    ['alert messages', s.alerts],
    ['violations', String(s.violations.length)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `fault suite: seed ${s.seed} (replay: FAULT_SEED=${s.seed} npm run test:faults), night took ${s.seconds.toFixed(1)} s`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    ...s.violations.slice(0, 40).map((x) => `  ! ${x}`),
    ...(s.violations.length > 40 ? [`  ! ... and ${s.violations.length - 40} more`] : []),
  ].join('\n');
}
