/**
 * Reads the messages a real MTA delivered into a Maildir (new/ and cur/), for the alert
 * tests and the fault suite: headers unfolded, RFC 2047 subjects and quoted-printable or
 * base64 bodies decoded, enough for the messages nodemailer writes.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface MailMessage {
  file: string;
  /** Lower-case header names; a repeated header keeps its first value. */
  headers: Map<string, string>;
  /** Delivered-To (the envelope recipient, added by postfix). */
  to: string;
  subject: string;
  messageId: string;
  body: string;
}

/** Every message of the Maildir `dir`, oldest first (by the delivery time in the file name). */
export async function readMaildir(dir: string): Promise<MailMessage[]> {
  const files: string[] = [];
  for (const sub of ['new', 'cur']) {
    const names = await readdir(path.join(dir, sub)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    files.push(...names.map((n) => path.join(dir, sub, n)));
  }
  files.sort((a, b) => deliveredAt(a) - deliveredAt(b) || a.localeCompare(b));
  return Promise.all(files.map(async (file) => parseMessage(file, await readFile(file, 'utf8'))));
}

/** Postfix names a message "<seconds>.V<dev>I<inode>M<microseconds>.<host>": its delivery time in µs. */
function deliveredAt(file: string): number {
  const match = /^(\d+)\.V[0-9a-f]+I[0-9a-f]+M(\d+)\./.exec(path.basename(file));
  return match ? Number(match[1]) * 1e6 + Number(match[2]) : 0;
}

/** The messages delivered to `address` (its Delivered-To), in the box that holds them. */
export async function mailTo(maildirRoot: string, address: string, box = 'catchall'): Promise<MailMessage[]> {
  return (await readMaildir(path.join(maildirRoot, box))).filter((m) => m.to.toLowerCase() === address.toLowerCase());
}

/**
 * Polls until `count` messages have reached `address` (postfix delivers a few ms after
 * accepting), then returns them; fails after `timeoutMs` saying how many came.
 */
export async function waitForMail(maildirRoot: string, address: string, count: number, timeoutMs = 10_000): Promise<MailMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const messages = await mailTo(maildirRoot, address);
    if (messages.length >= count) return messages;
    if (Date.now() > deadline) {
      throw new Error(
        `${messages.length} of ${count} message(s) reached ${address} within ${timeoutMs} ms: ${messages.map((m) => m.subject).join(' | ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function parseMessage(file: string, raw: string): MailMessage {
  const split = raw.indexOf('\n\n');
  const head = (split < 0 ? raw : raw.slice(0, split)).replace(/\r/g, '');
  const rawBody = split < 0 ? '' : raw.slice(split + 2);
  const headers = new Map<string, string>();
  // Unfold: a line starting with white space continues the previous header.
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  const body =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(rawBody)
      : encoding === 'base64'
        ? Buffer.from(rawBody.replace(/\s+/g, ''), 'base64').toString('utf8')
        : rawBody;
  return {
    file,
    headers,
    to: (headers.get('delivered-to') ?? '').replace(/^<|>$/g, ''),
    subject: decodeWords(headers.get('subject') ?? ''),
    messageId: headers.get('message-id') ?? '',
    body: body.replace(/\r\n/g, '\n'),
  };
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => `%${hex}`)
    .replace(/%(?![0-9A-F]{2})/gi, '%25');
  try {
    return decodeURIComponent(bytes);
  } catch {
    return text;
  }
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?= and =?UTF-8?B?...?=), adjacent ones joined. */
function decodeWords(text: string): string {
  return text
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, _charset: string, kind: string, data: string) =>
      kind.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}
