// `nocturne retry --stage upload --now` killed with SIGKILL at several instants: before it
// does anything, once the retry is recorded, between that record and the move of the
// quicklook back to its outbox, while its run is running, and inside the upload: the copy
// verified and renamed on the server, and the local copy removed, each not yet recorded.
// After the next run (the retry asked again, as a person would, then `nocturne run`), each
// quicklook is archived exactly once with its thumbnail, its two attempts are in its
// history, its retry is on record once, and nothing is left in the quarantine, the outbox
// or the server's partials, and no run is left running.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { nocturne, writeDaemonConfig } from '../../../harness/daemon-process.js';
import { rig } from '../../../harness/rig.js';
import { FTP_PASSWORD_ENV, rigRoot } from '../../../harness/rig-targets.js';
import { hold, installGates, killWhen } from './kill.js';

interface Instant {
  name: string;
  /** Closed before the retry starts: the child is killed while a commit waits at it. */
  gate?: { name: string; then: 'commit' | 'abort' };
  reached?: (w: World) => Promise<boolean>;
  /** What the kill must have left behind, so that each instant is the one named. */
  left?: { recorded?: boolean; inQuarantine?: boolean; runLeft?: boolean; transfer?: string };
  /** What the retry asked again says. */
  again?: RegExp;
}

interface World {
  t: TestDb;
  dir: string;
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

const count = async (w: World, sql: string, params: unknown[] = []) => (await w.t.db.one<{ n: number }>(sql, params)).n;
const recorded = (w: World) => count(w, `SELECT count(*)::int AS n FROM operator_actions`);
const runsLeft = (w: World) => count(w, `SELECT count(*)::int AS n FROM runs WHERE state = 'running'`);
const INSTANTS: Instant[] = [
  { name: 'at once', reached: async () => true, left: { recorded: false } },
  { name: 'once the retry is recorded', reached: async (w) => (await recorded(w)) > 0, left: { recorded: true } },
  {
    // Its commit waits; the kill comes, then the commit goes through.
    name: 'between its record and the move back',
    gate: { name: 'retried_items:', then: 'commit' },
    left: { recorded: true, inQuarantine: true, runLeft: false },
    again:
      /^retrying: upload quarantined \S+\/ql2_\S+, failed \S+ \(retry #(\d+) recorded, its move back cut short\)\n.*\nretry #\1: 1 item\(s\) back in line/m,
  },
  { name: 'while its run is running', reached: async (w) => (await runsLeft(w)) > 0, left: { recorded: true, runLeft: true } },
  {
    // Verified and renamed on the server, recorded by one commit (docs/operating.md).
    name: 'with the copy renamed on the server',
    gate: { name: 'transfers:checked', then: 'abort' },
    left: { runLeft: true, transfer: 'uploading' },
  },
  {
    name: 'with the local copy removed',
    gate: { name: 'transfers:deleted', then: 'abort' },
    left: { runLeft: true, transfer: 'checked' },
  },
];

const nameOf = (i: number) => `ql${i}_20140221T000045.jpg`;
const quicklook = (width: number, seed: number) =>
  sharp({ create: { width, height: 240, channels: 3, background: { r: seed * 30, g: 40, b: 90 } } })
    .jpeg()
    .toBuffer();

describe('nocturne retry --stage upload --now killed with SIGKILL (needs npm run build)', () => {
  let w: World;
  let outbox: string;
  let quarantine: string;
  let remote: string;
  beforeAll(async () => {
    const t = await createTestDb('retryupkill');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-retryupkill-'));
    const base = `t-${path.basename(dir)}`;
    const ftp = rig().ftp;
    process.env[FTP_PASSWORD_ENV] = ftp.password;
    const pipeline = [
      'name: sdoss',
      'code: {name: sdoss, version: "1.0"}',
      'upload:',
      '  schedule: "0 0 1 1 *"',
      '  target: archive',
      `  remoteDir: "${base}/{code}/{yyyy}/{mm}"`,
      '  quicklooks: {check: true, width: 320, height: 240, thumbnailWidth: 80}',
      '',
    ].join('\n');
    await writeDaemonConfig(dir, {
      pgUrl: t.url,
      schema: t.schema,
      port: 1,
      targets: {
        archive: { type: 'ftp', host: ftp.host, port: ftp.port, user: ftp.user, password: { env: FTP_PASSWORD_ENV }, insecure: true },
      },
      pipelines: { sdoss: pipeline },
      extra: { http: { enabled: false } },
    });
    w = { t, dir, cli: (...args) => nocturne([...args, '--config', dir]) };
    outbox = path.join(dir, 'state/outbox/sdoss');
    quarantine = path.join(dir, 'state/quarantine/sdoss');
    remote = path.join(rigRoot(), base);
    // Each quicklook is quarantined: 100 pixels wide where 320 are expected.
    await mkdir(outbox, { recursive: true });
    for (const [i] of INSTANTS.entries()) await writeFile(path.join(outbox, nameOf(i)), await quicklook(100, i));
    const run = await w.cli('run', 'sdoss', '--stage', 'upload');
    expect(run.code, run.stderr).toBe(0);
    expect(await count(w, `SELECT count(*)::int AS n FROM transfers WHERE state = 'quarantined'`)).toBe(INSTANTS.length);
    await installGates(t.db, t.schema, ['retried_items', 'transfers']);
  }, 120_000);
  afterAll(async () => {
    await rm(remote, { recursive: true, force: true });
    await rm(w?.dir ?? '', { recursive: true, force: true });
    await w?.t.drop();
  });

  it.each(INSTANTS.map((instant, i) => [instant.name, i, instant] as const))(
    'killed %s: archived once, both attempts in its history, nothing left behind',
    async (_name, i, instant) => {
      await w.t.db.none('DELETE FROM operator_actions');
      const name = nameOf(i);
      // The quicklook replaced in the quarantine by a good one, as the retry asks.
      const good = await quicklook(320, i);
      await writeFile(path.join(quarantine, name), good);

      const gate = instant.gate && (await hold(w.t.db, w.t.schema, instant.gate.name));
      const env = { ...process.env, [FTP_PASSWORD_ENV]: rig().ftp.password };
      try {
        await killWhen(
          ['retry', 'sdoss', '--stage', 'upload', '--file', name, '--now', '--config', w.dir],
          gate ? () => gate.waited() : () => instant.reached!(w),
          env,
        );
      } finally {
        if (gate) await gate.open(instant.gate!.then);
      }
      const left = instant.left ?? {};
      if (left.recorded !== undefined) expect((await recorded(w)) > 0).toBe(left.recorded);
      if (left.inQuarantine !== undefined) expect(existsSync(path.join(quarantine, name))).toBe(left.inQuarantine);
      if (left.runLeft !== undefined) expect((await runsLeft(w)) > 0).toBe(left.runLeft);
      const states = () =>
        w.t.db.map(
          `SELECT state FROM transfers WHERE kind = 'output' AND local_path LIKE '%/' || $1 ORDER BY id`,
          [name],
          (r: { state: string }) => r.state,
        );
      if (left.transfer !== undefined) expect(await states()).toEqual(['quarantined', left.transfer]);

      // The next run: the retry asked again, then the stage.
      const again = await w.cli('retry', 'sdoss', '--stage', 'upload', '--file', name);
      expect(again.code, again.stderr).toBe(0);
      if (instant.again) expect(again.stdout).toMatch(instant.again);
      const run = await w.cli('run', 'sdoss', '--stage', 'upload');
      expect(run.code, run.stderr).toBe(0);

      expect(await states()).toEqual(['quarantined', 'deleted']);
      // Made good: no longer counted as quarantined (status, metrics, night_problems read this view).
      const open = `SELECT count(*)::int AS n FROM open_quarantined_transfers o JOIN transfers t ON t.id = o.id WHERE t.local_path LIKE '%/' || $1`;
      expect(await count(w, open, [name])).toBe(0);
      const month = path.join(remote, 'sdoss/2014/02');
      const archived = (await readdir(month)).filter((f) => f.startsWith(`ql${i}_`));
      expect(archived.sort()).toEqual([name, name.replace(/\.jpg$/, '.thumb.jpg')]);
      expect(readFileSync(path.join(month, name)).equals(good)).toBe(true);
      expect(await count(w, `SELECT count(*)::int AS n FROM retried_items WHERE item LIKE '%/' || $1`, [name])).toBe(1);
      expect(await count(w, `SELECT count(*)::int AS n FROM operator_actions`)).toBe(1);
      expect(existsSync(path.join(quarantine, name))).toBe(false);
      expect(existsSync(path.join(outbox, name))).toBe(false);
      expect(await runsLeft(w)).toBe(0);
      expect(
        await count(w, `SELECT count(*)::int AS n FROM transfers WHERE state NOT IN ('deleted', 'kept', 'quarantined', 'missing')`),
      ).toBe(0);
      // The other quicklooks are untouched: still quarantined, waiting for their own retry.
      expect(
        await count(
          w,
          `SELECT count(*)::int AS n FROM transfers t WHERE state = 'quarantined'
              AND NOT EXISTS (SELECT 1 FROM transfers l WHERE l.local_path = t.local_path AND l.id > t.id)`,
        ),
      ).toBe(INSTANTS.length - i - 1);
    },
    120_000,
  );
});
