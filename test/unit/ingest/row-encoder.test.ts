import { describe, expect, it } from 'vitest';
import { compileRowEncoder } from '../../../src/stages/ingest/table/row-encoder.js';

const config = {
  csv: { delimiter: ';', quote: '"', encoding: 'utf8' as const, nullValues: ['NULL', ''] },
  columns: {
    id_feat: { from: 'ID_FEAT', type: 'int' as const, nullable: false },
    run_date: { from: 'RUN_DATE', type: 'timestamp' as const, format: '%Y-%m-%dT%H:%M:%S', nullable: false },
    cc: { from: 'CC', type: 'text' as const, nullable: true },
  },
};

describe('compileRowEncoder', () => {
  const encoder = compileRowEncoder(config, ['RUN_DATE', ' ID_FEAT ', 'IGNORED', 'CC'], 'f.csv');

  it('maps columns by header name, in table-column order, as COPY text', () => {
    expect(encoder.columns).toEqual(['id_feat', 'run_date', 'cc']);
    expect(encoder.encode(['2026-11-21T02:00:00', '7', 'x', 'a\tb'])).toBe('7\t2026-11-21 02:00:00+00\ta\\tb');
    expect(encoder.encode(['2026-11-21T02:00:00', '7', 'x', 'NULL'])).toBe('7\t2026-11-21 02:00:00+00\t\\N');
    expect(encoder.encode(['2026-11-21T02:00:00', '7', 'x', ''])).toBe('7\t2026-11-21 02:00:00+00\t\\N');
  });

  it('refuses a row with the wrong number of fields', () => {
    expect(encoder.encode(['2026-11-21T02:00:00', '7', 'x'])).toBeUndefined();
    expect(encoder.issue).toEqual({ line: 0, reason: 'expected 4 fields, found 3' });
  });

  it('refuses NULL in a required column and values of the wrong type, naming the CSV column', () => {
    expect(encoder.encode(['2026-11-21T02:00:00', 'NULL', 'x', 'c'])).toBeUndefined();
    expect(encoder.issue).toEqual({ line: 0, column: 'ID_FEAT', value: 'NULL', reason: 'NULL in required column ID_FEAT' });
    expect(encoder.encode(['2026-11-21', '7', 'x', 'c'])).toBeUndefined();
    expect(encoder.issue).toMatchObject({ column: 'RUN_DATE', value: '2026-11-21' });
    expect(encoder.issue.reason).toMatch(/is not a timestamp in the format/);
  });

  it('fails the file when a mapped column is missing from the header, or there twice', () => {
    expect(() => compileRowEncoder(config, ['ID_FEAT', 'CC'], 'f.csv')).toThrow(
      'f.csv:1:RUN_DATE: header has no column RUN_DATE (mapped to run_date)',
    );
    expect(() => compileRowEncoder(config, ['ID_FEAT', 'RUN_DATE', 'CC', 'CC'], 'f.csv')).toThrow('f.csv:1:CC: header has column CC twice');
  });
});
