import { describe, expect, it } from 'vitest';
import { CsvRecordSplitter, type CsvDialect } from '../../../src/adapters/csv/record-splitter.js';

function split(bytes: Buffer, dialect: Partial<CsvDialect>) {
  const records: string[][] = [];
  const malformed: { line: number; reason: string; column: number | undefined }[] = [];
  const splitter = new CsvRecordSplitter(
    'f.csv',
    { delimiter: ';', quote: '"', encoding: 'utf8', ...dialect },
    {
      record: (fields) => records.push(fields),
      malformed: (line, _raw, reason, column) => malformed.push({ line, reason, column }),
    },
  );
  splitter.write(bytes);
  splitter.end();
  return { records, malformed };
}

describe('the sets dialect of the record splitter', () => {
  it('trims unquoted fields (the blank GDL ends each row with), keeping quoted ones as written', () => {
    const { records } = split(Buffer.from('A;B;C\n1; x ;NULL \n2;" y ";"a;b" \n'), { trim: true });
    expect(records).toEqual([
      ['A', 'B', 'C'],
      ['1', 'x', 'NULL'],
      ['2', ' y ', 'a;b'],
    ]);
    expect(split(Buffer.from('A;B\n1;NULL \n'), {}).records[1]).toEqual(['1', 'NULL ']);
  });

  it('checks Latin-1 and ASCII, locating the first byte that is not text in them', () => {
    const latin1 = { encoding: 'latin1' as const, checked: true };
    expect(split(Buffer.from('A;B\n1;Zo\xe9\n', 'latin1'), latin1)).toEqual({
      records: [
        ['A', 'B'],
        ['1', 'Zoé'],
      ],
      malformed: [],
    });
    expect(split(Buffer.from('A;B\n1;Zoé\n', 'utf8'), latin1).malformed).toEqual([
      { line: 2, column: 5, reason: 'byte 0xc3 starts a UTF-8 character ("é"): the file is UTF-8, not Latin-1 (declare encoding utf8)' },
    ]);
    expect(split(Buffer.from([0x41, 0x3b, 0x42, 0x0a, 0x31, 0x3b, 0x80, 0x0a]), latin1).malformed).toEqual([
      { line: 2, column: 3, reason: 'byte 0x80 is a control character in Latin-1, not text (is the file in another encoding?)' },
    ]);
    expect(split(Buffer.from('A;B\n1;Zo\xe9\n', 'latin1'), { encoding: 'ascii', checked: true }).malformed).toEqual([
      { line: 2, column: 5, reason: 'byte 0xe9 is not ASCII (declare the encoding the code writes: utf8 or latin1)' },
    ]);
    // Unchecked (single-CSV mode), Latin-1 reads any byte as before.
    expect(split(Buffer.from('A;B\n1;Zoé\n', 'utf8'), { encoding: 'latin1' }).malformed).toEqual([]);
  });
});
