/**
 * Errors are values: a stable code, a human message that names the file, job or row
 * concerned, and whether trying again later may succeed. Adapters translate library
 * errors into these so that callers decide on codes, never on message text. Every code
 * is explained for operators in docs/errors.md (a test keeps that page complete).
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'SECRET_UNAVAILABLE',
  'DB_FAILED',
  'EXEC_FAILED',
  'SLURM_SUBMIT_FAILED',
  'JOB_FAILED',
  'TRANSFER_FAILED',
  'TRANSFER_AUTH_FAILED',
  'TRANSFER_HOSTKEY_MISMATCH',
  'TRANSFER_VERIFY_MISMATCH',
  'TRANSFER_STORAGE_FULL',
  'TIMEOUT',
  'QUICKLOOK_INVALID',
  'PATH_UNSAFE',
  'CSV_INVALID',
  'ABORTED',
  'ALERT_DELIVERY_FAILED',
  'STAGE_PAUSED',
  'DISK_LOW',
  'PRUNE_FAILED',
  'CAMPAIGN_INVALID',
  'CAMPAIGN_HELD',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface NocturneErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class NocturneError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: NocturneErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NocturneError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** Turns anything thrown into a NocturneError, keeping the original as `cause`. */
export function coerceError(err: unknown, code: ErrorCode = 'INTERNAL', context?: string): NocturneError {
  if (err instanceof NocturneError) return err;
  const text = err instanceof Error ? err.message : String(err);
  return new NocturneError(code, context ? `${context}: ${text}` : text, { cause: err });
}

export function isAbortError(err: unknown): boolean {
  return (err instanceof NocturneError && err.code === 'ABORTED') || (err instanceof Error && err.name === 'AbortError');
}
