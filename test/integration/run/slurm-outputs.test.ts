/**
 * What a task's outputs must be to reach the outbox (issue 15, items 2 and 4): only the
 * outputs of a completed task, checked, moved there by nocturne. A file written beside
 * {outdir} or in a subdirectory of it is reported with the task and kept; an empty file,
 * or an _init.csv without a row, fails the task and ships nothing.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageOutcome } from '../../../src/stages/types.js';
import {
  capturedLogger,
  createHarness,
  NIGHT,
  observationStates,
  outboxFiles,
  tasksOf,
  type Harness,
  type LogLine,
  type TaskRow,
} from '../../../harness/run-harness.js';

const P = 'outputs';

/**
 * The detection code of this test: `code.sh <input> <obs> <outdir>`; the observation file
 * says which way it writes its outputs.
 */
const CODE = `
set -eu
input=$1 obs=$2 out=$3
kind=$(cat "$input")
header="OBS,X"
good() { printf 'jpeg' > "$out/$obs.jpg"; printf '%s\\n%s,1\\n' "$header" "$obs" > "$out/\${obs}_init.csv"; printf '%s\\n' "$header" > "$out/\${obs}_feat.csv"; }
case $kind in
  good) good ;;
  escape)
    good
    echo stray > "$out/../beside_init.csv"
    mkdir -p "$out/sub"; echo nested > "$out/sub/nested_init.csv"
    echo far > "$out/../../far.csv" ;;
  empty) printf 'jpeg' > "$out/$obs.jpg"; : > "$out/\${obs}_init.csv" ;;
  header) printf 'jpeg' > "$out/$obs.jpg"; printf '%s\\n\\n' "$header" > "$out/\${obs}_init.csv" ;;
  failing) good; echo partial > "$out/../failing-scratch.csv"; exit 3 ;;
esac
`;

describe('run stage on SLURM: what reaches the outbox', () => {
  let h: Harness;
  let outcome: StageOutcome;
  let tasks: TaskRow[];
  let lines: LogLine[];
  const task = (obs: string) => tasks.find((t) => t.obs === obs)!;

  beforeAll(async () => {
    h = await createHarness(P, 'slurm');
    const code = await h.writeCode('code', CODE);
    const pipeline = h.pipeline(P, { command: [code, '{input}', '{obs}', '{outdir}'], array: { throttle: 8 }, retries: 0 });
    const obsDir = path.join(h.dir, 'obs', P, ...NIGHT.split('-'));
    await mkdir(obsDir, { recursive: true });
    for (const kind of ['good', 'escape', 'empty', 'header', 'failing']) await writeFile(path.join(obsDir, `${kind}.obs`), kind);
    const captured = capturedLogger();
    lines = captured.lines;
    outcome = await h.run(pipeline, { extra: { logger: captured.logger } });
    tasks = await tasksOf(h.t, P);
  }, 60_000);
  afterAll(async () => h?.close());

  it('moves into the outbox only the outputs of completed tasks, and nothing written beside them', async () => {
    expect(await readdir(h.outbox(P))).toEqual([
      'escape.jpg',
      'escape_feat.csv',
      'escape_init.csv',
      'good.jpg',
      'good_feat.csv',
      'good_init.csv',
    ]);
    expect(task('good')).toMatchObject({ state: 'completed', outputs: ['good.jpg', 'good_feat.csv', 'good_init.csv'] });
    expect(await observationStates(h.t, P)).toEqual({ good: 'done', escape: 'done', empty: 'failed', header: 'failed', failing: 'failed' });
  });

  it('reports the files a task wrote and did not publish, with the task, and keeps them', async () => {
    const escape = task('escape');
    expect(escape).toMatchObject({ state: 'completed' });
    const left = (
      await h.t.db.one<{ left_files: string[] }>(`SELECT left_files FROM job_tasks WHERE pipeline = $1 AND obs = 'escape'`, [P])
    ).left_files;
    expect(left).toEqual(['beside_init.csv', 'out/sub/nested_init.csv']);
    const warning = lines.find((l) => l.level === 40 && l.msg.includes('observation escape') && l.msg.includes('did not publish'));
    expect(warning?.msg).toMatch(
      /^outputs: observation escape \(job noc-outputs-\w+, SLURM \d+_\d, attempt 1\): wrote 2 file\(s\) it did not publish, kept in \S+\/task-\d: beside_init\.csv, out\/sub\/nested_init\.csv$/,
    );
    const dir = /kept in (\S+):/.exec(warning!.msg)![1]!;
    expect((await readdir(dir, { recursive: true })).sort()).toEqual(['beside_init.csv', 'out', 'out/sub', 'out/sub/nested_init.csv']);
    // Written above the task's own directory: only the job can be named.
    expect(lines.find((l) => l.msg.includes('outside its own directory'))?.msg).toMatch(
      /^outputs: job noc-outputs-\w+: 1 file\(s\) written by one of its tasks outside its own directory, kept in \S+: far\.csv$/,
    );
    expect(outcome.stats).toMatchObject({ leftFiles: 4 });
  });

  it('fails a task whose output is empty, or whose _init.csv has no row, naming the file', () => {
    expect(task('empty')).toMatchObject({ state: 'failed', exit_code: 0, retryable: false });
    expect(task('empty').reason).toMatch(
      /^outputs: observation empty \(job noc-outputs-\w+, SLURM \d+_\d, attempt 1\): the detection code wrote an empty file empty_init\.csv \(0 bytes\); set aside, not retried; its files stay in \S+; log /,
    );
    expect(task('header').reason).toContain('the detection code wrote header_init.csv with a header and no rows; set aside, not retried');
    // A _feat.csv with its header alone is a night without features: good and escape completed with one.
    expect(task('good').outputs).toContain('good_feat.csv');
  });

  it('ships nothing of a failed task, and keeps what it wrote for a person', () => {
    expect(task('failing')).toMatchObject({ state: 'failed', exit_code: 3 });
    expect(task('failing').reason).toMatch(
      /the detection code exited with status 3; set aside, not retried; its files stay in \S+\/task-\d; log /,
    );
    expect(outcome).toMatchObject({ ok: false, stats: { completed: 2, failed: 3 } });
  });

  it('leaves no trace of its work in the outbox', async () => {
    expect(await outboxFiles(h.outbox(P))).toEqual(await readdir(h.outbox(P)));
  });
});
