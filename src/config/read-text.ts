/**
 * Reading a configuration file without trusting it: `validate` and a reload must answer
 * whatever sits in config/ or pipelines/. Only a regular file is read (a FIFO would block
 * the reader forever, a device never end), only up to a size no real configuration
 * comes near, and only as UTF-8: any other encoding is refused where it shows, rather
 * than read as replacement characters or as one long string.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';

/** The largest configuration file read: the example pipelines are 3 KB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** A file that could not be read, with the reason for a person (no secret in it). */
export class UnreadableFile extends Error {
  override readonly name = 'UnreadableFile';
}

/**
 * The bytes of a regular file of at most `maxBytes`. The file is opened non-blocking and
 * checked on the open descriptor, so a FIFO swapped in after a check cannot block us.
 */
export async function readRegularFile(file: string, maxBytes: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const info = await handle.stat();
    if (!info.isFile()) throw new UnreadableFile(`not a regular file (${kindOf(info)})`);
    if (info.size > maxBytes) throw new UnreadableFile(tooLarge(info.size, maxBytes));
    // One byte more than allowed tells a file that grew since fstat from one that fits.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new UnreadableFile(tooLarge(length, maxBytes, 'more than '));
    }
    return buffer.subarray(0, length);
  } catch (err) {
    throw err instanceof UnreadableFile ? err : new UnreadableFile(fileError(err));
  } finally {
    await handle?.close();
  }
}

/** A file system error as a person reads it. */
export function fileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOTDIR') return 'not a directory';
  if (code === 'ELOOP') return 'a loop of symbolic links';
  return err instanceof Error ? err.message : String(err);
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a file';
}

function tooLarge(size: number, maxBytes: number, qualifier = ''): string {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 1)} MiB`;
  return `${qualifier}${mib(size)}, over the limit of ${mib(maxBytes)} (is it the right file?)`;
}

/** Text decoded from UTF-8, or where and why it is not UTF-8 text. */
export type Decoded = { ok: true; text: string } | { ok: false; line: number; col: number; message: string };

export function decodeUtf8(bytes: Buffer): Decoded {
  const bom = utf16or32(bytes);
  if (bom !== undefined) return { ok: false, line: 1, col: 1, message: `the file is ${bom}: save it as UTF-8` };
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return {
      ok: false,
      ...position(bytes, nul),
      message:
        'a NUL byte: the file is not UTF-8 text (UTF-16 without a byte order mark puts one beside every ASCII letter); save it as UTF-8',
    };
  }
  if (!isUtf8(bytes)) {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    const byte = `0x${(bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;
    return {
      ok: false,
      ...position(bytes, at),
      message: `byte ${byte} is not UTF-8 (a file saved as Latin-1 or Windows-1252?): save it as UTF-8`,
    };
  }
  // A lone CR is no line end to the YAML reader: a file saved with classic Mac OS line ends
  // (CRs and no LF at all) is one line. A stray CR among LFs is left to the reader.
  const cr = bytes.includes(0x0a) ? -1 : bytes.indexOf(0x0d);
  if (cr >= 0) {
    return {
      ok: false,
      ...position(bytes, cr),
      message: 'a carriage return without a line feed (classic Mac OS line ends): save the file with LF line ends',
    };
  }
  // A UTF-8 byte order mark is no character of the text: without it, columns on line 1 are the editor's.
  return { ok: true, text: bytes.toString('utf8').replace(/^\uFEFF/, '') };
}

function utf16or32(bytes: Buffer): string | undefined {
  const starts = (...prefix: number[]) => prefix.every((b, i) => bytes[i] === b);
  if (starts(0x00, 0x00, 0xfe, 0xff) || starts(0xff, 0xfe, 0x00, 0x00)) return 'UTF-32 (it starts with a byte order mark)';
  if (starts(0xfe, 0xff) || starts(0xff, 0xfe)) return 'UTF-16 (it starts with a byte order mark)';
  return undefined;
}

/** Line and column (1-based, in characters) of the byte at `offset`, all bytes before it being valid UTF-8. */
function position(bytes: Buffer, offset: number): { line: number; col: number } {
  // A byte order mark is no column (the text read is without it).
  const before = bytes
    .subarray(0, offset)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const lineStart = before.lastIndexOf('\n') + 1;
  let line = 1;
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
  return { line, col: before.length - lineStart + 1 };
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b < 0x80) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0; // overlong
      if (b === 0xed) high = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90; // overlong
      if (b === 0xf4) high = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      const [min, max] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (next === undefined || next < min || next > max) return i;
    }
    i += length;
  }
  return -1;
}
