import { fstatSync } from 'node:fs';

/**
 * journald gives every line of a service's stdout one priority (info), unless the line
 * starts with a syslog `<N>` prefix (SyslogLevelPrefix=yes, the default), which it
 * strips and records as PRIORITY. Node cannot speak the journal's native protocol (a
 * Unix datagram socket), so the prefix is how `journalctl -p err` gets to see errors.
 */

/** syslog priorities: 2 crit, 3 err, 4 warning, 6 info, 7 debug. */
export function journalPriority(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2;
  if (pinoLevel >= 50) return 3;
  if (pinoLevel >= 40) return 4;
  if (pinoLevel >= 30) return 6;
  return 7;
}

const LEVEL = /^\{"level":(\d+)/;

/** A pino JSON line with the `<N>` prefix of its level (pino writes `level` first). */
export function withPriorityPrefix(line: string): string {
  const level = LEVEL.exec(line)?.[1];
  return `<${journalPriority(level === undefined ? 30 : Number(level))}>${line}`;
}

/**
 * Whether `fd` is the journal: systemd sets JOURNAL_STREAM to the device and inode of
 * the stream it connects (sd_journal_stream_fd(3), systemd.exec(5)). The variable alone
 * says nothing: it is inherited by processes whose output goes elsewhere, and a
 * prefix on a line that is not read by journald would spoil the JSON.
 */
export function isJournalStream(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const match = /^(\d+):(\d+)$/.exec(env['JOURNAL_STREAM'] ?? '');
  if (!match) return false;
  try {
    const stat = fstatSync(fd, { bigint: true });
    return stat.dev === BigInt(match[1]!) && stat.ino === BigInt(match[2]!);
  } catch {
    // A closed descriptor is not the journal.
    return false;
  }
}
