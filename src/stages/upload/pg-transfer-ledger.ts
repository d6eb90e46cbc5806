import path from 'node:path';
import { NocturneError } from '../../core/errors.js';
import { pgp, type Db } from '../../db/database.js';
import { databaseError } from '../../db/errors.js';
import { observingNight } from '../nights.js';
import type { NewTransfer, Transfer, TransferLedger, TransferState } from './transfer-ledger.js';

interface TransferRow {
  id: string;
  pipeline: string;
  target: string;
  kind: Transfer['kind'];
  local_path: string;
  size_bytes: string;
  mtime_ms: number;
  remote_path: string;
  partial_path: string | null;
  state: TransferState;
  verify_method: Transfer['verifyMethod'];
  local_sha256: string | null;
  remote_sha256: string | null;
  attempts: number;
  error_code: string | null;
  error: string | null;
  quarantine_path: string | null;
}

const CLOSED = `('deleted', 'quarantined', 'missing')`;

/**
 * TransferRow's columns, named: a prepared statement returning `*` would fail on every
 * pooled connection once a migration adds a column ("cached plan must not change result type").
 */
const ROW_COLUMNS = `id, pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, partial_path, state,
  verify_method, local_sha256, remote_sha256, attempts, error_code, error, quarantine_path`;

const NEW_COLUMNS = new pgp.helpers.ColumnSet(
  ['pipeline', 'target', 'kind', 'local_path', 'size_bytes', 'mtime_ms', 'remote_path', 'run_id', 'night', 'public_url'],
  { table: 'transfers' },
);

/** What the catalogue reads beside each file (sql/state/0014): its observing night and public URL. */
export interface ArchiveNaming {
  /** Time zone that names the pipeline's nights (nightZone). */
  nightZone: string;
  /** The target's publicUrl, if it declares one. */
  publicUrl?: string | undefined;
}

/** `<publicUrl>/<remote path>`, each path segment URL-encoded. */
export function publicUrlOf(publicUrl: string, remotePath: string): string {
  const segments = remotePath.split('/').filter((s) => s !== '').map(encodeURIComponent);
  return `${publicUrl.replace(/\/+$/, '')}/${segments.join('/')}`;
}

/**
 * The TransferLedger in the state schema. Each state change and its event row are one
 * statement, hence one commit: the state is durable before the caller goes on.
 */
export function createPgTransferLedger(db: Db, runId: number, naming: ArchiveNaming = { nightZone: 'UTC' }): TransferLedger {
  const run = runId > 0 ? runId : null;
  const described = (r: NewTransfer) => ({
    night: observingNight(path.basename(r.localPath), naming.nightZone),
    public_url: naming.publicUrl === undefined || r.remotePath === '' ? null : publicUrlOf(naming.publicUrl, r.remotePath),
  });
  const failed = (what: string) => (err: unknown): never => {
    throw databaseError(err, `transfers: ${what}`);
  };
  return {
    async pending(pipeline, target) {
      const rows = await db
        .any<TransferRow>(
          `SELECT * FROM transfers WHERE pipeline = $1 AND target = $2 AND state NOT IN ${CLOSED} ORDER BY id`,
          [pipeline, target],
        )
        .catch(failed(`listing pending files of ${pipeline} → ${target}`));
      return rows.map(toTransfer);
    },

    async add(rows) {
      if (rows.length === 0) return [];
      // One statement for the whole batch: a night's thousands of files cost one commit.
      const values = rows.map((r) => ({
        pipeline: r.pipeline,
        target: r.target,
        kind: r.kind,
        local_path: r.localPath,
        size_bytes: r.sizeBytes,
        mtime_ms: r.mtimeMs,
        remote_path: r.remotePath,
        run_id: run,
        ...described(r),
      }));
      const added = await db
        .any<TransferRow>(
          `WITH t AS (${pgp.helpers.insert(values, NEW_COLUMNS)} RETURNING *),
           e AS (INSERT INTO transfer_events (transfer_id, to_state, run_id, note)
                 SELECT id, state, run_id, remote_path FROM t)
           SELECT * FROM t ORDER BY id`,
        )
        .catch(failed(`recording ${rows.length} new files (${rows[0]!.localPath}...)`));
      return added.map(toTransfer);
    },

    async move(transfer, to, change = {}) {
      // The hottest statement of the stage (five per file): prepared once per connection.
      const row = await db
        .oneOrNone<TransferRow>({
          name: 'nocturne-transfer-move',
          text: `WITH t AS (
             UPDATE transfers SET
               state = $3,
               partial_path = CASE WHEN $4 THEN $5 ELSE partial_path END,
               size_bytes = COALESCE($6, size_bytes),
               mtime_ms = COALESCE($7, mtime_ms),
               verify_method = COALESCE($8, verify_method),
               local_sha256 = CASE WHEN $9 THEN $10 ELSE local_sha256 END,
               remote_sha256 = CASE WHEN $11 THEN $12 ELSE remote_sha256 END,
               attempts = attempts + CASE WHEN $13 THEN 1 ELSE 0 END,
               error_code = CASE WHEN $14 THEN NULL ELSE error_code END,
               error = CASE WHEN $14 THEN NULL ELSE error END,
               run_id = COALESCE($15, run_id),
               updated_at = now()
             WHERE id = $1 AND state = $2
             RETURNING ${ROW_COLUMNS}),
           e AS (INSERT INTO transfer_events (transfer_id, from_state, to_state, run_id, note)
                 SELECT id, $2, state, $15, $16 FROM t)
           SELECT * FROM t`,
          values: [
            transfer.id,
            transfer.state,
            to,
            'partialPath' in change,
            change.partialPath ?? null,
            change.sizeBytes ?? null,
            change.mtimeMs ?? null,
            change.verifyMethod ?? null,
            'localSha256' in change,
            change.localSha256 ?? null,
            'remoteSha256' in change,
            change.remoteSha256 ?? null,
            change.attempt === true,
            change.clearError === true,
            run,
            change.note ?? null,
          ],
        })
        .catch(failed(`${transfer.localPath}: ${transfer.state} → ${to}`));
      if (!row) {
        throw new NocturneError(
          'INTERNAL',
          `transfers: ${transfer.localPath} (id ${transfer.id}) is no longer ${transfer.state}: another process changed it`,
        );
      }
      return toTransfer(row);
    },

    async fail(transfer, error) {
      const row = await db
        .one<TransferRow>(
          `WITH t AS (
             UPDATE transfers SET error_code = $2, error = $3, run_id = COALESCE($4, run_id), updated_at = now()
             WHERE id = $1 RETURNING *),
           e AS (INSERT INTO transfer_events (transfer_id, from_state, to_state, run_id, note)
                 SELECT id, state, state, $4, $2 || ': ' || $3 FROM t)
           SELECT * FROM t`,
          [transfer.id, error.code, error.message, run],
        )
        .catch(failed(`recording the failure of ${transfer.localPath}`));
      return toTransfer(row);
    },

    async quarantine(r, quarantinePath, reason) {
      const row = await db
        .one<TransferRow>(
          `WITH t AS (
             INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path,
                                    state, quarantine_path, error_code, error, run_id, night)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'quarantined', $8, 'QUICKLOOK_INVALID', $9, $10, $11::date) RETURNING *),
           e AS (INSERT INTO transfer_events (transfer_id, to_state, run_id, note)
                 SELECT id, state, run_id, $9 FROM t)
           SELECT * FROM t`,
          [r.pipeline, r.target, r.kind, r.localPath, r.sizeBytes, r.mtimeMs, r.remotePath, quarantinePath, reason, run, described(r).night],
        )
        .catch(failed(`recording the quarantine of ${r.localPath}`));
      return toTransfer(row);
    },
  };
}

function toTransfer(row: TransferRow): Transfer {
  return {
    id: Number(row.id),
    pipeline: row.pipeline,
    target: row.target,
    kind: row.kind,
    localPath: row.local_path,
    sizeBytes: Number(row.size_bytes),
    mtimeMs: row.mtime_ms,
    remotePath: row.remote_path,
    partialPath: row.partial_path,
    state: row.state,
    verifyMethod: row.verify_method,
    localSha256: row.local_sha256,
    remoteSha256: row.remote_sha256,
    attempts: row.attempts,
    errorCode: row.error_code,
    error: row.error,
    quarantinePath: row.quarantine_path,
  };
}
