import { describe, expect, it } from 'vitest';
import { LineMap } from '../../../src/stages/ingest/table/parse-pass.js';

describe('LineMap', () => {
  it('maps COPY row numbers back to file lines across gaps (bad rows, multi-line records)', () => {
    const map = new LineMap();
    const lines = [2, 3, 4, 6, 7, 10, 13, 14, 15];
    for (const line of lines) map.push(line);
    expect(lines.map((_, i) => map.line(i + 1))).toEqual(lines);
    expect(map.line(0)).toBeUndefined();
    expect(map.line(10)).toBeUndefined();
    expect(map.line(Number.NaN)).toBeUndefined();
  });

  it('stays exact over a long run of consecutive lines', () => {
    const map = new LineMap();
    for (let line = 2; line <= 100_001; line++) map.push(line);
    expect(map.line(1)).toBe(2);
    expect(map.line(54_321)).toBe(54_322);
    expect(map.line(100_000)).toBe(100_001);
  });
});
