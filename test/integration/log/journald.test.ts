import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { freePort, ingestPipeline, REPO, writeDaemonConfig } from '../../../harness/daemon-process.js';
import { message, PrivateJournal } from './private-journal.js';

const BIN = path.join(REPO, 'bin/nocturne.js');

describe('the journal as systemd-journald receives it (needs npm run build)', () => {
  let journal: PrivateJournal;
  let t: TestDb;
  let dir: string;

  beforeAll(async () => {
    journal = await PrivateJournal.start();
    t = await createTestDb('journald');
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-journald-'));
  });
  afterAll(async () => {
    await journal?.stop();
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('journalctl -p err -u nocturne shows the daemon errors and nothing else, each a JSON record', async () => {
    const port = await freePort();
    const pipelines = { eit: ingestPipeline('eit', '0 0 1 1 *', path.join(dir, 'csv')) };
    await writeDaemonConfig(dir, { pgUrl: t.url, schema: t.schema, port, pipelines });
    const daemon = await journal.spawn([process.execPath, BIN, 'daemon', '--config', dir]);
    // A daemon left running after a failure would outlive its schema and disturb the next tests.
    onTestFinished(() => {
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    });
    const pid = daemon.pid!;
    await journal.until(pid, ['-u', 'nocturne'], (r) => r.msg === 'ready', daemon);
    // A reload that the configuration refuses: an error, with every problem in its fields.
    await writeFile(path.join(dir, 'pipelines/eit.yaml'), 'name: eit\ncode: {name: eit}\nnonsense: [\n');
    daemon.kill('SIGHUP');
    await journal.until(pid, ['-u', 'nocturne'], (r) => r.msg.startsWith('reload refused'), daemon);
    daemon.kill('SIGTERM');
    await once(daemon, 'exit');
    const all = await journal.until(pid, ['-u', 'nocturne'], (r) => r.msg === 'shutdown complete');

    // Every record is the daemon's JSON line, searchable by its fields once journald has
    // taken the <N> prefix off, at the priority of its level.
    expect(all.length).toBeGreaterThan(4);
    for (const record of all) {
      expect(record).toMatchObject({ SYSLOG_IDENTIFIER: 'nocturne', _SYSTEMD_UNIT: 'nocturne.service' });
      const line = message(record);
      expect(record.PRIORITY).toBe(String(line.level >= 50 ? 3 : line.level >= 40 ? 4 : 6));
    }
    const errors = await journal.read(['-u', 'nocturne', '-p', 'err', `_PID=${pid}`]);
    expect(errors.map((r) => message(r).msg)).toEqual(['reload refused: the configuration is invalid; the previous one stays']);
    expect(message(errors[0]!)).toMatchObject({ service: 'nocturne', issues: expect.any(Array) });
    expect(all.filter((r) => r.PRIORITY === '6').map((r) => message(r).msg)).toEqual(
      expect.arrayContaining(['starting', 'ready', 'stopping', 'shutdown complete']),
    );
  });

  it('is what the unit gives the daemon: stdout and stderr on the journal, <N> prefixes read', async () => {
    // PrivateJournal.spawn opens its stream as systemd does for these settings.
    const unit = (await readFile(path.join(REPO, 'systemd/nocturne.service'), 'utf8')).split('\n');
    for (const line of ['SyslogIdentifier=nocturne', 'StandardOutput=journal', 'StandardError=journal', 'SyslogLevelPrefix=yes']) {
      expect(unit).toContain(line);
    }
  });

  it('a command that fails on the journal (ExecStartPre=nocturne validate) leaves one err record with every problem', async () => {
    const broken = path.join(dir, 'broken');
    await writeDaemonConfig(broken, {
      pgUrl: t.url,
      schema: t.schema,
      port: 1,
      pipelines: {
        a: 'name: a\ncode: {name: a, version: "1"}\ningest: {schedule: "61 * * * *"}\n',
        b: 'name: c\ncode: {name: b, version: "1"}\n',
      },
    });
    const validate = await journal.spawn([process.execPath, BIN, 'validate', '--config', broken]);
    const [code] = (await once(validate, 'exit')) as [number];
    expect(code).toBe(78);
    const records = await journal.until(validate.pid!, ['-u', 'nocturne'], (r) => r.level === 50);
    expect(records).toHaveLength(1);
    expect(records[0]!.PRIORITY).toBe('3');
    const problems = message(records[0]!).msg.split('\n');
    expect(problems.length).toBeGreaterThan(2);
    expect(problems.filter((p) => p.startsWith(path.join(broken, 'pipelines')))).toHaveLength(problems.length - 1);
  });
});
