import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { withDeadline } from '../../../src/core/abort.js';
import { migrate, MIGRATION_LOCK, STATE_MIGRATIONS_DIR } from '../../../src/db/migrate.js';
import { beginRun, finishRun, listRuns } from '../../../src/runs/runs.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

const slot = new Date('2026-11-24T02:00:00Z');
const base = { pipeline: 'sdoss', stage: 'run', trigger: 'schedule', leaseMs: 60_000 } as const;

describe('state migrations', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('migrate');
  });
  afterAll(async () => t?.drop());

  it('are idempotent and safe when several processes start at once', async () => {
    const results = await Promise.all([migrate(t.db, t.schema), migrate(t.db, t.schema), migrate(t.db, t.schema)]);
    expect(results.every((r) => r.applied.length === 0)).toBe(true);
    const versions = await t.db.any<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    const files = (await readdir(STATE_MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql'));
    expect(versions).toHaveLength(files.length);
    expect(versions.at(-1)?.version).toBe(results[0].current);
  });

  it('refuse a schema that a newer nocturne migrated, naming both versions', async () => {
    const { current } = await migrate(t.db, t.schema);
    await t.db.none("INSERT INTO schema_migrations (version, name) VALUES ($1, '9999_future.sql')", [current + 1]);
    try {
      await expect(migrate(t.db, t.schema)).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(`is at version ${current + 1}, newer than this nocturne knows (${current})`),
      });
    } finally {
      await t.db.none('DELETE FROM schema_migrations WHERE version = $1', [current + 1]);
    }
  });

  it('say which migration failed, and that nothing of it was applied', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-migrations-'));
    try {
      await writeFile(path.join(dir, '0001_broken.sql'), 'CREATE TABLE broken (x no_such_type);');
      const other = `${t.schema}_broken`;
      await expect(migrate(t.db, other, dir)).rejects.toThrow(
        new RegExp(
          `^state migration 0001_broken\\.sql \\(schema ${other}\\): .*type "no_such_type" does not exist.*: it and the migrations after it were not applied`,
        ),
      );
      await t.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [other]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('on a schema already up to date, neither wait for the lock nor change anything (each start of the daemon comes here)', async () => {
    const { current } = await migrate(t.db, t.schema);
    // Another process holds the schema's migration lock, as one migrating would.
    await t.db.task(async (other) => {
      await other.one('SELECT pg_advisory_lock($1, hashtext($2)) IS NULL AS locked', [MIGRATION_LOCK, t.schema]);
      const migrating = migrate(t.db, t.schema);
      try {
        await expect(withDeadline(migrating, 3_000, 'migrate')).resolves.toEqual({ applied: [], current });
      } finally {
        await other.one('SELECT pg_advisory_unlock($1, hashtext($2)) AS unlocked', [MIGRATION_LOCK, t.schema]);
        // A migrate left waiting must end before the schema is dropped: one that went on
        // after it would find no schema and create its tables in public (search_path).
        await migrating.catch(() => undefined);
      }
    });
  });
});

describe('beginRun: at most one run per (pipeline, stage, slot)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('runs');
  });
  afterAll(async () => t?.drop());

  it('lets exactly one of many concurrent claimants start a slot', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => beginRun(t.db, { ...base, slot })));
    expect(results.filter((r) => r.kind === 'started')).toHaveLength(1);
    const started = results.find((r) => r.kind === 'started')!;
    // Numbers, as RunRow says (pg reads bigint as text): the API and the logs show them so.
    expect(results.map((r) => typeof r.run.id)).toEqual(Array(8).fill('number'));
    await finishRun(t.db, started.run.id, { state: 'succeeded', stats: { jobs: 3 } });
  });

  it('refuses a slot that already ran, and a second live run of the same stage', async () => {
    expect((await beginRun(t.db, { ...base, slot })).kind).toBe('slot-taken');
    const next = await beginRun(t.db, { ...base, slot: new Date('2026-11-25T02:00:00Z') });
    expect(next.kind).toBe('started');
    const manual = await beginRun(t.db, { ...base, trigger: 'manual', slot: new Date() });
    expect(manual.kind).toBe('busy');
    if (next.kind === 'started') await finishRun(t.db, next.run.id, { state: 'succeeded', stats: {} });
  });

  it('takes over a run whose holder stopped renewing its lease, as its next attempt', async () => {
    const crashedSlot = new Date('2026-11-26T02:00:00Z');
    const first = await beginRun(t.db, { ...base, slot: crashedSlot, leaseMs: 1 });
    expect(first.kind).toBe('started');
    await new Promise((r) => setTimeout(r, 20));
    const second = await beginRun(t.db, { ...base, slot: crashedSlot });
    expect(second).toMatchObject({ kind: 'started', run: { id: first.run.id, attempt: 2 } });
    await finishRun(t.db, second.run.id, { state: 'failed', stats: {}, errorCode: 'JOB_FAILED', error: 'x' });
    const history = await listRuns(t.db, { pipeline: 'sdoss', limit: 10 });
    expect(history.map((r) => r.state)).toEqual(['failed', 'succeeded', 'succeeded']);
    expect(history[0]!.id).toBe(first.run.id);
    expect(typeof history[0]!.id).toBe('number');
  });
});
