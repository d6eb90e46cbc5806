// What the operator's commands take from the command line, as the real process (needs
// npm run build): a name, a night, a number, a glob or a reason that is not what the
// option takes is a usage error (64) before anything is recorded; what the database
// holds is printed safely; a skipped run is not a failure.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { ingestPipeline, nocturne, writeDaemonConfig } from '../../../harness/daemon-process.js';

describe('the operator commands, as a real process', () => {
  let t: TestDb;
  let dir: string;
  const cli = (...args: string[]) => nocturne([...args, '--config', dir]);
  const count = async (table: string) => (await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM $1:name`, [table])).n;

  beforeAll(async () => {
    t = await createTestDb('operator_commands');
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-operator-commands-'));
    await mkdir(path.join(dir, 'csv'));
    await mkdir(path.join(dir, 'obs'));
    const onlyrun = [
      'name: onlyrun',
      'code: {name: onlyrun, version: "1.0"}',
      'run:',
      '  schedule: "0 0 1 1 *"',
      '  command: [/bin/true]',
      `  inputs: {glob: "${dir}/obs/{yyyy}{mm}{dd}_*.obs"}`,
      '  outputs: {csv: "*.csv"}',
      '',
    ].join('\n');
    await writeDaemonConfig(dir, {
      pgUrl: t.url,
      schema: t.schema,
      port: 1,
      pipelines: { eit: ingestPipeline('eit', '0 0 1 1 *', path.join(dir, 'csv')), onlyrun },
      // More free space than any disk of the rig has: the run stage's guard skips every run.
      extra: { http: { enabled: false }, executor: { type: 'local' }, retention: { minFreeDisk: '1000TB' } },
    });
  });

  afterAll(async () => {
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a night the calendar does not have, or malformed, before any run is recorded', async () => {
    for (const date of ['2026-11-31', '2026-02-30', '2026-13-45', '0000-00-00']) {
      const run = await cli('run', 'onlyrun', '--stage', 'run', '--date', date);
      expect(run.code, run.stderr).toBe(64);
      expect(run.stderr).toContain(`--date must be a date YYYY-MM-DD that the calendar has, not "${date}"`);
    }
    expect(await count('runs')).toBe(0);
    const demo = await cli('demo', '--date', '2026-02-30');
    expect(demo.code).toBe(64);
    expect(demo.stderr).toContain('--date must be a date YYYY-MM-DD that the calendar has, not "2026-02-30"');
  });

  it('reports a run the disk guard skipped as skipped, with its reason, and exits 0', async () => {
    const run = await cli('run', 'onlyrun', '--stage', 'run', '--date', '2026-11-21');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^onlyrun\/run: skipped: waiting for disk: .* below retention\.minFreeDisk \(1000TB\)/m);
  });

  it('names the pipelines, or the stages of the pipeline, when a name is unknown', async () => {
    const known = 'known: eit, onlyrun';
    for (const args of [
      ['run', 'nosuch', '--stage', 'run'],
      ['history', 'nosuch'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toContain(`no pipeline named "nosuch" in ${dir}/pipelines (${known})`);
    }
    const upload = await cli('run', 'onlyrun', '--stage', 'upload');
    expect(upload.code).toBe(64);
    expect(upload.stderr).toContain('has no upload stage; it has: run');
  });

  it('takes whole numbers only, in range, naming the option', async () => {
    for (const [args, said] of [
      [['logs', '0x2'], '<run> (a run number, see nocturne history) must be a whole number of at least 1, not "0x2"'],
      [['logs', ' 2'], 'not " 2"'],
      [['logs', '2', '--lines', '-5'], '--lines must be a whole number from 1 to 10000, not "-5"'],
      [['history', '--limit', '0'], '--limit must be a whole number from 1 to 1000, not "0"'],
      [['history', '--limit', '5000'], '--limit must be a whole number from 1 to 1000, not "5000"'],
      [['incidents', '--limit', '2e0'], '--limit must be a whole number from 1 to 1000, not "2e0"'],
    ] as const) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toContain(said);
    }
  });

  it('treats an unknown campaign alike for status and cancel', async () => {
    for (const action of ['status', 'cancel']) {
      const r = await cli('backfill', action, '999');
      expect(r.code, action).toBe(1);
      expect(r.stderr).toContain('CAMPAIGN_INVALID: campaign 999 does not exist');
    }
  });

  it('refuses a --since that is not an ISO date or date-time with offset, and a glob that makes no sense', async () => {
    for (const since of ['1', '12/01/2026', 'Dec 1', '2026-02-30', '2026-11-21 10:00', '2026-11-21T10:00']) {
      const r = await cli('retry', 'eit', '--failed', '--since', since, '--dry-run');
      expect(r.code, since).toBe(64);
      expect(r.stderr).toContain('--since takes a date YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time with its offset');
    }
    expect((await cli('retry', 'eit', '--failed', '--since', '2026-11-21T10:00+01:00', '--dry-run')).code).toBe(0);
    const glob = await cli('retry', 'eit', '--stage', 'ingest', '--set', '[z-a]*');
    expect(glob.code).toBe(64);
    expect(glob.stderr).toContain('--set: glob "[z-a]*": the range [z-a] is backwards: write [a-z]');
  });

  it('pauses only the stages the pipeline has, refuses a reason with control characters, prints stored ones escaped', async () => {
    const paused = await cli('pause', 'onlyrun');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).not.toMatch(/onlyrun\/(upload|ingest)/);
    expect(await t.db.map('SELECT stage FROM pauses WHERE pipeline = $1', ['onlyrun'], (r: { stage: string }) => r.stage)).toEqual(['run']);

    const bad = await cli('pause', 'eit', '--reason', 'a\nb\x1b[31mRED\x1b[0m\x07\rCR');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--reason must be one line of printable text');
    expect((await cli('pause', 'eit', '--reason', 'x'.repeat(501))).code).toBe(64);
    expect(await t.db.any('SELECT 1 FROM pauses WHERE pipeline = $1', ['eit'])).toEqual([]);

    // Written before the check existed, or by hand: shown escaped, never sent to the terminal.
    await t.db.none(`UPDATE pauses SET reason = $1`, ['a\nb\x1b[31mRED\x07\rCR']);
    await t.db.none(`UPDATE operator_actions SET details = $1 WHERE action = 'pause'`, [{ reason: 'x\x1b[31my' }]);
    const status = await cli('status');
    expect(status.stdout).toContain('onlyrun/run: paused by');
    expect(status.stdout).toContain(': a\\nb\\x1b[31mRED\\x07\\rCR (nocturne resume onlyrun --stage run)');
    expect((await cli('history')).stdout).toMatch(/pause +onlyrun .* x\\x1b\[31my$/m);
    const resumed = await cli('resume', 'onlyrun');
    expect(resumed.stdout).toContain('a\\nb\\x1b[31mRED\\x07\\rCR)');
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    for (const out of [status.stdout, resumed.stdout]) expect(out).not.toMatch(/[\x07\x1b\r]/);
  });
});
