import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse/sync';
import { NocturneError } from '../../core/errors.js';
import { plainQuotedFields } from './quoted-fields.js';
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
  /** A record that cannot be read as fields (`at`: 1-based character where, when known); reading goes on after it. */
  malformed(line: number, raw: string, reason: string, at?: number): void;
}

/**
 * The most bytes a CSV record may hold, its line end (LF or CRLF) not counted; a quoted
 * field spanning lines makes one record of all its lines. A record over it fails the
 * file: it is taken for a broken file, and no line is held in memory whole beyond it.
 */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;

const LF = 0x0a;
const CR = 13;

/**
 * Splits a byte stream into CSV records. Records without a quote character (nearly
 * all HFC rows) are split with String#split, which is several times faster than
 * csv-parse; a record holding a quote is gathered until its quotes balance (a quoted
 * field may span lines) and, unless plainly quoted (plainQuotedFields()), handed to
 * csv-parse, so quoting follows csv-parse's rules.
 * Bytes are decoded per block of whole lines: a newline byte never occurs inside a
 * multi-byte UTF-8 sequence, so no character is ever cut in two. The record limit is
 * counted in bytes, so that where the chunks of a file end never changes what is read.
 */
export class CsvRecordSplitter {
  readonly #label: string;
  readonly #dialect: CsvDialect;
  readonly #sink: RecordSink;
  readonly #maxBytes: number;
  /** The start of the next line (no LF in it yet), as copies of the chunks it came in. */
  readonly #pending: Buffer[] = [];
  #pendingBytes = 0;
  #line = 0;
  #first = true;
  /** A quoted record still open: its text, first line, quotes so far and bytes (its lines and the LFs between them). */
  #quoted: { text: string; line: number; quotes: number; bytes: number } | null = null;

  /** `label` names the file in errors; `maxBytes` is the record limit (a smaller one for tests). */
  constructor(label: string, dialect: CsvDialect, sink: RecordSink, maxBytes = MAX_RECORD_BYTES) {
    this.#label = label;
    this.#dialect = dialect;
    this.#sink = sink;
    this.#maxBytes = maxBytes;
  }

  /** Physical lines read so far. */
  get lines(): number {
    return this.#line;
  }

  /** `chunk` may be reused by the caller once this returns: nothing of it is kept. */
  write(chunk: Buffer): void {
    if (this.#first) {
      if (this.#pendingBytes + chunk.length < 3) return this.#keep(chunk);
      this.#first = false;
      const bytes = this.#withPending(chunk);
      const bom = this.#dialect.encoding === 'utf8' && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
      return this.#split(bom ? bytes.subarray(3) : bytes);
    }
    if (chunk.indexOf(LF) < 0) {
      this.#keep(chunk);
      return this.#checkPending();
    }
    this.#split(this.#withPending(chunk));
  }

  /** Decodes the whole lines of `bytes` (the pending line and a chunk), keeps the rest. */
  #split(bytes: Buffer): void {
    const cut = bytes.lastIndexOf(LF);
    if (cut < 0) this.#keep(bytes);
    else {
      if (cut + 1 < bytes.length) this.#keep(bytes.subarray(cut + 1));
      this.#decode(bytes.subarray(0, cut + 1));
    }
    this.#checkPending();
  }

  #keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#pending.push(Buffer.from(bytes));
    this.#pendingBytes += bytes.length;
  }

  /** The pending line followed by `chunk` (which it may be, when nothing is pending), the pending line taken. */
  #withPending(chunk: Buffer): Buffer {
    if (this.#pendingBytes === 0) return chunk;
    const bytes = Buffer.concat([...this.#pending, chunk]);
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    return bytes;
  }

  /** Fails the file once the record the pending line belongs to is over the limit, whatever comes next. */
  #checkPending(): void {
    const last = this.#pending.at(-1);
    if (!last) return;
    // A CR at the end may be the line end (CRLF) still to come.
    const bytes = this.#pendingBytes - (last[last.length - 1] === CR ? 1 : 0);
    this.#checkRecord(this.#quoted ? this.#quoted.bytes + 1 + bytes : bytes);
  }

  #checkRecord(bytes: number): void {
    if (bytes > this.#maxBytes) this.#tooLong();
  }

  /** Fails the file at the first line of the record being read. */
  #tooLong(): never {
    this.#fail(
      this.#quoted?.line ?? this.#line + 1,
      `record longer than ${sizeText(this.#maxBytes)}, the most a CSV record may hold (its line end not counted)`,
    );
  }

  /** Flushes the last line; throws if a quoted field is still open. */
  end(): void {
    if (this.#pendingBytes > 0) this.#decode(this.#withPending(Buffer.alloc(0)));
    if (this.#quoted) this.#fail(this.#quoted.line, 'unterminated quoted field: its closing quote never comes');
  }

  /**
   * Decodes whole lines (the last may lack its LF at the end of the file). A block too
   * short to hold a line over the limit, the usual case, is not looked at line by line.
   */
  #decode(bytes: Buffer): void {
    if (bytes.length - 1 <= this.#maxBytes) return this.#decodeBlock(bytes);
    for (let start = 0; start < bytes.length;) {
      const newline = bytes.indexOf(LF, start);
      const end = newline < 0 ? bytes.length : newline;
      if (end - start - (end > start && bytes[end - 1] === CR ? 1 : 0) > this.#maxBytes) {
        // The lines before it decide which record it belongs to.
        this.#decodeBlock(bytes.subarray(0, start));
        this.#tooLong();
      }
      start = end + 1;
    }
    this.#decodeBlock(bytes);
  }

  #decodeBlock(bytes: Buffer): void {
    const { encoding, checked } = this.#dialect;
    // NUL is no text in any encoding, and PostgreSQL can store it in no text or jsonb.
    const nul = bytes.includes(0);
    if (encoding !== 'utf8') {
      if (!nul && (!checked || !bytes.some((b) => b > 0x7f))) return this.#text(bytes.toString('latin1'));
      return this.#byLine(bytes, (line) => earliest(nulByte(line), checked ? this.#notText(line) : undefined));
    }
    if (!nul && isUtf8(bytes)) return this.#text(bytes.toString('utf8'));
    this.#byLine(bytes, (line) => earliest(nulByte(line), isUtf8(line) ? undefined : invalidUtf8(line)));
  }

  /** Decodes line by line, a line with a byte `invalid` finds refused as a whole. */
  #byLine(bytes: Buffer, invalid: (line: Buffer) => Invalid | undefined): void {
    const latin1 = this.#dialect.encoding !== 'utf8';
    for (let start = 0; start < bytes.length;) {
      const newline = bytes.indexOf(LF, start);
      const end = newline < 0 ? bytes.length : newline + 1;
      const line = bytes.subarray(start, end);
      const bad = invalid(line);
      if (bad === undefined) this.#text(line.toString(latin1 ? 'latin1' : 'utf8'));
      else this.#invalid(line, bad.at, bad.reason);
      start = end;
    }
  }

  /** Where a line of a Latin-1 or ASCII file holds a byte that is not text in it, and why. */
  #notText(line: Buffer): Invalid | undefined {
    const at = line.findIndex((b) => b > 0x7f);
    if (at < 0) return undefined;
    const byte = `byte 0x${line[at]!.toString(16)}`;
    if (this.#dialect.encoding === 'ascii') {
      return { at, reason: `${byte} is not ASCII (declare the encoding the code writes: utf8 or latin1)` };
    }
    if (isUtf8(line)) {
      return {
        at,
        reason: `${byte} starts a UTF-8 character (${JSON.stringify(line.subarray(at).toString('utf8')[0])}): the file is UTF-8, not Latin-1 (declare encoding utf8)`,
      };
    }
    const c1 = line.findIndex((b) => b >= 0x80 && b <= 0x9f);
    return c1 < 0
      ? undefined
      : {
          at: c1,
          reason: `byte 0x${line[c1]!.toString(16)} is a control character in Latin-1, not text (is the file in another encoding?)`,
        };
  }

  #text(text: string): void {
    const { delimiter, quote, trim } = this.#dialect;
    const sink = this.#sink;
    for (let start = 0, n = text.length; start < n;) {
      const newline = text.indexOf('\n', start);
      const end = newline < 0 ? n : newline;
      const line = text.slice(start, end);
      start = end + 1;
      this.#line++;
      if (this.#quoted) this.#continueQuoted(line);
      else if (line.indexOf(quote) >= 0) this.#openQuoted(line);
      else {
        const record = line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
        if (record.length > 0) {
          sink.record(trim ? record.split(delimiter).map((f) => f.trim()) : record.split(delimiter), this.#line, record);
        }
      }
    }
  }

  #openQuoted(line: string): void {
    const quotes = count(line, this.#dialect.quote);
    if (quotes % 2 === 0) this.#parseQuoted(line, this.#line);
    else this.#quoted = { text: line, line: this.#line, quotes, bytes: this.#byteLength(line) };
  }

  #continueQuoted(line: string): void {
    const open = this.#quoted!;
    open.text += `\n${line}`;
    open.quotes += count(line, this.#dialect.quote);
    open.bytes += 1 + this.#byteLength(line);
    this.#checkRecord(open.bytes - (line.charCodeAt(line.length - 1) === CR ? 1 : 0));
    if (open.quotes % 2 === 0) {
      this.#quoted = null;
      this.#parseQuoted(open.text, open.line);
    }
  }

  #parseQuoted(text: string, line: number): void {
    const record = text.charCodeAt(text.length - 1) === CR ? text.slice(0, -1) : text;
    const { delimiter, quote, trim } = this.#dialect;
    const plain = plainQuotedFields(record, delimiter, quote, trim ?? false);
    if (plain) return this.#sink.record(plain, line, record);
    let rows: string[][];
    try {
      rows = parse(record, {
        delimiter: this.#dialect.delimiter,
        quote: this.#dialect.quote,
        escape: this.#dialect.quote,
        relax_column_count: true,
        trim: this.#dialect.trim ?? false,
      });
    } catch (err) {
      this.#sink.malformed(line, record, quotingProblem(err));
      return;
    }
    const [fields] = rows;
    if (rows.length !== 1 || !fields) this.#sink.malformed(line, record, 'a quoted record could not be read as one record');
    else this.#sink.record(fields, line, record);
  }

  /** Bytes of a decoded line (the text of valid bytes: decoding it again gives them back). */
  #byteLength(line: string): number {
    return this.#dialect.encoding === 'utf8' ? Buffer.byteLength(line, 'utf8') : line.length;
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

/** Where a line holds a byte that is not text, and why. */
type Invalid = { at: number; reason: string };

function nulByte(line: Buffer): Invalid | undefined {
  const at = line.indexOf(0);
  return at < 0 ? undefined : { at, reason: 'byte 0x00 (NUL) is not text: PostgreSQL cannot store it (a damaged file, or one in UTF-16?)' };
}

function invalidUtf8(line: Buffer): Invalid {
  const at = firstInvalidUtf8(line);
  return { at, reason: `invalid UTF-8: byte 0x${line[at]!.toString(16).padStart(2, '0')} at byte ${at + 1} of the line` };
}

function earliest(a: Invalid | undefined, b: Invalid | undefined): Invalid | undefined {
  return a === undefined || (b !== undefined && b.at < a.at) ? b : a;
}

/** "8 MiB (8388608 bytes)", or "16 bytes". */
function sizeText(bytes: number): string {
  const mib = 1024 * 1024;
  return bytes % mib === 0 ? `${bytes / mib} MiB (${bytes} bytes)` : `${bytes} bytes`;
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
