import { timestampParser, type FieldCaster } from '../../../adapters/csv/field-casts.js';
import type { ColumnType } from '../../../config/schema.js';

/**
 * Rows in PostgreSQL's binary COPY format: the server stores each field as sent, with no
 * text to parse (a fifth of its time in a COPY of the bench's rows). Only for target
 * types whose binary form is plain: each field is validated by its caster (a timestamp
 * by the same parser), so what is refused, and why, is the same as in a text COPY.
 */

/**
 * Validates one field (not a null marker) and writes it; false, with nothing written,
 * when it is not of its type: the caster then says why, as in a text COPY.
 */
export type FieldWriter = (raw: string, out: BinaryRows) => boolean;

/** Signature, flags, header extension length. */
const HEADER = Buffer.from([...Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), 0, 0, 0, 0, 0, 0, 0, 0]);
const TRAILER = Buffer.from([0xff, 0xff]);

/**
 * The writer of a column declared `spec` (validated by `caster`) into a column of pg_type
 * `typname`, or undefined when that pair has no plain binary form (the file goes as text).
 */
export function fieldWriter(spec: { type: ColumnType; format?: string }, typname: string, caster: FieldCaster): FieldWriter | undefined {
  /** Writes what the caster accepts, from the field (`raw`) or the caster's text. */
  const cast =
    (write: (raw: string, text: string, out: BinaryRows) => void): FieldWriter =>
    (raw, out) => {
      const text = caster.cast(raw);
      if (text === undefined) return false;
      write(raw, text, out);
      return true;
    };
  switch (`${spec.type} ${typname}`) {
    case 'int int4':
      return cast((_raw, text, out) => out.int4(Number(text)));
    case 'int int8':
    case 'bigint int8':
      return cast((_raw, text, out) => out.int8(text));
    case 'float float8':
      return cast((_raw, text, out) => out.float8(Number(text)));
    case 'text text':
    case 'text varchar':
      // The caster escapes the text for COPY's text format; the binary form is the text itself.
      return cast((raw, _text, out) => out.text(raw));
    case 'bool bool':
      return cast((_raw, text, out) => out.bool(text === 't'));
    case 'timestamp timestamptz':
    case 'timestamp timestamp': {
      // Straight to microseconds: the caster's text would be parsed again.
      const parser = timestampParser(spec.format!);
      return (raw, out) => {
        const micros = parser.micros(raw);
        if (micros === undefined) return false;
        out.int8Exact(micros);
        return true;
      };
    }
    default:
      return undefined;
  }
}

/** A growing buffer of binary COPY tuples, taken out in chunks for the COPY stream. */
export class BinaryRows {
  #buffer = Buffer.allocUnsafe(256 * 1024);
  // DataView's setters are V8 intrinsics; Buffer's writeInt32BE and kin check their arguments first.
  #view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.length);
  #length = 0;
  #tuple = 0;
  #started = false;

  get length(): number {
    return this.#length;
  }

  /** Starts a tuple of `fields` fields (the header first, before the first tuple). */
  begin(fields: number): void {
    this.#header();
    this.#tuple = this.#length;
    this.#room(2);
    this.#view.setInt16(this.#length, fields);
    this.#length += 2;
  }

  /** Drops the tuple begun last (a row refused half-way). */
  drop(): void {
    this.#length = this.#tuple;
  }

  null(): void {
    this.#room(4);
    this.#view.setInt32(this.#length, -1);
    this.#length += 4;
  }

  int4(value: number): void {
    const at = this.#field(4);
    this.#view.setInt32(at, value);
  }

  /** An int8 from its decimal text (up to 19 digits, checked in range by the caster). */
  int8(text: string): void {
    const value = Number(text);
    this.int8Exact(Number.isSafeInteger(value) ? value : BigInt(text));
  }

  /** An int8 from a safe integer or a bigint. */
  int8Exact(value: number | bigint): void {
    const at = this.#field(8);
    if (typeof value === 'number') {
      // Two halves: setBigInt64 would need a BigInt per value.
      const high = Math.floor(value / 2 ** 32);
      this.#view.setInt32(at, high);
      this.#view.setUint32(at + 4, value - high * 2 ** 32);
    } else this.#view.setBigInt64(at, value);
  }

  float8(value: number): void {
    const at = this.#field(8);
    this.#view.setFloat64(at, value);
  }

  bool(value: boolean): void {
    const at = this.#field(1);
    this.#buffer[at] = value ? 1 : 0;
  }

  text(value: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.#room(4 + value.length * 3);
    const start = this.#length + 4;
    let at = start;
    // ASCII byte by byte (most fields are short): a native call per field costs more.
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) {
        at = start + this.#buffer.write(value, start, 'utf8');
        break;
      }
      this.#buffer[at++] = code;
    }
    this.#view.setInt32(this.#length, at - start);
    this.#length = at;
  }

  /** The bytes so far (a copy), then empty again; with the trailer when `last`. */
  take(last = false): Buffer {
    if (last) {
      this.#header();
      this.#bytes(TRAILER);
    }
    const out = Buffer.from(this.#buffer.subarray(0, this.#length));
    this.#length = 0;
    this.#tuple = 0;
    return out;
  }

  /**
   * Reserves a field of `bytes` bytes after its length word; returns where its value goes
   * (read the buffer and view after: the room may have moved them).
   */
  #field(bytes: number): number {
    this.#room(4 + bytes);
    this.#view.setInt32(this.#length, bytes);
    const at = this.#length + 4;
    this.#length = at + bytes;
    return at;
  }

  #header(): void {
    if (this.#started) return;
    this.#started = true;
    this.#bytes(HEADER);
  }

  #bytes(bytes: Buffer): void {
    this.#room(bytes.length);
    this.#length += bytes.copy(this.#buffer, this.#length);
  }

  #room(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + bytes));
    this.#buffer.copy(bigger, 0, 0, this.#length);
    this.#buffer = bigger;
    this.#view = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
  }
}
