// The record limit (issue 14): one rule, applied exactly whatever the chunks a file is
// read in. A record holds at most MAX_RECORD_BYTES bytes, its line end (LF or CRLF) not
// counted; a quoted field spanning lines makes one record of all of them.
import { describe, expect, it } from 'vitest';
import { CsvRecordSplitter, MAX_RECORD_BYTES, type CsvDialect } from '../../../src/adapters/csv/record-splitter.js';

type Outcome = { records: { line: number; fields: string[] }[] } | { error: string };

/** Splits `bytes` fed in the chunks that `cuts` (offsets, ascending) make, through one reused buffer as chunksOf() does. */
function split(bytes: Buffer, cuts: readonly number[], maxBytes: number, dialect: Partial<CsvDialect> = {}): Outcome {
  const records: { line: number; fields: string[] }[] = [];
  const splitter = new CsvRecordSplitter(
    'f.csv',
    { delimiter: ';', quote: '"', encoding: 'utf8', ...dialect },
    {
      record: (fields, line) => records.push({ line, fields }),
      malformed: (line, _raw, reason) => records.push({ line, fields: [`malformed: ${reason}`] }),
    },
    maxBytes,
  );
  const scratch = Buffer.alloc(bytes.length);
  try {
    let from = 0;
    for (const to of [...cuts, bytes.length]) {
      const n = bytes.copy(scratch, 0, from, to);
      splitter.write(scratch.subarray(0, n));
      scratch.fill(0x23, 0, n);
      from = to;
    }
    splitter.end();
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { records };
}

/** Every way of cutting `bytes` in two, and in one-byte chunks. */
function everyChunking(length: number): number[][] {
  const all = Array.from({ length: length + 1 }, (_, at) => [at]);
  all.push(Array.from({ length }, (_, at) => at));
  return all;
}

const LIMIT = 16;
const TOO_LONG = (line: number) => ({
  error: `f.csv:${line}: record longer than 16 bytes, the most a CSV record may hold (its line end not counted)`,
});

/** Records of `size` bytes, as each writer might end or quote them; `fields` is what the record must read as. */
const SHAPES: { name: string; make(size: number): { bytes: Buffer; fields: string[]; line: number }; dialect?: Partial<CsvDialect> }[] = [
  { name: 'LF', make: (n) => ({ bytes: Buffer.from(`H\n${'x'.repeat(n)}\nok\n`), fields: ['x'.repeat(n)], line: 2 }) },
  { name: 'CRLF', make: (n) => ({ bytes: Buffer.from(`H\r\n${'x'.repeat(n)}\r\nok\r\n`), fields: ['x'.repeat(n)], line: 2 }) },
  { name: 'last line, no line end', make: (n) => ({ bytes: Buffer.from(`H\n${'x'.repeat(n)}`), fields: ['x'.repeat(n)], line: 2 }) },
  { name: 'last line ending in CR', make: (n) => ({ bytes: Buffer.from(`H\n${'x'.repeat(n)}\r`), fields: ['x'.repeat(n)], line: 2 }) },
  {
    name: 'the header, after a BOM',
    make: (n) => ({ bytes: Buffer.from(`\uFEFF${'x'.repeat(n)}\nok\n`), fields: ['x'.repeat(n)], line: 1 }),
  },
  { name: 'quoted', make: (n) => ({ bytes: Buffer.from(`H\n"${'x'.repeat(n - 2)}"\r\nok\n`), fields: ['x'.repeat(n - 2)], line: 2 }) },
  {
    name: 'quoted over three lines (CRLF inside the field)',
    make: (n) => ({
      bytes: Buffer.from(`H\n"ab\r\n${'x'.repeat(n - 10)}\r\ncd"\r\nok\n`),
      fields: [`ab\r\n${'x'.repeat(n - 10)}\r\ncd`],
      line: 2,
    }),
  },
  {
    // 2-byte characters: the limit counts bytes, and may fall inside a character.
    name: 'UTF-8 characters',
    make: (n) => ({
      bytes: Buffer.from(`H\n${'x'.repeat(n % 2)}${'é'.repeat(n >> 1)}\nok\n`),
      fields: [`${'x'.repeat(n % 2)}${'é'.repeat(n >> 1)}`],
      line: 2,
    }),
  },
  {
    name: 'quoted over two lines of UTF-8 characters',
    make: (n) => {
      const chars = (n - 3) >> 1;
      const inner = `${'x'.repeat((n - 3) % 2)}${'é'.repeat(chars >> 1)}\n${'é'.repeat(chars - (chars >> 1))}`;
      return { bytes: Buffer.from(`H\n"${inner}"\nok\n`), fields: [inner], line: 2 };
    },
  },
  {
    name: 'Latin-1, checked',
    make: (n) => ({ bytes: Buffer.from(`H\n${'é'.repeat(n)}\nok\n`, 'latin1'), fields: ['é'.repeat(n)], line: 2 }),
    dialect: { encoding: 'latin1', checked: true },
  },
  {
    // A line refused for its bytes is still a line over the limit: the limit comes first.
    name: 'invalid UTF-8',
    make: (n) => ({
      bytes: Buffer.concat([Buffer.from('H\n'), Buffer.alloc(n - 1, 0x78), Buffer.from([0xff, 0x0a])]),
      fields: [`malformed: invalid UTF-8: byte 0xff at byte ${n} of the line`],
      line: 2,
    }),
  },
];

describe('the record limit', () => {
  for (const shape of SHAPES) {
    it(`reads a record of ${LIMIT - 1} and ${LIMIT} bytes and refuses one of ${LIMIT + 1}, wherever the chunks end: ${shape.name}`, () => {
      for (const size of [LIMIT - 1, LIMIT, LIMIT + 1]) {
        const { bytes, fields, line } = shape.make(size);
        for (const cuts of everyChunking(bytes.length)) {
          const outcome = split(bytes, cuts, LIMIT, shape.dialect);
          if (size > LIMIT) expect(outcome, `size ${size}, cuts ${cuts.join(',')}`).toEqual(TOO_LONG(line));
          else {
            expect(outcome, `size ${size}, cuts ${cuts.join(',')}`).toMatchObject({ records: expect.arrayContaining([{ line, fields }]) });
          }
        }
      }
    });
  }

  it('refuses a record as soon as it is over the limit, holding no more of it than a chunk beyond', () => {
    const splitter = new CsvRecordSplitter(
      'f.csv',
      { delimiter: ';', quote: '"', encoding: 'utf8' },
      { record: () => undefined, malformed: () => undefined },
      LIMIT,
    );
    splitter.write(Buffer.from('H\n'));
    for (let i = 0; i < LIMIT; i++) splitter.write(Buffer.from('x'));
    expect(() => splitter.write(Buffer.from('x'))).toThrow('f.csv:2: record longer than 16 bytes');
  });

  it(`is ${MAX_RECORD_BYTES} bytes (8 MiB) in the real reader, at the chunk boundaries that decided before`, () => {
    const header = Buffer.from('H\r\n');
    const chunk = 64 * 1024;
    for (const size of [MAX_RECORD_BYTES - 1, MAX_RECORD_BYTES, MAX_RECORD_BYTES + 1]) {
      const bytes = Buffer.concat([header, Buffer.alloc(size, 0x78), Buffer.from('\r\nok\r\n')]);
      const cr = header.length + size;
      const placings = {
        'LF first of a chunk': [cr + 1],
        'CR last of a chunk': [cr],
        'CR first of a chunk': [cr, cr + 1],
        'the limit reached at a chunk end': [header.length + MAX_RECORD_BYTES],
        '64 KiB chunks': Array.from({ length: Math.floor(bytes.length / chunk) }, (_, i) => (i + 1) * chunk),
        'one chunk': [],
      };
      for (const [name, cuts] of Object.entries(placings)) {
        const outcome = split(bytes, cuts, MAX_RECORD_BYTES);
        if (size > MAX_RECORD_BYTES) {
          expect(outcome, `${size} bytes, ${name}`).toEqual({
            error: 'f.csv:2: record longer than 8 MiB (8388608 bytes), the most a CSV record may hold (its line end not counted)',
          });
        } else {
          expect('records' in outcome && outcome.records.map((r) => r.fields[0]!.length), `${size} bytes, ${name}`).toEqual([1, size, 2]);
        }
      }
    }
  });
});
