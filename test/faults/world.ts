/**
 * The night the fault suite runs: its own configuration directory, detection script,
 * observations and catalogue tables, independent of the repository's pipelines/,
 * examples/ and sql/catalogue/. Three pipelines run → upload → ingest on the rig's
 * SLURM, each archiving to one protocol (FTP, FTPS, SFTP) and ingesting back from it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { stringify } from 'yaml';
import { faultNightAlerts } from '../helpers/alert-census.js';
import { uniqueAddress } from '../helpers/mail-rig.js';
import { createTestDb, type TestDb } from '../../harness/db.js';
import { rig, type Rig } from '../../harness/rig.js';
import { freePort, writeDaemonConfig } from '../../harness/daemon-process.js';
import { FTP_PASSWORD_ENV, rigTarget, type RigProtocol } from '../../harness/rig-targets.js';
import { withNulByte, type NulInput } from '../../harness/nul-input.js';
import { inflatedJpeg } from '../../harness/inflated-jpeg.js';

/**
 * good: a CSV and a JPEG; badcsv: one malformed row; badjpeg: a truncated JPEG; fail: exits 3;
 * tempfail: exits 75 (EX_TEMPFAIL, "try again") at its first attempt, then as good;
 * nulcsv: one more row with a NUL byte; hugejpeg: a 265-byte JPEG whose header claims
 * 16000 × 16000 px, over quicklooks.maxPixels; thinjpeg: one claiming 8000 × 8000 px,
 * under it, with far too little data for that (both 768 MB and 192 MB, if decoded).
 */
export type ObsKind = 'good' | 'badcsv' | 'badjpeg' | 'fail' | 'tempfail' | 'nulcsv' | 'hugejpeg' | 'thinjpeg';

/** A quicklook the upload stage must quarantine. */
export const quarantinedJpeg = (o: NightObs) => o.kind === 'badjpeg' || o.kind === 'hugejpeg' || o.kind === 'thinjpeg';

/** The inflated quicklooks of hugejpeg and thinjpeg (see inflatedJpeg). */
export const INFLATED = { hugejpeg: [16000, 16000], thinjpeg: [8000, 8000] } as const;

export interface NightObs {
  pipeline: string;
  obs: string;
  kind: ObsKind;
  /** Good feature rows in its CSV. */
  rows: number;
  input: string;
}

export interface NightPipeline {
  name: string;
  protocol: RigProtocol;
  /** Remote directory, relative to the archive login directory. */
  remoteDir: string;
  /** Where that directory is on this machine (both servers share the home). */
  archiveDir: string;
  outbox: string;
  table: string;
  badRows: 'reject' | 'quarantine';
  file: string;
  /** The pipeline as the night starts, to write back after a broken reload. */
  yaml: string;
}

export interface World {
  /**
   * This night's tag, in its pipeline names and archive directory: nights on the same rig
   * (another worktree's, at the same time) never share a SLURM job name or a remote path.
   */
  night: string;
  dir: string;
  t: TestDb;
  rig: Rig;
  catalogue: string;
  port: number;
  pipelines: NightPipeline[];
  observations: NightObs[];
  quarantineDir: string;
  archiveBase: string;
  /** Environment of the daemon: the rig's SLURM_CONF and the FTP password the targets read. */
  env: NodeJS.ProcessEnv;
  startedAt: Date;
  /** The daemon's shutdown grace. */
  graceMs: number;
  /** Where the night's alert messages go (the rig's postfix, a Maildir of its own). */
  alertsTo: string;
  expectedCsv(o: NightObs): Buffer | string;
  /** Where the NUL byte of a nulcsv observation's CSV is, and the error its rejection records. */
  nulRow(o: NightObs): NulInput;
  expectedJpeg(o: NightObs): Buffer;
  close(): Promise<void>;
}

const OBSERVATIONS_PER_PIPELINE = 200;
/**
 * The run stage's timeout: short, so that the drained-node window (chaos.ts) outlasts it
 * and the stage cancels tasks that never started. A run that outlasts it otherwise also
 * has its tasks cancelled: their observations are run again, still exactly once.
 */
export const RUN_TIMEOUT_MS = 15_000;
const PROTOCOLS: RigProtocol[] = ['ftp', 'ftps', 'sftp'];
const HEADER = 'obs,feature_id,x,label\n';
const GRACE_MS = 3_000;

/** Which kind of input each observation is: a few of every bad kind, spread over the night. */
function kindOf(i: number): ObsKind {
  if (i % 40 === 17) return 'fail';
  if (i % 40 === 37) return 'tempfail';
  if (i % 20 === 7) return 'badcsv';
  if (i % 20 === 13) return 'badjpeg';
  if (i % 60 === 3) return 'nulcsv';
  if (i % 60 === 11) return 'hugejpeg';
  if (i % 60 === 31) return 'thinjpeg';
  return 'good';
}

/** A detection code that writes one CSV and one small JPEG per observation, as its .obs file says. */
function detectScript(): string {
  return `#!/bin/bash
# Fault-suite detection code: detect.sh <input> <obs> <outdir> <quicklook.jpg>
set -eu
input=$1 obs=$2 out=$3 quicklook=$4
kind=good rows=1
while IFS='=' read -r key value; do
  case $key in kind) kind=$value ;; rows) rows=$value ;; esac
done < "$input"
if [[ $kind == fail ]]; then echo "detect: $obs: no usable frame in $input" >&2; exit 3; fi
if [[ $kind == tempfail && $NOCTURNE_ATTEMPT == 1 ]]; then echo "detect: $obs: archive busy, try later" >&2; exit 75; fi
case $kind in
  badjpeg) head -c $(($(stat -c %s "$quicklook") * 3 / 5)) "$quicklook" > "$out/$obs.jpg" ;;
  hugejpeg | thinjpeg) cp "$(dirname "$quicklook")/$kind.jpg" "$out/$obs.jpg" ;;
  *) cp "$quicklook" "$out/$obs.jpg" ;;
esac
{
  echo "obs,feature_id,x,label"
  for ((i = 1; i <= rows; i++)); do echo "$obs,$i,$i.5,f$i"; done
  if [[ $kind == badcsv ]]; then echo "$obs,$((rows + 1)),not-a-number,broken"; fi
  if [[ $kind == nulcsv ]]; then printf '%s,%d,%d.5,\\000f%d\\n' "$obs" $((rows + 1)) $((rows + 1)) $((rows + 1)); fi
} > "$out/$obs.csv"
`;
}

function pipelineYaml(p: Omit<NightPipeline, 'yaml' | 'file'>, dir: string, slurmPartition: string): string {
  return stringify({
    name: p.name,
    code: { name: p.name, version: '1.0' },
    run: {
      schedule: '*/2 * * * * *',
      timeout: `${RUN_TIMEOUT_MS / 1000}s`,
      executor: 'slurm',
      command: [path.join(dir, 'detect.sh'), '{input}', '{obs}', '{outdir}', path.join(dir, 'quicklook.jpg')],
      inputs: { glob: path.join(dir, 'obs', p.name, '*.obs') },
      slurm: { partition: slurmPartition, time: '00:02:00', mem: '20M' },
      array: { throttle: 8 },
      retries: 1,
    },
    upload: {
      schedule: '*/2 * * * * *',
      target: p.name,
      remoteDir: p.remoteDir,
      verify: p.protocol === 'ftps' ? 'sha256-readback' : 'size',
      // The next slot, 2 s later, takes up whatever a failed run left; a retry would wait 30 s or more.
      retries: 0,
    },
    ingest: {
      schedule: '*/3 * * * * *',
      source: { target: p.name, dir: p.remoteDir },
      table: p.table,
      columns: {
        obs: { from: 'obs', type: 'text' },
        feature_id: { from: 'feature_id', type: 'bigint' },
        x: { from: 'x', type: 'float' },
        label: { from: 'label', type: 'text' },
      },
      naturalKey: ['obs', 'feature_id'],
      badRows: { policy: p.badRows },
      retries: 0,
    },
  });
}

export async function createWorld(): Promise<World> {
  const r = rig();
  const t = await createTestDb('faults');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-faults-'));
  const catalogue = `${t.schema}_cat`;
  const night = randomBytes(4).toString('hex');
  const archiveBase = `faults-${night}`;
  const port = await freePort();
  const alertsTo = uniqueAddress('fault-night');
  const state = path.join(dir, 'state');
  // A gradient, so that most of the file is entropy-coded data a truncation cuts into.
  const [width, height] = [64, 48];
  const pixels = Buffer.alloc(width * height * 3, 0).map((_, i) => (i * 7 + Math.floor(i / (width * 3)) * 13) % 256);
  const quicklook = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
  await writeFile(path.join(dir, 'quicklook.jpg'), quicklook);
  const inflated = {
    hugejpeg: await inflatedJpeg(...INFLATED.hugejpeg),
    thinjpeg: await inflatedJpeg(...INFLATED.thinjpeg),
  };
  for (const [kind, jpeg] of Object.entries(inflated)) await writeFile(path.join(dir, `${kind}.jpg`), jpeg);
  await writeFile(path.join(dir, 'detect.sh'), detectScript(), { mode: 0o755 });

  await t.db.none('CREATE SCHEMA $1:name', [catalogue]);
  const pipelines: NightPipeline[] = [];
  const observations: NightObs[] = [];
  for (const [n, protocol] of PROTOCOLS.entries()) {
    const name = `fault-${protocol}-${night}`;
    const table = `${catalogue}.fault_${protocol}`;
    await t.db.none(
      `CREATE TABLE ${table} (
         obs text NOT NULL, feature_id bigint NOT NULL, x double precision NOT NULL, label text NOT NULL,
         ingested_file_id bigint NOT NULL, UNIQUE (obs, feature_id))`,
    );
    const remoteDir = `${archiveBase}/${name}`;
    const archiveDir = path.join(r.ftp.root, remoteDir);
    await mkdir(archiveDir, { recursive: true });
    for (const d of [path.dirname(archiveDir), archiveDir]) await chown(d, r.ftp.uid, r.ftp.gid);
    const base = {
      name,
      protocol,
      remoteDir,
      archiveDir,
      outbox: path.join(state, 'outbox', name),
      table,
      // The middle pipeline keeps the good rows of a file with a bad one; the others refuse the file.
      badRows: n === 1 ? ('quarantine' as const) : ('reject' as const),
    };
    pipelines.push({ ...base, file: path.join(dir, 'pipelines', `${name}.yaml`), yaml: pipelineYaml(base, dir, r.slurm.partition) });
    const obsDir = path.join(dir, 'obs', name);
    await mkdir(obsDir, { recursive: true });
    for (let i = 0; i < OBSERVATIONS_PER_PIPELINE; i++) {
      const obs = `${protocol}_${String(i).padStart(3, '0')}`;
      const o: NightObs = { pipeline: name, obs, kind: kindOf(i), rows: 1 + (i % 4), input: path.join(obsDir, `${obs}.obs`) };
      await writeFile(o.input, `kind=${o.kind}\nrows=${o.rows}\n`);
      observations.push(o);
    }
  }
  await writeDaemonConfig(dir, {
    pgUrl: t.url,
    schema: t.schema,
    port,
    grace: `${GRACE_MS / 1000}s`,
    targets: Object.fromEntries(pipelines.map((p) => [p.name, rigTarget(p.protocol, { connections: 2 })])),
    pipelines: Object.fromEntries(pipelines.map((p) => [p.name, p.yaml])),
    extra: {
      host: { name: 'faults' },
      // A submission a kill cut off before sbatch is resubmitted after lostAfter: short, for a short night.
      database: { url: t.url, schema: t.schema, poolSize: 12 },
      executor: { type: 'slurm', slurm: { partition: r.slurm.partition, pollInterval: '1s', lostAfter: '30s' } },
      alerts: faultNightAlerts(alertsTo),
    },
  });
  const goodCsv = (o: NightObs) => {
    let body = HEADER;
    for (let i = 1; i <= o.rows; i++) body += `${o.obs},${i},${i}.5,f${i}\n`;
    return body;
  };
  // The extra row of a nulcsv observation, with a NUL byte at the start of its label (line 1 is the header).
  const nulRow = (o: NightObs) => withNulByte(`${goodCsv(o)}${o.obs},${o.rows + 1},${o.rows + 1}.5,f${o.rows + 1}\n`, o.rows + 2, 3, ',');
  const expectedCsv = (o: NightObs) => {
    if (o.kind === 'nulcsv') return nulRow(o).bytes;
    return o.kind === 'badcsv' ? `${goodCsv(o)}${o.obs},${o.rows + 1},not-a-number,broken\n` : goodCsv(o);
  };
  return {
    night,
    dir,
    t,
    rig: r,
    catalogue,
    port,
    pipelines,
    observations,
    quarantineDir: path.join(state, 'quarantine'),
    archiveBase,
    env: { ...process.env, SLURM_CONF: r.slurm.conf, [FTP_PASSWORD_ENV]: r.ftp.password },
    startedAt: new Date(),
    graceMs: GRACE_MS,
    alertsTo,
    expectedCsv,
    nulRow,
    expectedJpeg(o) {
      if (o.kind === 'hugejpeg' || o.kind === 'thinjpeg') return inflated[o.kind];
      return o.kind === 'badjpeg' ? quicklook.subarray(0, Math.floor((quicklook.length * 3) / 5)) : quicklook;
    },
    async close() {
      await t.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [catalogue]);
      await t.drop();
      await rm(path.join(r.ftp.root, archiveBase), { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function sha256(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}
