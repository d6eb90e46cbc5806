import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExitMarker } from '../../../src/executors/job-files.js';
import { checkOutputs } from '../../../src/stages/run/outputs.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-outputs-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const marker = (csv: string[]): ExitMarker => ({ rc: 0, outputsIn: 'task', csv, quicklooks: [], left: [], links: [], notUtf8: [] });
const check = (name: string) => checkOutputs(dir, marker([name]), ['*_init.csv']);

describe('the outputs of a code that exited 0', () => {
  it('needs a row under the header of an _init.csv; blank lines are none', async () => {
    await writeFile(path.join(dir, 'a_init.csv'), 'OBS,X\r\n\r\n  \na,1');
    await writeFile(path.join(dir, 'b_init.csv'), '\n OBS,X \r\n\t\n');
    expect(await check('a_init.csv')).toEqual({ kind: 'ok', files: ['a_init.csv'] });
    expect(await check('b_init.csv')).toEqual({ kind: 'bad', reason: 'the detection code wrote b_init.csv with a header and no rows' });
  });

  it('reads no more of an _init.csv than it needs: a huge line is not held in memory', async () => {
    // 600 MB after the header, sparse, without a newline: longer than a string can be.
    const handle = await open(path.join(dir, 'c_init.csv'), 'w');
    await handle.write('OBS,X\n');
    await handle.truncate(600 * 1024 * 1024);
    await handle.close();
    expect(await check('c_init.csv')).toEqual({ kind: 'ok', files: ['c_init.csv'] });
  });
});
