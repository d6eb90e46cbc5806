/**
 * The end state of the night, checked against what the detection code wrote: the
 * archive (file systems), the transfer ledger, the catalogue tables and the ingest
 * ledger, the jobs table and SLURM's own accounting (sacct). Every departure from
 * "nothing lost, nothing doubled, every bad input recorded where it is" is a violation.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { slurmEnv } from '../../harness/rig.js';
import { NUL_REASON } from '../../harness/nul-input.js';
import type { Outage } from './chaos.js';
import { INFLATED, quarantinedJpeg, sha256, type NightObs, type NightPipeline, type World } from './world.js';

const execFileAsync = promisify(execFile);

export interface Counts {
  archivedCsv: number;
  archivedJpeg: number;
  rows: number;
  sbatch: number;
  tasks: number;
  retriedTasks: number;
  /** Jobs whose submission a kill cut off before sbatch: unknown to SLURM, their tasks LOST and run again. */
  ghostJobs: number;
  quarantinedJpeg: number;
  /** Of quarantinedJpeg: inflated ones (hugejpeg, thinjpeg), each with its own reason. */
  inflatedJpeg: number;
  rejectedCsv: number;
  quarantinedRows: number;
  /** Of rejectedCsv and quarantinedRows: for a NUL byte, at its line and column. */
  nulCsv: number;
  failedObservations: number;
  /** Upload and ingest runs that failed, each while a server it needs was down. */
  outageFailures: number;
}

export interface Audit {
  counts: Counts;
  violations: string[];
}

/** A CSV with one bad row: refused whole, or loaded without that row, by the pipeline's badRows policy. */
const badCsv = (o: NightObs) => o.kind === 'badcsv' || o.kind === 'nulcsv';

/** Good rows a pipeline must hold for one observation. */
function expectedRows(o: NightObs, p: NightPipeline): number {
  if (o.kind === 'fail') return 0;
  if (badCsv(o) && p.badRows === 'reject') return 0;
  return o.rows;
}

/**
 * Why a bad quicklook must be quarantined: an inflated one is refused from its header,
 * never decoded (the default quicklooks.maxPixels, 8192 × 8192, is 67108864).
 */
function quicklookReason(o: NightObs): RegExp {
  const [w, h] = o.kind === 'hugejpeg' ? INFLATED.hugejpeg : INFLATED.thinjpeg;
  if (o.kind === 'hugejpeg') {
    return new RegExp(`^quicklook header claims ${w} × ${h} px, more than quicklooks\\.maxPixels \\(67108864\\): not decoded$`);
  }
  if (o.kind === 'thinjpeg') {
    return new RegExp(
      `^quicklook image data shorter than its header claims: \\d+ bytes for ${w} × ${h} px, which need at least \\d+: not decoded$`,
    );
  }
  // A truncated one: too short for its header, or libjpeg's words, which depend on where the cut falls.
  return /^quicklook (image data shorter than its header claims|cannot be decoded): ./;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

async function auditArchive(world: World, p: NightPipeline, obs: NightObs[], v: string[], c: Counts): Promise<void> {
  const wanted = new Map<string, Buffer | string>();
  for (const o of obs) {
    if (o.kind === 'fail') continue;
    wanted.set(`${o.obs}.csv`, world.expectedCsv(o));
    if (!quarantinedJpeg(o)) wanted.set(`${o.obs}.jpg`, world.expectedJpeg(o));
  }
  const found = await walk(p.archiveDir);
  for (const name of found) {
    if (name.endsWith('.partial')) v.push(`${p.protocol} archive: ${name} is a .partial left behind`);
    else if (!wanted.has(name)) v.push(`${p.protocol} archive: unexpected file ${name}`);
  }
  for (const [name, body] of wanted) {
    const file = path.join(p.archiveDir, name);
    const bytes = await readFile(file).catch(() => null);
    if (bytes === null) v.push(`${p.protocol} archive: ${name} is missing`);
    else if (sha256(bytes) !== sha256(body)) v.push(`${p.protocol} archive: ${name} differs from what the detection code wrote`);
    else if (name.endsWith('.csv')) c.archivedCsv++;
    else c.archivedJpeg++;
  }
  const left = (await readdir(p.outbox).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
  for (const name of left) v.push(`${p.outbox}: ${name} is still in the outbox`);
}

interface TransferRow {
  id: number;
  local_path: string;
  state: string;
  remote_path: string;
  quarantine_path: string | null;
  error: string | null;
  before_deleted: string | null;
}

async function auditTransfers(world: World, p: NightPipeline, obs: NightObs[], v: string[], c: Counts): Promise<void> {
  const rows = await world.t.db.any<TransferRow>(
    `SELECT t.id, t.local_path, t.state, t.remote_path, t.quarantine_path, t.error,
            (SELECT e.to_state FROM transfer_events e
              WHERE e.transfer_id = t.id AND e.id < (SELECT max(d.id) FROM transfer_events d WHERE d.transfer_id = t.id AND d.to_state = 'deleted')
              ORDER BY e.id DESC LIMIT 1) AS before_deleted
       FROM transfers t WHERE t.pipeline = $1 ORDER BY t.id`,
    [p.name],
  );
  const uploads = new Map<string, number>();
  for (const t of rows) {
    if (t.state === 'deleted') uploads.set(t.local_path, (uploads.get(t.local_path) ?? 0) + 1);
    if (t.state === 'deleted' && t.before_deleted !== 'checked') {
      v.push(
        `transfer ${t.id} (${t.local_path}): local copy deleted after state ${t.before_deleted}, not after the final remote name was checked`,
      );
    }
    if (!['deleted', 'quarantined'].includes(t.state)) {
      v.push(`transfer ${t.id} (${t.local_path}) ended in state ${t.state}: ${t.error ?? ''}`);
    }
  }
  for (const [local, n] of uploads) if (n > 1) v.push(`${local} was archived ${n} times`);
  for (const o of obs.filter(quarantinedJpeg)) {
    const local = path.join(p.outbox, `${o.obs}.jpg`);
    // A kill between recording a quarantine and moving the file: the next run checks it again, and records it again.
    const row = rows.filter((t) => t.local_path === local && t.state === 'quarantined').at(-1);
    const where = row?.quarantine_path;
    const kept = where ? await readFile(where).catch(() => null) : null;
    const note = where ? await readFile(`${where}.reason.txt`, 'utf8').catch(() => null) : null;
    const reason = quicklookReason(o);
    if (!row || !where || kept === null || sha256(kept) !== sha256(world.expectedJpeg(o)) || note === null) {
      v.push(`${local}: ${o.kind} quicklook not quarantined with its reason (row ${row?.id ?? 'none'}, at ${where ?? '-'})`);
    } else if (!reason.test(row.error ?? '') || !note.includes(`reason: ${row.error}\n`)) {
      v.push(`${local}: ${o.kind} quicklook quarantined for "${row.error ?? ''}", not ${reason.source}, or its reason.txt says otherwise`);
    } else {
      c.quarantinedJpeg++;
      if (o.kind !== 'badjpeg') c.inflatedJpeg++;
    }
  }
}

async function auditCatalogue(world: World, p: NightPipeline, obs: NightObs[], v: string[], c: Counts): Promise<void> {
  const db = world.t.db;
  const perObs = new Map(
    (
      await db.any<{ obs: string; n: number; distinct: number }>(
        `SELECT obs, count(*)::int AS n, count(DISTINCT feature_id)::int AS distinct FROM ${p.table} GROUP BY obs`,
      )
    ).map((r) => [r.obs, r]),
  );
  for (const o of obs) {
    const want = expectedRows(o, p);
    const got = perObs.get(o.obs);
    if ((got?.n ?? 0) !== want || (got?.distinct ?? 0) !== want) {
      v.push(`${p.table}: observation ${o.obs} (${o.kind}) has ${got?.n ?? 0} rows (${got?.distinct ?? 0} distinct), expected ${want}`);
    }
    perObs.delete(o.obs);
  }
  for (const extra of perObs.keys()) v.push(`${p.table}: rows of an unknown observation ${extra}`);
  const { total, traced } = await db.one<{ total: number; traced: number }>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE f.status = 'loaded' AND f.path LIKE '%/' || t.obs || '.csv')::int AS traced
       FROM ${p.table} t LEFT JOIN ingested_files f ON f.id = t.ingested_file_id`,
  );
  c.rows += total;
  if (traced !== total) v.push(`${p.table}: ${total - traced} row(s) do not lead to the loaded file of their observation`);
  // The unique key would absorb a second load of a file: the counts of the loads themselves tell.
  const wantTotal = obs.reduce((sum, o) => sum + expectedRows(o, p), 0);
  if (total !== wantTotal) v.push(`${p.table}: ${total} rows, expected ${wantTotal}`);

  const files = await db.any<{
    id: number;
    path: string;
    status: string;
    error: string | null;
    rows_inserted: number;
    rows_quarantined: number;
  }>('SELECT id, path, status, error, rows_inserted, rows_quarantined FROM ingested_files WHERE pipeline = $1', [p.name]);
  const byName = new Map<string, typeof files>();
  for (const f of files) byName.set(path.posix.basename(f.path), [...(byName.get(path.posix.basename(f.path)) ?? []), f]);
  for (const o of obs.filter((x) => x.kind !== 'fail')) {
    const name = `${o.obs}.csv`;
    const entries = byName.get(name) ?? [];
    const bad = badCsv(o);
    const status = bad && p.badRows === 'reject' ? 'rejected' : 'loaded';
    if (entries.length !== 1 || entries[0]!.status !== status) {
      v.push(`ingest ledger: ${name} has ${entries.map((e) => e.status).join('+') || 'no entry'}, expected one ${status}`);
      continue;
    }
    const entry = entries[0]!;
    if (entry.rows_inserted !== expectedRows(o, p)) {
      v.push(`ingest ledger: ${name} (${entry.status}) inserted ${entry.rows_inserted} rows, expected ${expectedRows(o, p)}`);
    }
    if (bad && status === 'rejected') {
      const line = o.rows + 2;
      // A NUL byte: its exact place and reason, in the ledger (jsonb cannot hold it).
      const located =
        o.kind === 'nulcsv'
          ? entry.error === world.nulRow(o).error(entry.path)
          : new RegExp(`${name}:${line}(:[\\w-]+)?: `).test(entry.error ?? '');
      if (!located) {
        const want = o.kind === 'nulcsv' ? world.nulRow(o).error(entry.path) : `${name}:${line}`;
        v.push(`ingest ledger: rejected ${name} (${o.kind}) does not name its bad row as ${want}: ${entry.error ?? '(no error)'}`);
      } else {
        c.rejectedCsv++;
        if (o.kind === 'nulcsv') c.nulCsv++;
      }
    }
    if (bad && status === 'loaded') {
      const q = await db.any<{ line: number; reason: string }>('SELECT line, reason FROM quarantine_rows WHERE file_id = $1', [entry.id]);
      const reasonOk = o.kind !== 'nulcsv' || q[0]?.reason === NUL_REASON;
      if (q.length !== 1 || q[0]!.line !== o.rows + 2 || !reasonOk || entry.rows_quarantined !== 1) {
        v.push(
          `quarantine_rows: ${name} (${o.kind}) should hold exactly its line ${o.rows + 2}${o.kind === 'nulcsv' ? ` for "${NUL_REASON}"` : ''}, ` +
            `holds ${JSON.stringify(q)} (rows_quarantined ${entry.rows_quarantined})`,
        );
      } else {
        c.quarantinedRows++;
        if (o.kind === 'nulcsv') c.nulCsv++;
      }
    }
  }
  for (const f of files) {
    if (!byName.has(path.posix.basename(f.path)) || !obs.some((o) => `${o.obs}.csv` === path.posix.basename(f.path))) {
      v.push(`ingest ledger: unexpected file ${f.path}`);
    }
  }
}

/** How long after an outage a run may still fail of it (its record waits for the database, too). */
const OUTAGE_MARGIN_MS = 15_000;

/**
 * Bad input never fails an upload or ingest run: a run of those stages may fail only while
 * a server it needs was down, and never for a NUL byte (once, every ingest run failed,
 * "unsupported Unicode escape sequence", for one such file).
 */
async function auditStageFailures(world: World, outages: readonly Outage[], v: string[], c: Counts): Promise<void> {
  const failed = await world.t.db.any<{
    id: number;
    pipeline: string;
    stage: string;
    started_at: Date;
    finished_at: Date | null;
    error: string | null;
  }>(
    `SELECT id, pipeline, stage, started_at, finished_at, concat_ws(': ', error_code, error) AS error
       FROM runs WHERE stage IN ('upload', 'ingest') AND state = 'failed' ORDER BY id`,
  );
  for (const r of failed) {
    const archive = world.pipelines.find((p) => p.name === r.pipeline)?.protocol === 'sftp' ? 'sshd' : 'vsftpd';
    const end = (r.finished_at ?? r.started_at).getTime();
    const down = outages.some(
      (o) =>
        (o.service === 'postgres' || o.service === archive) &&
        r.started_at.getTime() <= o.to.getTime() + OUTAGE_MARGIN_MS &&
        end >= o.from.getTime(),
    );
    const nul = r.error !== null && (r.error.includes('unsupported Unicode escape sequence') || r.error.includes(NUL_REASON));
    if (!down || nul) {
      v.push(
        `runs: ${r.stage} run ${r.id} of ${r.pipeline} failed ${nul ? 'because of a NUL byte' : 'while the servers it needs were up'}: ${r.error ?? ''}`,
      );
    } else c.outageFailures++;
  }
}

interface TaskRow {
  input: string;
  obs: string;
  job: number;
  attempt: number;
  state: string;
  scheduler_state: string | null;
  retryable: boolean | null;
  exit_code: number | null;
  reason: string | null;
  log_path: string;
}

/** In the map of known jobs: a job that never reached SLURM (see auditJobs). */
const GHOST = 'never submitted';

/** SLURM ends after which the task may run again: its node, not its code, failed. */
const RETRYABLE_SCHEDULER_STATES = new Set(['NODE_FAIL', 'BOOT_FAIL', 'PREEMPTED']);
/** lost: gone before it ever started; interrupted: stopped by the daemon's own shutdown. */
const RETRYABLE_TASK_STATES = new Set(['lost', 'interrupted']);

/**
 * Whether an attempt ended in a way that allows another, by this suite's own list (the
 * product's `retryable` flag is what is being checked, so it cannot be the reference).
 */
function retryableEnd(t: TaskRow): boolean {
  if (RETRYABLE_TASK_STATES.has(t.state)) return true;
  return t.state === 'failed' && (t.exit_code === 75 || RETRYABLE_SCHEDULER_STATES.has(t.scheduler_state ?? ''));
}

async function auditJobs(world: World, p: NightPipeline, obs: NightObs[], v: string[], c: Counts): Promise<Map<string, string>> {
  const db = world.t.db;
  const jobs = await db.any<{ id: number; name: string; state: string; scheduler_id: string | null }>(
    'SELECT id, name, state, scheduler_id FROM jobs WHERE pipeline = $1 ORDER BY id',
    [p.name],
  );
  c.sbatch += jobs.length;
  for (const j of jobs) if (j.state !== 'finished') v.push(`job ${j.name} (SLURM ${j.scheduler_id ?? '?'}) ended in state ${j.state}`);
  const tasks = await db.any<TaskRow>(
    `SELECT input, obs, job, attempt, state, scheduler_state, retryable, exit_code, reason, log_path FROM job_tasks
      WHERE pipeline = $1 ORDER BY obs, attempt, job`,
    [p.name],
  );
  c.tasks += tasks.length;
  const states = new Map(
    (await db.any<{ obs: string; state: string }>('SELECT obs, state FROM observations WHERE pipeline = $1', [p.name])).map((r) => [
      r.obs,
      r.state,
    ]),
  );
  for (const o of obs) {
    const mine = tasks.filter((t) => t.obs === o.obs);
    for (let i = 1; i < mine.length; i++) {
      c.retriedTasks++;
      const before = mine[i - 1]!;
      if (!retryableEnd(before)) {
        v.push(
          `${o.obs}: submitted again (job ${mine[i]!.job}) after a non-retryable end: ${before.state} ${before.scheduler_state ?? ''} exit ${before.exit_code ?? '-'} ${before.reason ?? ''}`,
        );
      }
    }
    const last = mine.at(-1);
    const want = o.kind === 'fail' ? 'failed' : 'done';
    if (states.get(o.obs) !== want) v.push(`observation ${o.obs} (${o.kind}) is ${states.get(o.obs) ?? 'unknown'}, expected ${want}`);
    // The attempts the code itself ended: a task the daemon stopped (interrupted) or lost
    // before it started did not run the code to an end, and is not held against it.
    const ran = mine.filter((t) => !RETRYABLE_TASK_STATES.has(t.state));
    if (o.kind === 'tempfail' && !(ran.length === 2 && ran[0]!.exit_code === 75 && ran[0]!.retryable === true)) {
      v.push(
        `${o.obs}: exit 75 at the first attempt should be retried once: ${JSON.stringify(mine.map((t) => [t.state, t.exit_code, t.retryable]))}`,
      );
    }
    if (o.kind !== 'fail') {
      if (mine.filter((t) => t.state === 'completed').length !== 1) v.push(`${o.obs}: ${mine.length} task(s), not exactly one completed`);
      continue;
    }
    if (ran.length !== 1) {
      v.push(
        `${o.obs}: its detection code failed for good (exit 3), yet it ran ${ran.length} times: ${JSON.stringify(mine.map((t) => [t.job, t.state, t.exit_code]))}`,
      );
    }
    const logged = last ? await readFile(last.log_path, 'utf8').catch(() => '') : '';
    if (
      !last ||
      last.exit_code !== 3 ||
      !last.reason?.includes(o.obs) ||
      !last.reason.includes(last.log_path) ||
      !logged.includes('no usable frame')
    ) {
      v.push(`${o.obs}: failing detection code not recorded with its exit code, reason and log: ${JSON.stringify(last ?? null)}`);
    } else c.failedObservations++;
  }
  // A job a kill cut off between saving its token and sbatch never reached SLURM: its
  // tasks end LOST and run again. auditSacct checks that SLURM indeed never ran it.
  const ghosts = jobs.filter((j) => j.scheduler_id === null && tasks.filter((t) => t.job === j.id).every((t) => t.state === 'lost'));
  c.ghostJobs += ghosts.length;
  return new Map(jobs.map((j) => [j.name, ghosts.includes(j) ? GHOST : (j.scheduler_id ?? '')]));
}

/** sacct's time format: local time, no zone (the rig's slurmdbd runs on this machine). */
function localIso(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** sacct selects by time window: start it well before the night, so that no clock skew can hide a job. */
const SACCT_MARGIN_MS = 3_600_000;

/**
 * The jobs SLURM accounted for under one of this night's names, with their ids. The names
 * carry the night's tag (world.ts): a night running beside this one on the same SLURM,
 * or an earlier one, never counts here.
 */
export async function nightJobsInSacct(world: Pick<World, 'pipelines' | 'startedAt'>): Promise<Map<string, Set<string>>> {
  const since = new Date(world.startedAt.getTime() - SACCT_MARGIN_MS);
  const { stdout } = await execFileAsync('sacct', ['-X', '-n', '-P', '-a', `--starttime=${localIso(since)}`, '-o', 'JobID,JobName'], {
    env: slurmEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  const seen = new Map<string, Set<string>>();
  const prefixes = world.pipelines.map((p) => `noc-${p.name}-`);
  for (const line of stdout.split('\n')) {
    const [id = '', name = ''] = line.split('|');
    if (!prefixes.some((x) => name.startsWith(x))) continue;
    seen.set(name, (seen.get(name) ?? new Set()).add(id.split('_')[0]!));
  }
  return seen;
}

/** Every job SLURM accounted for under one of this night's names was submitted once, and is known to the jobs table. */
export async function auditSacct(world: Pick<World, 'pipelines' | 'startedAt'>, known: Map<string, string>, v: string[]): Promise<void> {
  const seen = await nightJobsInSacct(world);
  for (const [name, ids] of seen) {
    const mine = known.get(name);
    if (mine === GHOST) continue; // reported below
    if (mine === undefined) v.push(`sacct: job ${name} (${[...ids].join(', ')}) is unknown to the jobs table`);
    else if (ids.size !== 1 || !ids.has(mine)) {
      v.push(`sacct: job ${name} was submitted as ${[...ids].join(', ')}, the jobs table says ${mine}`);
    }
  }
  const unseen = [...known].filter(([name, id]) => id !== GHOST && !seen.has(name));
  const byId = await jobsInSacctById(unseen.map(([, id]) => id));
  for (const [name, id] of known) {
    if (id === GHOST) {
      if (seen.has(name)) {
        v.push(`sacct: job ${name} ran as ${[...seen.get(name)!].join(', ')}, yet the jobs table declared it LOST, never submitted`);
      }
    } else if (!seen.has(name) && byId.get(id) !== name) v.push(`sacct: job ${name} (${id}) of the jobs table is unknown to SLURM`);
  }
}

/**
 * Names of jobs asked by id. A job cancelled in the second it was submitted never became
 * eligible ("Eligible: Unknown"), and sacct's time window leaves such jobs out.
 */
async function jobsInSacctById(ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { stdout } = await execFileAsync('sacct', ['-X', '-n', '-P', '-a', '-j', ids.join(','), '-o', 'JobID,JobName'], {
    env: slurmEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  const names = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [id = '', name = ''] = line.split('|');
    if (name !== '') names.set(id.split('_')[0]!, name);
  }
  return names;
}

export async function auditNight(world: World, outages: readonly Outage[]): Promise<Audit> {
  const v: string[] = [];
  const c: Counts = {
    archivedCsv: 0,
    archivedJpeg: 0,
    rows: 0,
    sbatch: 0,
    tasks: 0,
    retriedTasks: 0,
    ghostJobs: 0,
    quarantinedJpeg: 0,
    inflatedJpeg: 0,
    rejectedCsv: 0,
    quarantinedRows: 0,
    nulCsv: 0,
    failedObservations: 0,
    outageFailures: 0,
  };
  const known = new Map<string, string>();
  for (const p of world.pipelines) {
    const obs = world.observations.filter((o) => o.pipeline === p.name);
    await auditArchive(world, p, obs, v, c);
    await auditTransfers(world, p, obs, v, c);
    await auditCatalogue(world, p, obs, v, c);
    for (const [name, id] of await auditJobs(world, p, obs, v, c)) known.set(name, id);
  }
  await auditSacct(world, known, v);
  await auditStageFailures(world, outages, v, c);
  return { counts: c, violations: v };
}

/** What the run stage's timeout cancelled: all of it, and what it cancelled before it could start during the drained window. */
export interface DrainAudit {
  cancelled: number;
  inWindow: number;
  violations: string[];
}

/** How long after the drained window a cancellation may be recorded: the stage's stop budget, and a poll. */
const RECORD_MARGIN_MS = 20_000;

/**
 * The drained-node window must have outlasted a run stage timeout: the stage cancels the
 * tasks that could not start, as interrupted (not failed), and their observations are
 * processed later, exactly once (checked by auditNight).
 */
export async function auditDrain(world: World, drain: Outage | undefined): Promise<DrainAudit> {
  const rows = await world.t.db.any<{ obs: string; state: string; finished_at: Date; reason: string }>(
    `SELECT obs, state, finished_at, reason FROM job_tasks WHERE reason LIKE '%cancelled by nocturne at the stage timeout%'`,
  );
  const violations = rows
    .filter((r) => r.state !== 'interrupted')
    .map((r) => `${r.obs}: cancelled at the stage timeout, yet ${r.state}: ${r.reason}`);
  if (!drain) return { cancelled: rows.length, inWindow: 0, violations: [...violations, 'the drained-node window was not played'] };
  const inWindow = rows.filter(
    (r) =>
      r.reason.includes('before it started') &&
      r.finished_at >= drain.from &&
      r.finished_at.getTime() <= drain.to.getTime() + RECORD_MARGIN_MS,
  ).length;
  if (inWindow === 0) {
    violations.push(
      `the drained-node window (${((drain.to.getTime() - drain.from.getTime()) / 1000).toFixed(1)} s) outlasted no run stage timeout: no task was cancelled before it could start`,
    );
  }
  return { cancelled: rows.length, inWindow, violations };
}

/** How far the night is, and whether nothing is left to do. */
export async function nightProgress(world: World): Promise<{ done: boolean; line: string }> {
  const db = world.t.db;
  const { ended, open, loaded } = await db.one<{ ended: number; open: number; loaded: number }>(
    `SELECT (SELECT count(*) FROM observations WHERE state IN ('done', 'failed'))::int AS ended,
            (SELECT count(*) FROM transfers WHERE state NOT IN ('deleted', 'kept', 'quarantined', 'missing'))::int AS open,
            (SELECT count(*) FROM ingested_files WHERE status IN ('loaded', 'rejected'))::int AS loaded`,
  );
  let waiting = 0;
  for (const p of world.pipelines) {
    waiting += (await readdir(p.outbox).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).length;
  }
  const csvs = world.observations.filter((o) => o.kind !== 'fail').length;
  const total = world.observations.length;
  return {
    done: ended === total && open === 0 && waiting === 0 && loaded === csvs,
    line: `observations ${ended}/${total} ended, ${waiting} file(s) in outboxes, ${open} transfer(s) open, CSVs ${loaded}/${csvs} ingested`,
  };
}
