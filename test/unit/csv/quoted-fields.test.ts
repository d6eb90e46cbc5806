import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { plainQuotedFields } from '../../../src/adapters/csv/quoted-fields.js';

/** What csv-parse reads of one record with the splitter's options, or undefined when it refuses it or finds more than one record. */
function csvParse(text: string, trim: boolean): string[] | undefined {
  try {
    const rows = parse(text, { delimiter: ';', quote: '"', escape: '"', relax_column_count: true, trim });
    return rows.length === 1 ? rows[0] : undefined;
  } catch {
    return undefined;
  }
}

/** A small deterministic generator (the same records every run). */
function* records(count: number): Generator<string> {
  let seed = 12345;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pieces = ['a', 'x y', ' ', '\t', '"', '""', ';', '1.5e3', 'é', '\u00a0', '\uFEFF', 'NULL', 'http://h/?a=1&b=[2]', ''];
  for (let i = 0; i < count; i++) {
    const fields = Array.from({ length: 1 + next(5) }, () => {
      const body = Array.from({ length: next(4) }, () => pieces[next(pieces.length)]).join('');
      switch (next(4)) {
        case 0:
          return `"${body.replaceAll('"', '""')}"`;
        case 1:
          return `${' '.repeat(next(2))}"${body.replaceAll('"', '""')}"${' '.repeat(next(2))}`;
        default:
          return body;
      }
    });
    const text = fields.join(';');
    if (text.includes('"')) yield text;
  }
}

describe('plainQuotedFields', () => {
  it('reads a quoted URL between unquoted fields, doubled quotes as one', () => {
    expect(plainQuotedFields('1;"http://a/?x=1;y=[2]";"say ""hi""";', ';', '"', false)).toEqual([
      '1',
      'http://a/?x=1;y=[2]',
      'say "hi"',
      '',
    ]);
    expect(plainQuotedFields(' 1 ;"  kept  ";last ', ';', '"', true)).toEqual(['1', '  kept  ', 'last']);
  });

  it('leaves to csv-parse what is not plainly quoted', () => {
    for (const text of ['1;"x"y', '1;ab"c"d', '1;"open', '1; "x"', '1;"x" ;2', '"a\nb"', '1;"x";\u00a0y']) {
      expect(plainQuotedFields(text, ';', '"', true), text).toBeUndefined();
    }
  });

  it('reads every record it takes as csv-parse does', () => {
    let taken = 0;
    for (const text of records(20_000)) {
      for (const trim of [false, true]) {
        const fields = plainQuotedFields(text, ';', '"', trim);
        if (fields === undefined) continue;
        taken++;
        expect(fields, `${JSON.stringify(text)} trim ${trim}`).toEqual(csvParse(text, trim));
      }
    }
    expect(taken).toBeGreaterThan(5_000);
  });
});
