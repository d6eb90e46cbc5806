/**
 * Access to the real-service test rig started by `bash scripts/rig/up.sh`.
 *
 * The rig writes `${NOCTURNE_RIG_DIR:-/tmp/nocturne-rig}/env` (lines of
 * `export KEY='value'`). {@link rig} parses it; a variable already present in
 * `process.env` wins over the file, so CI or a developer can point single
 * services elsewhere. A missing file or key is an error, never a skip: an
 * integration test that silently does not run is worse than a red one.
 *
 * Remote paths: FTP and SFTP log the shared test user into its home
 * (`ftp.root` === `sftp.root`) without a chroot, so a relative remote path
 * `a/b.csv` and the absolute `${root}/a/b.csv` are the same file on both
 * servers and locally. Files you create there as root are root-owned: chown
 * them to `ftp.uid`/`ftp.gid` if the servers must modify them.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Services that can be stopped and started individually. */
export type RigService = 'postgres' | 'vsftpd' | 'proftpd' | 'sshd' | 'slurm';

export interface RigFtp {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Local path of the FTP user's home: the remote login directory. */
  readonly root: string;
  /** Path of the self-signed certificate (PEM) to pin as `ca` for FTPS. */
  readonly ca: string;
  readonly uid: number;
  readonly gid: number;
}

export interface RigSftp {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Path of the client's ed25519 private key (OpenSSH format, no passphrase). */
  readonly privateKeyPath: string;
  /** Pinned host key fingerprint, OpenSSH form `SHA256:<base64, no padding>`. */
  readonly hostKeySha256: string;
  /** Local path of the SFTP user's home: the remote login directory. */
  readonly root: string;
  readonly uid: number;
  readonly gid: number;
}

export interface RigSlurm {
  /** Path of slurm.conf; every SLURM client needs it as SLURM_CONF. */
  readonly conf: string;
  readonly partition: string;
  /** The single compute node (drained and resumed by the fault suite). */
  readonly node: string;
  /** A world-writable directory for job output files (`--output`). */
  readonly outDir: string;
}

export interface Rig {
  /** postgres://postgres@127.0.0.1:5432/nocturne_test */
  readonly pgUrl: string;
  readonly ftp: RigFtp;
  readonly sftp: RigSftp;
  readonly slurm: RigSlurm;
  /** The rig directory (NOCTURNE_RIG_DIR). */
  readonly dir: string;
}

const HINT = 'run `bash scripts/rig/up.sh` (as root) to start the test rig';

/** Repository root, from this file's location (harness/rig.ts). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RIG_SCRIPTS = join(REPO_ROOT, 'scripts', 'rig');

/** The rig directory: NOCTURNE_RIG_DIR or the default /tmp/nocturne-rig. */
export function rigDir(): string {
  const fromEnv = process.env['NOCTURNE_RIG_DIR'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : '/tmp/nocturne-rig';
}

/** Parse `export KEY='value'` / `KEY=value` lines; comments and blanks ignored. */
export function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m === null) continue;
    const key = m[1];
    let value = m[2] ?? '';
    if (key === undefined) continue;
    if (value.length >= 2 && ((value.startsWith("'") && value.endsWith("'")) || (value.startsWith('"') && value.endsWith('"')))) {
      value = value.slice(1, -1);
    }
    out.set(key, value);
  }
  return out;
}

/** The parsed env file, or the reason it could not be read. */
function readEnvFile(file: string): { vars: Map<string, string>; problem?: string } {
  try {
    return { vars: parseEnvFile(readFileSync(file, 'utf8')) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { vars: new Map(), problem: `${file} is not readable (${code})` };
  }
}

/** Reads the rig's variables; a missing one throws with the hint to run up.sh. */
function rigEnv(): { dir: string; get: (key: string) => string; int: (key: string) => number } {
  const dir = rigDir();
  const envFile = join(dir, 'env');
  const { vars, problem } = readEnvFile(envFile);
  const get = (key: string): string => {
    const fromEnv = process.env[key];
    const v = fromEnv !== undefined && fromEnv !== '' ? fromEnv : vars.get(key);
    if (v === undefined || v === '') {
      const where = problem ?? `neither in the environment nor in ${envFile}`;
      throw new Error(`test rig: ${key} is not set (${where}): ${HINT}`);
    }
    return v;
  };
  const int = (key: string): number => {
    const v = get(key);
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`test rig: ${key}=${v} is not an integer: ${HINT}`);
    return n;
  };
  return { dir, get, int };
}

/**
 * The rig's proftpd (FTP and explicit FTPS with HASH/XSHA256, MLSD): the same user and
 * home as vsftpd, on a port of its own. Separate from {@link rig} so that only the
 * tests that use it fail when it is not up.
 */
export function rigProftpd(): RigFtp {
  const { get, int } = rigEnv();
  return Object.freeze({
    host: get('NOCTURNE_TEST_PROFTPD_HOST'),
    port: int('NOCTURNE_TEST_PROFTPD_PORT'),
    user: get('NOCTURNE_TEST_PROFTPD_USER'),
    password: get('NOCTURNE_TEST_PROFTPD_PASSWORD'),
    root: get('NOCTURNE_TEST_PROFTPD_ROOT'),
    ca: get('NOCTURNE_TEST_PROFTPD_CA'),
    uid: int('NOCTURNE_TEST_FTP_UID'),
    gid: int('NOCTURNE_TEST_FTP_GID'),
  });
}

/**
 * The rig's coordinates, read from `$NOCTURNE_RIG_DIR/env`; a non-empty
 * variable in process.env takes precedence. Throws with a hint to run up.sh
 * if anything is missing.
 */
export function rig(): Rig {
  const { dir, get, int } = rigEnv();
  const fingerprint = get('NOCTURNE_TEST_SFTP_HOSTKEY_SHA256');
  if (!fingerprint.startsWith('SHA256:')) {
    throw new Error(`test rig: NOCTURNE_TEST_SFTP_HOSTKEY_SHA256=${fingerprint} is not a SHA256: fingerprint: ${HINT}`);
  }
  const value: Rig = {
    pgUrl: get('NOCTURNE_TEST_PG_URL'),
    ftp: Object.freeze({
      host: get('NOCTURNE_TEST_FTP_HOST'),
      port: int('NOCTURNE_TEST_FTP_PORT'),
      user: get('NOCTURNE_TEST_FTP_USER'),
      password: get('NOCTURNE_TEST_FTP_PASSWORD'),
      root: get('NOCTURNE_TEST_FTP_ROOT'),
      ca: get('NOCTURNE_TEST_FTPS_CA'),
      uid: int('NOCTURNE_TEST_FTP_UID'),
      gid: int('NOCTURNE_TEST_FTP_GID'),
    }),
    sftp: Object.freeze({
      host: get('NOCTURNE_TEST_SFTP_HOST'),
      port: int('NOCTURNE_TEST_SFTP_PORT'),
      user: get('NOCTURNE_TEST_SFTP_USER'),
      privateKeyPath: get('NOCTURNE_TEST_SFTP_KEY'),
      hostKeySha256: fingerprint,
      root: get('NOCTURNE_TEST_SFTP_ROOT'),
      uid: int('NOCTURNE_TEST_SFTP_UID'),
      gid: int('NOCTURNE_TEST_SFTP_GID'),
    }),
    slurm: Object.freeze({
      conf: get('SLURM_CONF'),
      partition: get('NOCTURNE_TEST_SLURM_PARTITION'),
      node: get('NOCTURNE_TEST_SLURM_NODE'),
      outDir: get('NOCTURNE_TEST_SLURM_OUTDIR'),
    }),
    dir,
  };
  return Object.freeze(value);
}

/** `process.env` plus SLURM_CONF of the rig, for execFile of sbatch/sacct/... */
export function slurmEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...process.env, SLURM_CONF: rig().slurm.conf, ...extra };
}

async function runRigScript(script: 'up.sh' | 'down.sh', name: RigService): Promise<void> {
  const path = join(RIG_SCRIPTS, script);
  try {
    await execFileAsync('bash', [path, name], {
      env: { ...process.env, NOCTURNE_RIG_DIR: rigDir() },
      timeout: 180_000,
      maxBuffer: 4 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message?: string };
    throw new Error(`bash ${path} ${name} failed: ${e.message ?? String(err)}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trimEnd(), {
      cause: err,
    });
  }
}

/**
 * Stop one service (`scripts/rig/down.sh <name>`). vsftpd and sshd go down
 * with all their sessions, so in-flight transfers break; PostgreSQL is
 * stopped with `pg_ctlcluster stop -m fast` (sessions are terminated).
 */
export function stopService(name: RigService): Promise<void> {
  return runRigScript('down.sh', name);
}

/** Start one service again (`scripts/rig/up.sh <name>`); resolves once it is usable. */
export function startService(name: RigService): Promise<void> {
  return runRigScript('up.sh', name);
}

/**
 * Drains the rig's SLURM node (running tasks go on, nothing new starts) or resumes it,
 * as an operator does for maintenance.
 */
export async function setSlurmNode(state: 'drain' | 'resume', reason = 'nocturne tests'): Promise<void> {
  const args = ['update', `nodename=${rig().slurm.node}`, `state=${state}`, ...(state === 'drain' ? [`reason=${reason}`] : [])];
  try {
    await execFileAsync('scontrol', args, { env: slurmEnv(), timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new Error(`scontrol ${args.join(' ')} failed: ${e.message ?? String(err)}\n${e.stderr ?? ''}`.trimEnd(), { cause: err });
  }
}
