import { describe, expect, it } from 'vitest';
import { CsvRecordSplitter, type CsvDialect } from '../../../src/adapters/csv/record-splitter.js';

type Event = { line: number; fields?: string[]; raw: string; reason?: string; at?: number };

/**
 * Feeds `bytes` in pieces of `step` bytes (1 = every possible chunk boundary), through
 * one reused buffer, as chunksOf() does: the splitter must not keep any of it.
 */
function split(bytes: Buffer | string, dialect: Partial<CsvDialect> = {}, step = 1): Event[] {
  const events: Event[] = [];
  const splitter = new CsvRecordSplitter(
    'f.csv',
    { delimiter: ';', quote: '"', encoding: 'utf8', ...dialect },
    {
      record: (fields, line, raw) => events.push({ line, fields, raw }),
      malformed: (line, raw, reason, at) => events.push({ line, raw, reason, ...(at === undefined ? {} : { at }) }),
    },
  );
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const scratch = Buffer.alloc(step);
  for (let i = 0; i < buffer.length; i += step) {
    const n = buffer.copy(scratch, 0, i, i + step);
    splitter.write(scratch.subarray(0, n));
    scratch.fill(0x23);
  }
  splitter.end();
  return events;
}

describe('CsvRecordSplitter', () => {
  it('splits unquoted records on the delimiter, numbering physical lines', () => {
    expect(split('A;B\n1;2\n\n3;4')).toEqual([
      { line: 1, fields: ['A', 'B'], raw: 'A;B' },
      { line: 2, fields: ['1', '2'], raw: '1;2' },
      { line: 4, fields: ['3', '4'], raw: '3;4' },
    ]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const text = 'A;B;C\r\n1;"x;y";"multi\r\nline"\r\n2;"say ""hi""";é☉\r\n';
    const expected = split(text, {}, 4096);
    expect(expected.map((e) => e.fields)).toEqual([
      ['A', 'B', 'C'],
      ['1', 'x;y', 'multi\r\nline'],
      ['2', 'say "hi"', 'é☉'],
    ]);
    expect(expected.map((e) => e.line)).toEqual([1, 2, 4]);
    for (const step of [1, 2, 3, 5, 7]) expect(split(text, {}, step)).toEqual(expected);
  });

  it('drops a UTF-8 byte order mark', () => {
    expect(split(Buffer.from('\uFEFFA;B\n1;2\n'))[0]?.fields).toEqual(['A', 'B']);
  });

  it('reports invalid UTF-8 on its line and goes on', () => {
    const bytes = Buffer.concat([Buffer.from('A;B\n1;ok\n2;'), Buffer.from([0x52, 0x65, 0x6e, 0x69, 0xe9]), Buffer.from('\n3;ok\n')]);
    for (const step of [1, 4096]) {
      expect(split(bytes, {}, step)).toEqual([
        { line: 1, fields: ['A', 'B'], raw: 'A;B' },
        { line: 2, fields: ['1', 'ok'], raw: '1;ok' },
        { line: 3, raw: '2;Reni\uFFFD', reason: 'invalid UTF-8: byte 0xe9 at byte 7 of the line', at: 7 },
        { line: 4, fields: ['3', 'ok'], raw: '3;ok' },
      ]);
    }
  });

  it('refuses a line holding a NUL byte at its character, in every encoding, and goes on', () => {
    const nul = 'byte 0x00 (NUL) is not text: PostgreSQL cannot store it (a damaged file, or one in UTF-16?)';
    for (const encoding of ['utf8', 'latin1', 'ascii'] as const) {
      for (const step of [1, 4096]) {
        expect(split(Buffer.from('A;B\n1;Zo\0e\n2;ok\n'), { encoding }, step)).toEqual([
          { line: 1, fields: ['A', 'B'], raw: 'A;B' },
          { line: 2, raw: '1;Zo\0e', reason: nul, at: 5 },
          { line: 3, fields: ['2', 'ok'], raw: '2;ok' },
        ]);
      }
    }
    // The first of a NUL and a byte that is not UTF-8 is the one reported.
    expect(split(Buffer.from([0x41, 0x0a, 0xff, 0x00, 0x0a]))[1]).toMatchObject({
      line: 2,
      at: 1,
      reason: 'invalid UTF-8: byte 0xff at byte 1 of the line',
    });
    expect(split(Buffer.from([0x41, 0x0a, 0x00, 0xff, 0x0a]))[1]).toMatchObject({ line: 2, at: 1, reason: nul });
    // Inside a quoted field, the record is refused from its first line.
    expect(split(Buffer.from('A;B\n1;"x\ny\0"\n2;ok\n'))[1]).toEqual({
      line: 2,
      raw: '1;"x\ny\0"',
      reason: `${nul} (inside a quoted field)`,
    });
  });

  it('reads Latin-1 when told to', () => {
    const bytes = Buffer.from('A;B\n1;Reni\xe9\n', 'latin1');
    expect(split(bytes, { encoding: 'latin1' })[1]?.fields).toEqual(['1', 'Renié']);
  });

  it('reports bad quoting as a malformed record, located at its first line', () => {
    expect(split('A;B\n1;"x"y\n2;z\n')).toEqual([
      { line: 1, fields: ['A', 'B'], raw: 'A;B' },
      { line: 2, raw: '1;"x"y', reason: 'a closing quote is followed by text instead of a delimiter' },
      { line: 3, fields: ['2', 'z'], raw: '2;z' },
    ]);
    expect(split('A;B\n1;ab"c"d\n')[1]).toMatchObject({ line: 2, reason: 'a quote inside an unquoted field' });
  });

  it('fails the file on a quote that is never closed', () => {
    expect(() => split('A;B\n1;ok\n2;"open\n3;x\n')).toThrow('f.csv:3: unterminated quoted field: its closing quote never comes');
  });

  it('honours another delimiter and quote', () => {
    expect(split("A,B\n1,'x,y'\n", { delimiter: ',', quote: "'" })[1]?.fields).toEqual(['1', 'x,y']);
  });
});
