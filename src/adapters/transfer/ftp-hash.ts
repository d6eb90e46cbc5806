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
 * The hex digest in the final line of a reply (basic-ftp joins the lines of a multi-line
 * reply with "\n"). HASH: "213 SHA-256 0-1234 <hex> <name>", after "213-Computing
 * SHA-256 digest" on ProFTPD. XSHA256: "213 <hex>", or on ProFTPD "250 <HEX>" after
 * "250-Computing SHA256 digest". Null when the reply does not carry a SHA-256.
 */
export function parseSha256Reply(command: FtpHashCommand, message: string): string | null {
  const last = message.trim().split(/\r?\n/).at(-1) ?? '';
  const [code, ...words] = last.trim().split(/\s+/);
  let candidate: string | undefined;
  if (command.kind === 'HASH') {
    if (code === '213' && words[0]?.toUpperCase() === 'SHA-256') candidate = words[2];
  } else if (code === '213' || code === '250') {
    candidate = words[0];
  }
  return candidate !== undefined && /^[0-9a-fA-F]{64}$/.test(candidate) ? candidate.toLowerCase() : null;
}
