import { FTPError } from 'basic-ftp';
import { isCertificateCode } from '../../core/tls-errors.js';
import { NocturneError } from '../../core/errors.js';

/** Where an error happened: always named in the message, so a log line stands alone. */
export interface TransferPlace {
  /** Target name from config/nocturne.yaml. */
  target: string;
  /** Operation, e.g. "put", "rename", "connect". */
  op: string;
  /** Remote path concerned, if any. */
  path?: string;
}

// Errors of the network or of a dropped session: another connection may well succeed.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_NOT_CONNECTED',
  'ERR_GENERIC_CLIENT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const TRANSIENT_TEXT =
  /closed|FIN packet|None of the available transfer strategies|Timeout|timed out|No response from server|Unexpected (end|close)|not connected|socket hang up/i;
// OpenSSL's errors of the exchange itself (an alert from the server, a record it could not
// read): no ca cures them, so their message does not send the operator to it.
const SSL_CODES = /^ERR_SSL_/;
// RFC 959: 452 insufficient storage space in system; 552 exceeded storage allocation.
const STORAGE_FULL = new Set([452, 552]);

type TransferErrorCode = 'TRANSFER_FAILED' | 'TRANSFER_AUTH_FAILED' | 'TRANSFER_HOSTKEY_MISMATCH' | 'TRANSFER_STORAGE_FULL';

/**
 * Translates what basic-ftp, ssh2(-sftp-client) or node:fs threw into a NocturneError
 * whose message names the target, the operation and the path, and whose `retryable`
 * says whether a fresh connection could succeed. Callers decide on codes, never on text.
 */
export function transferError(err: unknown, place: TransferPlace): NocturneError {
  if (err instanceof NocturneError) return err;
  const where = `target "${place.target}": ${place.op}${place.path === undefined ? '' : ` ${place.path}`}`;
  const text = err instanceof Error ? err.message : String(err);
  const make = (code: TransferErrorCode, why: string, retryable: boolean) =>
    new NocturneError(code, `${where}: ${why}`, { retryable, cause: err });

  if (err instanceof FTPError) {
    // basic-ftp's message is the server's reply, which normally starts with its code.
    const reply = text.trim().startsWith(String(err.code)) ? text.trim() : `${err.code} ${text.trim()}`;
    if (err.code === 530) return make('TRANSFER_AUTH_FAILED', `login refused (${reply}): check user and password`, false);
    // 4xx: transient negative completion (RFC 959); 5xx: permanent for this request.
    const transient = err.code >= 400 && err.code < 500;
    if (STORAGE_FULL.has(err.code)) {
      return make('TRANSFER_STORAGE_FULL', `storage full on the server (${reply}): free space on the target`, transient);
    }
    return make('TRANSFER_FAILED', `server replied ${reply}`, transient);
  }
  const code = errorCode(err);
  const level = err instanceof Error ? (err as { level?: unknown }).level : undefined;
  // ssh2-sftp-client re-wraps ssh2's errors, dropping `level`: the text is all that is left.
  if (level === 'client-authentication' || /authentication methods failed/i.test(text)) {
    return make('TRANSFER_AUTH_FAILED', `authentication refused (${text}): check user and key/password`, false);
  }
  if (/Host denied/i.test(text)) {
    return make('TRANSFER_HOSTKEY_MISMATCH', `server host key does not match the pinned hostKeySha256 (${text})`, false);
  }
  if (isCertificateCode(code)) {
    return make('TRANSFER_FAILED', `TLS certificate refused (${code}: ${text}): check the target's ca`, false);
  }
  if (code !== undefined && SSL_CODES.test(code)) {
    return make('TRANSFER_FAILED', `TLS exchange failed (${code}: ${text}): the server's log says why`, false);
  }
  const transient =
    level === 'client-socket' ||
    level === 'client-timeout' ||
    (code !== undefined && TRANSIENT_CODES.has(code)) ||
    TRANSIENT_TEXT.test(text);
  return make('TRANSFER_FAILED', code === undefined ? text : `${text} (${code})`, transient);
}

function errorCode(err: unknown): string | undefined {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}
