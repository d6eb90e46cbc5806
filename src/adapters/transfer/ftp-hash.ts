/**
 * Server-side SHA-256 over FTP. There are two dialects: the HASH command of
 * draft-bryan-ftpext-hash (FEAT "HASH SHA-1;SHA-256*;MD5", selected with OPTS HASH) and
 * the older XSHA256. vsftpd offers neither; ProFTPD's mod_digest offers both.
 */
export type FtpHashCommand = { kind: 'HASH' } | { kind: 'XSHA256' };

/** Whether the FEAT reply names `feature` (servers differ in case). */
export function hasFeature(features: ReadonlyMap<string, string>, feature: string): boolean {
  return [...features.keys()].some((key) => key.toUpperCase() === feature);
}

/** Which command gives a SHA-256 on this server, from its FEAT reply; null if none. */
export function sha256CommandFrom(features: ReadonlyMap<string, string>): FtpHashCommand | null {
  const hash = [...features].find(([key]) => key.toUpperCase() === 'HASH');
  if (hash && hash[1].split(';').some((a) => a.replace(/\*$/, '').toUpperCase() === 'SHA-256')) {
    return { kind: 'HASH' };
  }
  if (hasFeature(features, 'XSHA256')) return { kind: 'XSHA256' };
  return null;
}

/**
 * The hex digest in a 213 reply: "213 SHA-256 0-1234 <hex> <name>" for HASH,
 * "213 <hex>" for XSHA256. Null when the reply does not carry a SHA-256.
 */
export function parseSha256Reply(command: FtpHashCommand, message: string): string | null {
  const words = message.trim().split(/\s+/);
  if (words[0] !== '213') return null;
  const candidate = command.kind === 'HASH' ? (words[1]?.toUpperCase() === 'SHA-256' ? words[3] : undefined) : words[1];
  return candidate !== undefined && /^[0-9a-fA-F]{64}$/.test(candidate) ? candidate.toLowerCase() : null;
}
