import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse/sync';
import { NocturneError } from '../../core/errors.js';
import { firstInvalidUtf8 } from './utf8.js';

export interface CsvDialect {
  delimiter: string;
  quote: string;
  encoding: 'utf8' | 'latin1' | 'ascii';
  /** Unquoted fields without the blanks around them (quoted ones are kept as written). */
  trim?: boolean;
  /**
   * Refuse, per line, bytes that are not text in the encoding: Latin-1 C1 controls
   * (0x80-0x9F) and UTF-8 sequences read as Latin-1; any byte over 0x7F in ASCII.
   * Invalid UTF-8 is always refused.
   */
  checked?: boolean;
}

/** Receives records synchronously, in file order. Throwing from here stops the splitter. */
export interface RecordSink {
  /** `line` is the physical line the record starts on (1 = header); `raw` is its text. */
  record(fields: string[], line: number, raw: string): void;
  /** A record that cannot be read as fields (`column`: 1-based character where, when known); reading goes on after it. */
  malformed(line: number, raw: string, reason: string, column?: number): void;
}

/** A record (or a line without a newline) longer than this is taken for a broken file. */
export const MAX_RECORD_CHARS = 8 * 1024 * 1024;

const LF = 0x0a;
const CR = 13;

/**
 * Splits a byte stream into CSV records. Records without a quote character (nearly
 * all HFC rows) are split with String#split, which is several times faster than
 * csv-parse; a record holding a quote is gathered until its quotes balance (a quoted
 * field may span lines) and handed to csv-parse, so quoting follows csv-parse's rules.
 * Bytes are decoded per block of whole lines: a newline byte never occurs inside a
 * multi-byte UTF-8 sequence, so no character is ever cut in two.
 */
export class CsvRecordSplitter {
  readonly #label: string;
  readonly #dialect: CsvDialect;
  readonly #sink: RecordSink;
  #carry: Buffer | null = null;
  #line = 0;
  #first = true;
  #quoted: { text: string; line: number; quotes: number } | null = null;

  /** `label` names the file in errors. */
  constructor(label: string, dialect: CsvDialect, sink: RecordSink) {
    this.#label = label;
    this.#dialect = dialect;
    this.#sink = sink;
  }

  /** Physical lines read so far. */
  get lines(): number {
    return this.#line;
  }

  /** `chunk` may be reused by the caller once this returns: nothing of it is kept. */
  write(chunk: Buffer): void {
    let bytes = this.#carry ? Buffer.concat([this.#carry, chunk]) : chunk;
    if (this.#first) {
      if (bytes.length < 3) {
        this.#carry = Buffer.from(bytes);
        return;
      }
      this.#first = false;
      if (this.#dialect.encoding === 'utf8' && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        bytes = bytes.subarray(3);
      }
    }
    const cut = bytes.lastIndexOf(LF);
    if (cut < 0) {
      if (bytes.length > MAX_RECORD_CHARS) this.#fail(this.#line + 1, `line longer than ${MAX_RECORD_CHARS} bytes`);
      this.#carry = bytes === chunk ? Buffer.from(bytes) : bytes;
      return;
    }
    this.#carry = cut + 1 < bytes.length ? Buffer.from(bytes.subarray(cut + 1)) : null;
    this.#decode(bytes.subarray(0, cut + 1));
  }

  /** Flushes the last line; throws if a quoted field is still open. */
  end(): void {
    if (this.#carry) {
      const rest = this.#carry;
      this.#carry = null;
      this.#decode(rest);
    }
    if (this.#quoted) this.#fail(this.#quoted.line, 'unterminated quoted field: its closing quote never comes');
  }

  #decode(bytes: Buffer): void {
    const { encoding, checked } = this.#dialect;
    if (encoding !== 'utf8') {
      if (!checked || !bytes.some((b) => b > 0x7f)) return this.#text(bytes.toString('latin1'));
      return this.#byLine(bytes, (line) => this.#notText(line));
    }
    if (isUtf8(bytes)) return this.#text(bytes.toString('utf8'));
    this.#byLine(bytes, (line) => (isUtf8(line) ? undefined : firstInvalidUtf8(line)));
  }

  /** Decodes line by line, a line with a byte `invalid` finds refused as a whole. */
  #byLine(bytes: Buffer, invalid: (line: Buffer) => number | undefined | { at: number; reason: string }): void {
    const latin1 = this.#dialect.encoding !== 'utf8';
    for (let start = 0; start < bytes.length; ) {
      const newline = bytes.indexOf(LF, start);
      const end = newline < 0 ? bytes.length : newline + 1;
      const line = bytes.subarray(start, end);
      const bad = invalid(line);
      if (bad === undefined) this.#text(line.toString(latin1 ? 'latin1' : 'utf8'));
      else if (typeof bad === 'number') this.#invalid(line, bad, `invalid UTF-8: byte 0x${line[bad]?.toString(16).padStart(2, '0')} at byte ${bad + 1} of the line`);
      else this.#invalid(line, bad.at, bad.reason);
      start = end;
    }
  }

  /** Where a line of a Latin-1 or ASCII file holds a byte that is not text in it, and why. */
  #notText(line: Buffer): { at: number; reason: string } | undefined {
    const at = line.findIndex((b) => b > 0x7f);
    if (at < 0) return undefined;
    const byte = `byte 0x${line[at]!.toString(16)}`;
    if (this.#dialect.encoding === 'ascii') return { at, reason: `${byte} is not ASCII (declare the encoding the code writes: utf8 or latin1)` };
    if (isUtf8(line)) return { at, reason: `${byte} starts a UTF-8 character (${JSON.stringify(line.subarray(at).toString('utf8')[0])}): the file is UTF-8, not Latin-1 (declare encoding utf8)` };
    const c1 = line.findIndex((b) => b >= 0x80 && b <= 0x9f);
    return c1 < 0 ? undefined : { at: c1, reason: `byte 0x${line[c1]!.toString(16)} is a control character in Latin-1, not text (is the file in another encoding?)` };
  }

  #text(text: string): void {
    const { delimiter, quote, trim } = this.#dialect;
    const sink = this.#sink;
    for (let start = 0, n = text.length; start < n; ) {
      const newline = text.indexOf('\n', start);
      const end = newline < 0 ? n : newline;
      const line = text.slice(start, end);
      start = end + 1;
      this.#line++;
      if (this.#quoted) this.#continueQuoted(line);
      else if (line.indexOf(quote) >= 0) this.#openQuoted(line);
      else {
        const record = line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
        if (record.length > 0) sink.record(trim ? record.split(delimiter).map((f) => f.trim()) : record.split(delimiter), this.#line, record);
      }
    }
  }

  #openQuoted(line: string): void {
    const quotes = count(line, this.#dialect.quote);
    if (quotes % 2 === 0) this.#parseQuoted(line, this.#line);
    else this.#quoted = { text: line, line: this.#line, quotes };
  }

  #continueQuoted(line: string): void {
    const open = this.#quoted!;
    open.text += `\n${line}`;
    open.quotes += count(line, this.#dialect.quote);
    if (open.text.length > MAX_RECORD_CHARS) {
      this.#fail(open.line, `quoted field still open after ${MAX_RECORD_CHARS} characters`);
    }
    if (open.quotes % 2 === 0) {
      this.#quoted = null;
      this.#parseQuoted(open.text, open.line);
    }
  }

  #parseQuoted(text: string, line: number): void {
    const record = text.charCodeAt(text.length - 1) === CR ? text.slice(0, -1) : text;
    let rows: string[][];
    try {
      rows = parse(record, {
        delimiter: this.#dialect.delimiter,
        quote: this.#dialect.quote,
        escape: this.#dialect.quote,
        relax_column_count: true,
        trim: this.#dialect.trim ?? false,
      }) as string[][];
    } catch (err) {
      this.#sink.malformed(line, record, quotingProblem(err));
      return;
    }
    const [fields] = rows;
    if (rows.length !== 1 || !fields) this.#sink.malformed(line, record, 'a quoted record could not be read as one record');
    else this.#sink.record(fields, line, record);
  }

  /** A line refused for a byte at `offset`: located at its character column (the text before it decodes). */
  #invalid(bytes: Buffer, offset: number, reason: string): void {
    this.#line++;
    const column = bytes.subarray(0, offset).toString(this.#dialect.encoding === 'utf8' ? 'utf8' : 'latin1').length + 1;
    const raw = bytes.toString('utf8').replace(/\r?\n$/, '');
    const open = this.#quoted;
    this.#quoted = null;
    if (open) this.#sink.malformed(open.line, `${open.text}\n${raw}`, `${reason} (inside a quoted field)`);
    else this.#sink.malformed(this.#line, raw, reason, column);
  }

  #fail(line: number, reason: string): never {
    throw new NocturneError('CSV_INVALID', `${this.#label}:${line}: ${reason}`, { details: { line, reason } });
  }
}

function count(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i >= 0; i = text.indexOf(char, i + 1)) n++;
  return n;
}

function quotingProblem(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'CSV_INVALID_CLOSING_QUOTE') return 'a closing quote is followed by text instead of a delimiter';
  if (code === 'INVALID_OPENING_QUOTE' || code === 'CSV_INVALID_OPENING_QUOTE') return 'a quote inside an unquoted field';
  return `bad quoting: ${err instanceof Error ? err.message : String(err)}`;
}
