/**
 * Text a detection code writes reaches the database: its log's tail, its file names. A
 * NUL byte or a name that is not UTF-8 must not stop the stage from recording how its
 * tasks ended, nor let an output be lost on its way to the outbox.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  capturedLogger,
  createHarness,
  NIGHT,
  observationStates,
  outboxFiles,
  tasksOf,
  type Harness,
  type LogLine,
} from '../../../harness/run-harness.js';

/** `code.sh <input> <obs> <outdir>`: runs the first line of its input; good() writes whole outputs. */
const CODE = `
set -u
input=$1 obs=$2 out=$3
good() { printf 'jpeg' > "$out/$obs.jpg"; printf 'OBS,X\\n%s,1\\n' "$obs" > "$out/\${obs}_init.csv"; }
IFS= read -r line < "$input"
eval "$line"
`;

describe('run stage on SLURM: what a code writes cannot break the records', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('code-text', 'slurm');
  });
  afterAll(async () => h?.close());

  /** Writes the observations (name → first line) of a pipeline running CODE, and runs it once. */
  async function runWith(pipelineName: string, observations: Record<string, string>, lines: LogLine[] = []) {
    const code = await h.writeCode('code', CODE);
    const pipeline = h.pipeline(pipelineName, { command: [code, '{input}', '{obs}', '{outdir}'], array: { throttle: 4 }, retries: 0 });
    const obsDir = path.join(h.dir, 'obs', pipelineName, ...NIGHT.split('-'));
    await mkdir(obsDir, { recursive: true });
    for (const [name, line] of Object.entries(observations)) await writeFile(path.join(obsDir, `${name}.obs`), `${line}\n`);
    const captured = capturedLogger();
    const outcome = await h.run(pipeline, { extra: { logger: captured.logger } });
    lines.push(...captured.lines);
    return outcome;
  }

  it('records a failed task whose log holds a NUL byte and bytes that are not UTF-8, and the good one beside it', async () => {
    const P = 'nul';
    const outcome = await runWith(P, { bad: String.raw`printf "bad\0byte\xff\xfe\n"; exit 3`, fine: 'good' });
    expect(outcome.error?.code).toBe('JOB_FAILED');
    expect(await observationStates(h.t, P)).toEqual({ bad: 'failed', fine: 'done' });
    const [bad, fine] = await tasksOf(h.t, P);
    expect(bad).toMatchObject({ state: 'failed', exit_code: 3 });
    expect(bad!.log_tail).toContain('bad\\0byte\uFFFD\uFFFD');
    expect(fine).toMatchObject({ state: 'completed', outputs: ['fine.jpg', 'fine_init.csv'] });
    expect(await outboxFiles(h.outbox(P))).toEqual(['fine.jpg', 'fine_init.csv']);
  });

  it('never replaces a file in the outbox: a second output of the same name fails its observation, its files kept', async () => {
    const P = 'same';
    const lines: LogLine[] = [];
    const writes = (row: string) => String.raw`printf jpeg > "$out/$obs.jpg"; printf 'OBS,X\n${row},1\n' > "$out/same_init.csv"`;
    // Waiting for upload from an earlier night: a later task's output of that name must not replace it.
    await mkdir(h.outbox(P), { recursive: true });
    await writeFile(path.join(h.outbox(P), 'waiting_init.csv'), 'OBS,X\nw0,1\n');
    const outcome = await runWith(
      P,
      {
        j_same1: writes('j1'),
        k_same2: `sleep 2; ${writes('k2')}`,
        late: String.raw`printf jpeg > "$out/$obs.jpg"; printf 'OBS,X\nl1,1\n' > "$out/waiting_init.csv"`,
      },
      lines,
    );
    expect(outcome).toMatchObject({ ok: false, stats: { completed: 1, failed: 2 } });
    expect(await observationStates(h.t, P)).toEqual({ j_same1: 'done', k_same2: 'failed', late: 'failed' });
    expect(await readFile(path.join(h.outbox(P), 'same_init.csv'), 'utf8')).toBe('OBS,X\nj1,1\n');
    expect(await readFile(path.join(h.outbox(P), 'waiting_init.csv'), 'utf8')).toBe('OBS,X\nw0,1\n');
    expect(await outboxFiles(h.outbox(P))).toEqual(['j_same1.jpg', 'same_init.csv', 'waiting_init.csv']);
    const tasks = await tasksOf(h.t, P);
    const k = tasks.find((t) => t.obs === 'k_same2')!;
    expect(k).toMatchObject({ state: 'failed', exit_code: 0, retryable: false, outputs: null });
    expect(k.reason).toMatch(
      /^same: observation k_same2 \(job noc-same-\w+, SLURM \d+_\d, attempt 1\): its output same_init\.csv has the name of another file already in the outbox \(\S+\/outbox\/same\/same_init\.csv, published by observation j_same1, not yet uploaded, or kept there\): nothing of the task is published, so as not to replace it; the code must give each observation's outputs names of their own \(with \{obs\} in them\); set aside, not retried; its files stay in (\S+); log \S+$/,
    );
    const kept = /its files stay in (\S+);/.exec(k.reason!)![1]!;
    expect((await readdir(path.join(kept, 'out'))).sort()).toEqual(['k_same2.jpg', 'same_init.csv']);
    expect(await readFile(path.join(kept, 'out', 'same_init.csv'), 'utf8')).toBe('OBS,X\nk2,1\n');
    expect(tasks.find((t) => t.obs === 'late')!.reason).toContain(
      `its output waiting_init.csv has the name of another file already in the outbox (${h.outbox(P)}/waiting_init.csv, not yet uploaded, or kept there)`,
    );
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(expect.arrayContaining([k.reason]));
  });

  // Publishing by link refused every name taken: an observation run again (a retry, a campaign) failed for good on its own earlier output.
  it('replaces the earlier output of the same observation when it runs again, its old one still in the outbox', async () => {
    const P = 'again';
    expect(await runWith(P, { a: 'good' })).toMatchObject({ ok: true, stats: { completed: 1 } });
    // What a retry of the observation does to it (operations/retry-apply.ts).
    await h.t.db.none(`UPDATE observations SET state = 'pending', retry_at = NULL WHERE pipeline = $1`, [P]);
    await writeFile(
      path.join(h.dir, 'obs', P, ...NIGHT.split('-'), 'a.obs'),
      String.raw`printf jpeg2 > "$out/$obs.jpg"; printf 'OBS,X\n%s,2\n' "$obs" > "$out/$obs"_init.csv` + '\n',
    );
    expect(await runWith(P, {})).toMatchObject({ ok: true, stats: { completed: 1 } });
    expect(await observationStates(h.t, P)).toEqual({ a: 'done' });
    expect(await readFile(path.join(h.outbox(P), 'a_init.csv'), 'utf8')).toBe('OBS,X\na,2\n');
    expect(await outboxFiles(h.outbox(P))).toEqual(['a.jpg', 'a_init.csv']);
  });

  it('never takes a dot name for an output: it is reported with the files the task did not publish, and kept', async () => {
    const P = 'dot';
    const lines: LogLine[] = [];
    const dotted = String.raw`printf "OBS,X\n1,1\n" > "$out/.$obs"_init.csv`;
    const outcome = await runWith(P, { hidden: String.raw`printf jpeg > "$out/$obs.jpg"; ${dotted}`, beside: `good; ${dotted}` }, lines);
    expect(outcome).toMatchObject({ ok: false, stats: { completed: 1, failed: 1 } });
    expect(await outboxFiles(h.outbox(P))).toEqual(['beside.jpg', 'beside_init.csv']);
    expect(await readdir(h.outbox(P))).toEqual(expect.not.arrayContaining(['.beside_init.csv', '.hidden_init.csv']));
    const [beside, hidden] = await tasksOf(h.t, P);
    expect(hidden).toMatchObject({ state: 'failed', exit_code: 0 });
    expect(hidden!.reason).toContain('the detection code exited 0 but wrote no file matching *.csv in its output directory');
    expect(beside).toMatchObject({ state: 'completed', outputs: ['beside.jpg', 'beside_init.csv'] });
    const left = lines.find((l) => l.msg.includes('observation beside') && l.msg.includes('did not publish'))!.msg;
    expect(left).toMatch(/wrote 1 file\(s\) it did not publish, kept in (\S+): out\/\.beside_init\.csv$/);
    const dir = /kept in (\S+):/.exec(left)![1]!;
    expect(await readFile(path.join(dir, 'out', '.beside_init.csv'), 'utf8')).toBe('OBS,X\n1,1\n');
  });

  it('says why an output is not taken: a symbolic link, a name that is not UTF-8', async () => {
    const P = 'names';
    const started = Date.now();
    const outcome = await runWith(P, {
      linked: String.raw`printf jpeg > "$out/$obs.jpg"; printf 'OBS,X\n1,1\n' > "$out/../real.csv"; ln -s ../real.csv "$out/$obs"_init.csv`,
      latin: String.raw`printf jpeg > "$out/$obs.jpg"; printf 'OBS,X\n1,1\n' > "$out/caf"$'\xe9'_init.csv`,
    });
    // Judged at once: a name that is not UTF-8 is not an output awaited on a lagging filesystem.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(outcome).toMatchObject({ ok: false, stats: { completed: 0, failed: 2 } });
    const [latin, linked] = await tasksOf(h.t, P);
    expect(linked!.reason).toContain(
      'the detection code exited 0 but wrote no file matching *.csv in its output directory: linked_init.csv there is a symbolic link, which is not taken (write the file itself); set aside, not retried; its files stay in',
    );
    expect(latin!.reason).toContain(
      'the detection code wrote an output named caf\uFFFD_init.csv, a name that is not UTF-8 (\uFFFD stands for its other bytes): not taken; the code must name its outputs in UTF-8; set aside, not retried; its files stay in',
    );
    const kept = /its files stay in (\S+);/.exec(latin!.reason!)![1]!;
    expect(await readdir(path.join(kept, 'out'), { encoding: 'buffer' })).toContainEqual(Buffer.from('caf\xe9_init.csv', 'latin1'));
    expect(await outboxFiles(h.outbox(P))).toEqual([]);
  });

  it('refuses an input whose name holds a control character or is not UTF-8, saying so once, and runs the others', async () => {
    const P = 'inputs';
    const obsDir = path.join(h.dir, 'obs', P, ...NIGHT.split('-'));
    await mkdir(obsDir, { recursive: true });
    await writeFile(path.join(obsDir, 'nl\nx.obs'), 'good\n');
    await writeFile(Buffer.from(`${obsDir}/caf\xe9.obs`, 'latin1'), 'good\n');
    const first: LogLine[] = [];
    expect(await runWith(P, { fine: 'good' }, first)).toMatchObject({ ok: true, stats: { observations: 1, refused: 2, completed: 1 } });
    expect(first.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      `inputs: input ${JSON.stringify(`${obsDir}/caf\uFFFD.obs`)}: its name is not valid UTF-8 (\uFFFD stands for its other bytes): not run; rename the file`,
      `inputs: input ${JSON.stringify(`${obsDir}/nl\nx.obs`)}: its name holds a control character: not run; rename the file`,
    ]);
    expect(await observationStates(h.t, P)).toEqual({ fine: 'done' });
    // The next run counts them, and neither fails nor says it again.
    const again: LogLine[] = [];
    const outcome = await runWith(P, {}, again);
    expect(outcome).toMatchObject({ ok: true, stats: { observations: 1, skipped: 1, refused: 2 } });
    expect(outcome.summary).toContain('2 inputs refused by name, not run (see the log)');
    expect(again.filter((l) => l.level >= 50)).toEqual([]);
  });
});
