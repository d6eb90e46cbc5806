import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue } from '../../../src/config/issues.js';
import { loadConfig } from '../../../src/config/load.js';

const REPO = path.resolve(import.meta.dirname, '../../..');

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'nocturne-overlaps-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** What `validate` prints for a directory, with the directory written as <dir>. */
async function reported(dir: string): Promise<string[]> {
  const result = await loadConfig(dir, { PW: 'set' });
  const issues = result.ok ? (result.warnings ?? []) : result.issues;
  return issues.map((issue) => formatIssue(issue).replaceAll(dir, '<dir>'));
}

const DAEMON = `database:
  url: postgres://nocturne@127.0.0.1/nocturne
paths: {state: var}
targets:
  archive: {type: local, path: archive}
  mirror: {type: sftp, host: mirror.example.org, user: hfc, password: {env: PW}, hostKeySha256: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"}
`;

/** A pipeline whose stages are given as YAML text, each one indented by two spaces. */
function pipeline(name: string, code: string, stages: { run?: string; upload?: string; ingest?: string }): string {
  const section = (stage: string, body: string | undefined, common: string) =>
    body === undefined ? '' : `${stage}:\n  schedule: "0 2 * * *"\n${common}${body}\n`;
  return (
    `name: ${name}\ncode: {name: ${code}, version: "1"}\n` +
    section('run', stages.run, '  command: [bin/detect]\n') +
    section('upload', stages.upload, '') +
    section('ingest', stages.ingest, '  table: hfc.t\n  columns: {id: {from: ID, type: int}}\n  naturalKey: [id]\n')
  );
}

let count = 0;
async function configDir(pipelines: Record<string, string>): Promise<string> {
  const dir = path.join(root, `c${count++}`);
  await mkdir(path.join(dir, 'pipelines'), { recursive: true });
  await mkdir(path.join(dir, 'config'));
  await writeFile(path.join(dir, 'config', 'nocturne.yaml'), DAEMON);
  for (const [name, text] of Object.entries(pipelines)) await writeFile(path.join(dir, 'pipelines', `${name}.yaml`), text);
  return dir;
}

describe('pipelines that would fight over the same files', () => {
  it('refuses a copy of sdoss.yaml: same observations and code, remote directory and ingest source', async () => {
    const dir = path.join(root, 'copied');
    await cp(path.join(REPO, 'config'), path.join(dir, 'config'), { recursive: true });
    await cp(path.join(REPO, 'pipelines'), path.join(dir, 'pipelines'), { recursive: true });
    const original = await readFile(path.join(dir, 'pipelines', 'sdoss.yaml'), 'utf8');
    await writeFile(path.join(dir, 'pipelines', 'sosoft.yaml'), original.replace('name: sdoss', 'name: sosoft'));
    expect(await reported(dir)).toEqual([
      '<dir>/pipelines/sosoft.yaml:22:11: run.inputs.glob: the same observations and code (sdoss 1.06) as pipeline sdoss (<dir>/pipelines/sdoss.yaml): both would process them, then upload and load the results twice',
      "<dir>/pipelines/sosoft.yaml:37:14: upload.remoteDir: the same remote directory as pipeline sdoss (<dir>/pipelines/sdoss.yaml): files of one would replace the other's",
      '<dir>/pipelines/sosoft.yaml:48:11: ingest.source: overlaps the source of pipeline sdoss (<dir>/pipelines/sdoss.yaml), <dir>/var/archive/hfc/sdoss: both would load the same files',
    ]);
  });

  it('refuses outboxes one inside the other, whether written by a run or emptied by an upload', async () => {
    const dir = await configDir({
      a: pipeline('a', 'a', { run: '  inputs: {glob: a/*.fits}\n  outputs: {dir: out}' }),
      b: pipeline('b', 'b', { run: '  inputs: {glob: b/*.fits}\n  outputs: {dir: out/b}' }),
      c: pipeline('c', 'c', { upload: '  target: archive\n  remoteDir: /c\n  from: var/outbox/a' }),
    });
    expect(await reported(dir)).toEqual([
      "<dir>/pipelines/b.yaml:7:18: run.outputs.dir: outbox <dir>/out/b overlaps the outbox of pipeline a (<dir>/pipelines/a.yaml), <dir>/out: each upload would take and delete the other's files",
    ]);
    const defaults = await configDir({
      a: pipeline('a', 'a', { run: '  inputs: {glob: a/*.fits}' }),
      c: pipeline('c', 'c', { upload: '  target: archive\n  remoteDir: /c\n  from: var/outbox/a' }),
    });
    expect(await reported(defaults)).toEqual([
      "<dir>/pipelines/c.yaml:7:9: upload.from: outbox <dir>/var/outbox/a overlaps the outbox of pipeline a (<dir>/pipelines/a.yaml), <dir>/var/outbox/a: each upload would take and delete the other's files",
    ]);
  });

  it('refuses one remote directory for two uploads, and nested ingest sources, on the same server only', async () => {
    const dir = await configDir({
      a: pipeline('a', 'x', {
        upload: '  target: archive\n  remoteDir: /hfc/{code}/{yyyy}',
        ingest: '  source: {target: mirror, dir: /hfc}',
      }),
      b: pipeline('b', 'x', {
        upload: '  target: archive\n  remoteDir: /hfc/x/{yyyy}',
        ingest: '  source: {target: mirror, dir: /hfc/x/}',
      }),
      c: pipeline('c', 'x', {
        upload: '  target: mirror\n  remoteDir: /hfc/{code}/{yyyy}',
        ingest: '  source: {target: archive, dir: /elsewhere}',
      }),
    });
    expect(await reported(dir)).toEqual([
      "<dir>/pipelines/b.yaml:6:14: upload.remoteDir: the same remote directory as pipeline a (<dir>/pipelines/a.yaml): files of one would replace the other's",
      '<dir>/pipelines/b.yaml:12:11: ingest.source: overlaps the source of pipeline a (<dir>/pipelines/a.yaml), /hfc: both would load the same files',
      '<dir>/pipelines/c.yaml:6:14: warning: upload.remoteDir: inside the ingest source of pipeline a (<dir>/pipelines/a.yaml), /hfc: that ingest would load these files too, unless its include patterns leave them out',
      '<dir>/pipelines/c.yaml:6:14: warning: upload.remoteDir: inside the ingest source of pipeline b (<dir>/pipelines/b.yaml), /hfc/x: that ingest would load these files too, unless its include patterns leave them out',
    ]);
  });

  it('warns about two codes on the same observations, and an ingest source holding another upload', async () => {
    const dir = await configDir({
      a: pipeline('a', 'spoca-ar', { run: '  inputs: {glob: aia/*.fits}', upload: '  target: archive\n  remoteDir: /hfc/{code}' }),
      b: pipeline('b', 'spoca-ch', { run: '  inputs: {glob: aia/*.fits}', ingest: '  source: {target: archive, dir: /hfc}' }),
    });
    expect(await loadConfig(dir, {})).toMatchObject({ ok: true });
    expect(await reported(dir)).toEqual([
      '<dir>/pipelines/b.yaml:6:18: warning: run.inputs.glob: the same observations as pipeline a (<dir>/pipelines/a.yaml), with another code: fine if meant',
      '<dir>/pipelines/b.yaml:12:11: warning: ingest.source: holds what pipeline a (<dir>/pipelines/a.yaml) uploads, to <dir>/archive/hfc/spoca-ar: this ingest would load those files too, unless its include patterns leave them out',
    ]);
  });

  it("refuses an upload that would delete observations once archived, its own or another pipeline's", async () => {
    const RUN = '  inputs: {glob: "obs/{yyyy}/*.fits"}';
    const own = await configDir({
      a: pipeline('a', 'a', { run: RUN, upload: '  target: archive\n  remoteDir: /a\n  from: obs\n  include: ["*"]' }),
    });
    expect(await reported(own)).toEqual([
      '<dir>/pipelines/a.yaml:11:9: upload.from: the upload takes its files from <dir>/obs, which holds the observations of run.inputs.glob: it would delete them once archived (upload.from, or deleteAfterVerify: false)',
    ]);
    const other = await configDir({
      a: pipeline('a', 'a', { run: RUN }),
      b: pipeline('b', 'b', { upload: '  target: archive\n  remoteDir: /b\n  from: obs/2026\n  include: ["*.fits"]' }),
    });
    expect(await reported(other)).toEqual([
      '<dir>/pipelines/b.yaml:7:9: warning: upload.from: the upload takes its files from <dir>/obs/2026, among the observations of the run.inputs.glob of pipeline a (<dir>/pipelines/a.yaml) (<dir>/obs): it would delete those it matches once archived (upload.from, or deleteAfterVerify: false)',
    ]);
    const kept = await configDir({
      a: pipeline('a', 'a', { run: RUN }),
      c: pipeline('c', 'c', { upload: '  target: archive\n  remoteDir: /c\n  from: obs\n  include: ["*"]\n  deleteAfterVerify: false' }),
    });
    expect(await reported(kept)).toEqual([]);
    // The default include (*.csv, *.jpg) takes no FITS file.
    const fits = await configDir({ a: pipeline('a', 'a', { run: RUN, upload: '  target: archive\n  remoteDir: /a\n  from: obs' }) });
    expect(await reported(fits)).toEqual([]);
  });

  // The transfer ledger keeps the path as written, the ingest the full path it lists: lineage() joins on equality.
  it('warns of a relative remote directory on a target some pipeline ingests from', async () => {
    const INGEST = '  source: {target: mirror, dir: /home/hfc/a}';
    const relative = await configDir({
      a: pipeline('a', 'a', { upload: '  target: mirror\n  remoteDir: a/{yyyy}', ingest: INGEST }),
    });
    expect(await reported(relative)).toEqual([
      '<dir>/pipelines/a.yaml:6:14: warning: upload.remoteDir: is relative to the login directory, and pipeline a ingests from target "mirror", naming its files by their full paths: the catalogue\'s lineage() will not find their archived copies; write it from "/"',
    ]);
    const absolute = await configDir({
      a: pipeline('a', 'a', { upload: '  target: mirror\n  remoteDir: /home/hfc/a/{yyyy}', ingest: INGEST }),
    });
    expect(await reported(absolute)).toEqual([]);
    const notRead = await configDir({ a: pipeline('a', 'a', { upload: '  target: archive\n  remoteDir: a/{yyyy}', ingest: INGEST }) });
    expect(await reported(notRead)).toEqual([]);
  });

  // A quicklook the upload's include never takes waited in the outbox forever, counted nowhere.
  it("warns of run outputs the pipeline's upload never takes", async () => {
    const RUN = '  inputs: {glob: "obs/{yyyy}/*.fits"}\n  outputs: {quicklooks: "*.png"}';
    const png = await configDir({ a: pipeline('a', 'a', { run: RUN, upload: '  target: archive\n  remoteDir: /a' }) });
    expect(await reported(png)).toEqual([
      '<dir>/pipelines/a.yaml:9:3: warning: upload.include: takes none of the run\'s quicklooks outputs (run.outputs.quicklooks: "*.png"): they would stay in the outbox, never archived; add the pattern to upload.include',
    ]);
    const taken = await configDir({
      a: pipeline('a', 'a', { run: RUN, upload: '  target: archive\n  remoteDir: /a\n  include: ["*.csv", "*.png"]' }),
    });
    expect(await reported(taken)).toEqual([]);
  });

  it("leaves the repository's example pipelines alone", async () => {
    expect(await loadConfig(REPO, {})).toMatchObject({ ok: true, warnings: [] });
  });
});
