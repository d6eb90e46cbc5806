// The record limit through the real stage (issue 14): a file is read in 64 KiB chunks,
// and where they end must not decide whether a record of 8 MiB loads.
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES } from '../../../src/adapters/csv/record-splitter.js';
import { featureCsv } from './feature-csv.js';
import { useWorlds } from './use-world.js';

const newWorld = useWorlds();
const CHUNK = 64 * 1024;
const CC = 13;

/**
 * A feature CSV of three lines whose third record holds `size` bytes (its CC padded),
 * ended by `end`, placed so that the LF closing it is byte `lfAt` of a 64 KiB chunk.
 */
function csv(name: string, size: number, end: '\n' | '\r\n', lfAt: number): Buffer {
  const [header, second, third] = featureCsv(name, 2).split('\n') as [string, string, string];
  const padded = (line: string, bytes: number) => {
    const fields = line.split(';');
    fields[CC] = '';
    fields[CC] = '4'.repeat(bytes - fields.join(';').length);
    return fields.join(';');
  };
  const before = header.length + 1 + second.length + 1;
  // The second record takes the slack, so that the third one's LF falls where wanted.
  const lf = before + size + end.length - 1;
  const pad = (((lfAt - lf) % CHUNK) + CHUNK) % CHUNK;
  const text = `${header}\n${padded(second, second.length + pad)}\n${padded(third, size)}${end}`;
  const bytes = Buffer.from(text);
  expect(bytes.indexOf('\n', bytes.length - 1) % CHUNK).toBe(lfAt);
  return bytes;
}

describe('ingest: the record limit, wherever the chunks of a file end', () => {
  it(`loads a record of ${MAX_RECORD_BYTES} bytes and refuses one byte more, whatever the chunk boundaries`, async () => {
    const world = await newWorld('record-limit');
    // Before: refused, as the chunk before its LF held its CR, one byte over.
    await world.write('at-limit.csv', csv('at-limit.csv', MAX_RECORD_BYTES, '\r\n', 0));
    // Before: loaded, as its LF came in the chunk that took it over the limit.
    await world.write('over-limit.csv', csv('over-limit.csv', MAX_RECORD_BYTES + 1, '\n', 100));
    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ loaded: 1, rejected: 1, failed: 0 });
    const ledger = await world.ledger();
    expect(ledger.find((l) => l.path.endsWith('at-limit.csv'))).toMatchObject({ status: 'loaded', rows_inserted: 2 });
    expect(ledger.find((l) => l.path.endsWith('over-limit.csv'))?.error).toBe(
      `${world.source}/over-limit.csv:3: record longer than 8 MiB (8388608 bytes), the most a CSV record may hold (its line end not counted)`,
    );
    const [long] = await world.db.any<{ n: number }>('SELECT length(cc) AS n FROM $1:name.sunspots WHERE id_feat = 2', [world.hfc]);
    expect(long!.n).toBeGreaterThan(MAX_RECORD_BYTES - 200);
    expect(await readdir(world.source)).toEqual(['at-limit.csv']);
  });
});
