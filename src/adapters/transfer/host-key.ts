import { createHash } from 'node:crypto';

/** OpenSSH's fingerprint form, as `ssh-keygen -lf` prints it: `SHA256:` + unpadded base64. */
export function sshFingerprint(hostKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(hostKey).digest('base64').replace(/=+$/, '')}`;
}

/**
 * An ssh2 `hostVerifier` accepting only the pinned key (ssh2 accepts any key when no
 * verifier is set). `seen()` tells which key the server presented, for the error message.
 */
export function pinnedHostKey(expected: string): { verify: (key: Buffer) => boolean; seen: () => string | undefined } {
  let seen: string | undefined;
  return {
    verify: (key) => {
      seen = sshFingerprint(key);
      return seen === expected;
    },
    seen: () => seen,
  };
}
