import { describe, expect, it } from 'vitest';
import { batchesOf, type Work } from '../../../src/stages/ingest/table/load-work.js';

const work = (name: string, sizeBytes: number, preferStaging = false): Work => ({
  candidate: { path: `/in/${name}`, relPath: name, sizeBytes, modifiedAt: null },
  preferStaging,
});
const names = (batches: ReturnType<typeof batchesOf>) => batches.map((b) => b.works.map((w) => w.candidate.relPath));

describe('batchesOf', () => {
  it('puts up to 50 small files in a batch, in listing order', () => {
    const files = Array.from({ length: 120 }, (_, i) => work(`f${i}`, 1000));
    const batches = batchesOf(files);
    expect(batches.map((b) => [b.works.length, b.unsettled])).toEqual([
      [50, 50],
      [50, 50],
      [20, 20],
    ]);
    expect(batches.flatMap((b) => b.works)).toEqual(files);
  });

  it('closes a batch at 2 MiB of files', () => {
    const files = Array.from({ length: 10 }, (_, i) => work(`f${i}`, 256 * 1024));
    expect(batches(files)).toEqual([8, 2]);
  });

  it('loads alone a file over 256 KiB, or one that probably overlaps loaded rows, without holding back the others', () => {
    const listed = [work('a', 10), work('big', 256 * 1024 + 1), work('b', 10), work('again', 10, true), work('c', 10)];
    expect(names(batchesOf(listed))).toEqual([['big'], ['again'], ['a', 'b', 'c']]);
  });
});

function batches(files: Work[]): number[] {
  return batchesOf(files).map((b) => b.works.length);
}
