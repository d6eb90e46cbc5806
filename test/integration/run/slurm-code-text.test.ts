/**
 * Text a detection code writes reaches the database: its log's tail, its file names. A
 * NUL byte or a name that is not UTF-8 must not stop the stage from recording how its
 * tasks ended, nor let an output be lost on its way to the outbox.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, NIGHT, observationStates, outboxFiles, tasksOf, type Harness } from '../../../harness/run-harness.js';

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
  async function runWith(pipelineName: string, observations: Record<string, string>) {
    const code = await h.writeCode('code', CODE);
    const pipeline = h.pipeline(pipelineName, { command: [code, '{input}', '{obs}', '{outdir}'], array: { throttle: 4 }, retries: 0 });
    const obsDir = path.join(h.dir, 'obs', pipelineName, ...NIGHT.split('-'));
    await mkdir(obsDir, { recursive: true });
    for (const [name, line] of Object.entries(observations)) await writeFile(path.join(obsDir, `${name}.obs`), `${line}\n`);
    return h.run(pipeline);
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
});
