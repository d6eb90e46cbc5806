import path from 'node:path';
import { NocturneError } from '../../core/errors.js';
import { pgp, type Db } from '../../db/database.js';
import { databaseError } from '../../db/errors.js';
import { observingNight } from '../nights.js';
import { createGroupCommit } from './group-commit.js';
import type { NewTransfer, Transfer, TransferChange, TransferLedger, TransferState } from './transfer-ledger.js';

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
  const segments = remotePath
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent);
  return `${publicUrl.replace(/\/+$/, '')}/${segments.join('/')}`;
}

interface Move {
  transfer: Transfer;
  to: TransferState;
  change: TransferChange;
}

/** Enough to carry every file in flight (connections × lanes) in one commit. */
const MAX_MOVES_PER_COMMIT = 256;

/**
 * The state changes of one group commit, with their event rows: one statement (hence
 * one commit) for the whole batch, its rows passed as arrays so the statement is
 * prepared once per connection. A row whose state changed meanwhile is not updated and
 * not returned (`ord` says which change each returned row answers). `events` holds each
 * change's event rows as JSON: one, or one per state passed through (TransferChange.via).
 */
const MOVES = `WITH c AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::bigint[], $7::float8[],
                         $8::text[], $9::boolean[], $10::text[], $11::boolean[], $12::text[], $13::boolean[], $14::boolean[],
                         $15::text[], $16::int[])
      AS c(id, from_state, to_state, set_partial, partial_path, size_bytes, mtime_ms, verify_method, set_local, local_sha256,
           set_remote, remote_sha256, attempt, clear_error, events, ord)),
  t AS (
    UPDATE transfers SET
      state = c.to_state,
      partial_path = CASE WHEN c.set_partial THEN c.partial_path ELSE transfers.partial_path END,
      size_bytes = COALESCE(c.size_bytes, transfers.size_bytes),
      mtime_ms = COALESCE(c.mtime_ms, transfers.mtime_ms),
      verify_method = COALESCE(c.verify_method, transfers.verify_method),
      local_sha256 = CASE WHEN c.set_local THEN c.local_sha256 ELSE transfers.local_sha256 END,
      remote_sha256 = CASE WHEN c.set_remote THEN c.remote_sha256 ELSE transfers.remote_sha256 END,
      attempts = transfers.attempts + CASE WHEN c.attempt THEN 1 ELSE 0 END,
      error_code = CASE WHEN c.clear_error THEN NULL ELSE transfers.error_code END,
      error = CASE WHEN c.clear_error THEN NULL ELSE transfers.error END,
      run_id = COALESCE($17::bigint, transfers.run_id),
      updated_at = now()
    FROM c
    WHERE transfers.id = c.id AND transfers.state = c.from_state
    RETURNING ${ROW_COLUMNS.split(',')
      .map((column) => `transfers.${column.trim()}`)
      .join(', ')}, c.ord, c.events),
  e AS (INSERT INTO transfer_events (transfer_id, from_state, to_state, run_id, note)
        SELECT t.id, x.event->>'from', x.event->>'to', $17::bigint, x.event->>'note'
          FROM t CROSS JOIN LATERAL jsonb_array_elements(t.events::jsonb) WITH ORDINALITY AS x(event, step)
         ORDER BY t.ord, x.step)
  SELECT ${ROW_COLUMNS}, ord FROM t`;

function moveValues(batch: readonly Move[], run: number | null): unknown[] {
  const column = <T>(of: (m: Move) => T): T[] => batch.map(of);
  return [
    column((m) => m.transfer.id),
    column((m) => m.transfer.state),
    column((m) => m.to),
    column((m) => 'partialPath' in m.change),
    column((m) => m.change.partialPath ?? null),
    column((m) => m.change.sizeBytes ?? null),
    column((m) => m.change.mtimeMs ?? null),
    column((m) => m.change.verifyMethod ?? null),
    column((m) => 'localSha256' in m.change),
    column((m) => m.change.localSha256 ?? null),
    column((m) => 'remoteSha256' in m.change),
    column((m) => m.change.remoteSha256 ?? null),
    column((m) => m.change.attempt === true),
    column((m) => m.change.clearError === true),
    column((m) => JSON.stringify(eventsOf(m))),
    batch.map((_, i) => i),
    run,
  ];
}

/** The event rows of one change: from its state through `via` to the new one. */
function eventsOf({ transfer, to, change }: Move): Array<{ from: TransferState; to: TransferState; note: string | null }> {
  const steps = [...(change.via ?? []), { state: to, note: change.note }];
  return steps.map((step, i) => ({ from: i === 0 ? transfer.state : steps[i - 1]!.state, to: step.state, note: step.note ?? null }));
}

/**
 * The TransferLedger in the state schema. Each state change and its event row are
 * committed together, with the changes of the other files in flight (group commit):
 * a move resolves only once its commit is done, so the state is durable before the
 * caller goes on.
 */
export function createPgTransferLedger(db: Db, runId: number, naming: ArchiveNaming = { nightZone: 'UTC' }): TransferLedger {
  const run = runId > 0 ? runId : null;
  const described = (r: NewTransfer) => ({
    night: observingNight(path.basename(r.localPath), naming.nightZone),
    public_url: naming.publicUrl === undefined || r.remotePath === '' ? null : publicUrlOf(naming.publicUrl, r.remotePath),
  });
  const failed =
    (what: string) =>
    (err: unknown): never => {
      throw databaseError(err, `transfers: ${what}`);
    };
  const moves = createGroupCommit<Move, Transfer>(
    async (batch) => {
      const rows = await db
        .any<TransferRow & { ord: number }>({ name: 'nocturne-transfer-moves', text: MOVES, values: moveValues(batch, run) })
        .catch(
          failed(
            `recording ${batch.length} state changes (${batch[0]!.transfer.localPath}: ${batch[0]!.transfer.state} → ${batch[0]!.to}...)`,
          ),
        );
      const moved = new Map(rows.map((row) => [row.ord, toTransfer(row)]));
      return batch.map(
        ({ transfer }, i) =>
          moved.get(i) ??
          new NocturneError(
            'INTERNAL',
            `transfers: ${transfer.localPath} (id ${transfer.id}) is no longer ${transfer.state}: another process changed it`,
          ),
      );
    },
    { maxBatch: MAX_MOVES_PER_COMMIT },
  );
  return {
    async pending(pipeline, target) {
      const rows = await db
        .any<TransferRow>(`SELECT * FROM transfers WHERE pipeline = $1 AND target = $2 AND state NOT IN ${CLOSED} ORDER BY id`, [
          pipeline,
          target,
        ])
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

    move(transfer, to, change = {}) {
      return moves.submit({ transfer, to, change });
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

    async quarantine(r, quarantinePath, code, reason) {
      const row = await db
        .one<TransferRow>(
          `WITH t AS (
             INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path,
                                    state, quarantine_path, error_code, error, run_id, night)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'quarantined', $8, $12, $9, $10, $11::date) RETURNING *),
           e AS (INSERT INTO transfer_events (transfer_id, to_state, run_id, note)
                 SELECT id, state, run_id, $9 FROM t)
           SELECT * FROM t`,
          [
            r.pipeline,
            r.target,
            r.kind,
            r.localPath,
            r.sizeBytes,
            r.mtimeMs,
            r.remotePath,
            quarantinePath,
            reason,
            run,
            described(r).night,
            code,
          ],
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
