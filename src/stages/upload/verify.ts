import type { UploadStageConfig } from '../../config/schema.js';
import type { RemoteSession } from '../../adapters/transfer/remote-store.js';
import { sha256Of } from './local-files.js';
import type { VerifyMethod } from './transfer-ledger.js';

export type VerifyConfig = UploadStageConfig['verify'];

export type Verification =
  { ok: true; method: VerifyMethod; remoteSha256: string | null } | { ok: false; method: VerifyMethod; detail: string };

/** Whether `config` compares content, so the local SHA-256 is needed. */
export function needsLocalHash(config: VerifyConfig): boolean {
  return config !== 'size';
}

/**
 * Checks the remote file at `remotePath` against the local one: its size always, then
 * its SHA-256 as configured. `server-hash` uses the server's own digest when it offers
 * one, and otherwise reads the file back, which the returned method records.
 */
export async function verifyRemote(
  session: RemoteSession,
  remotePath: string,
  expected: { sizeBytes: number; sha256: () => Promise<string> },
  config: VerifyConfig,
): Promise<Verification> {
  const method = methodFor(config, session);
  const size = await session.size(remotePath);
  if (size !== expected.sizeBytes) {
    const found = size === null ? 'no such file' : `${size} bytes`;
    return { ok: false, method, detail: `${remotePath}: ${found} on the server, ${expected.sizeBytes} bytes locally` };
  }
  if (method === 'size') return { ok: true, method, remoteSha256: null };
  let remote: string | null = null;
  if (method === 'size+sha256-server') remote = await session.serverHash(remotePath, 'sha256');
  // A server that announced HASH but gave no digest: read back, and say so.
  const used: VerifyMethod = method === 'size+sha256-server' && remote === null ? 'size+sha256-readback(no-server-hash)' : method;
  remote ??= await sha256Of(await session.read(remotePath));
  const local = await expected.sha256();
  if (remote !== local) {
    return { ok: false, method: used, detail: `${remotePath}: SHA-256 ${remote} on the server, ${local} locally` };
  }
  return { ok: true, method: used, remoteSha256: remote };
}

function methodFor(config: VerifyConfig, session: RemoteSession): VerifyMethod {
  if (config === 'size') return 'size';
  if (config === 'sha256-readback') return 'size+sha256-readback';
  return session.serverHashes.includes('sha256') ? 'size+sha256-server' : 'size+sha256-readback(no-server-hash)';
}
