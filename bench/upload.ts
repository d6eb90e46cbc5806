/**
 * `npm run bench -- upload [--files 2000] [--big-mb 1024] [--scale 0.1] [--verify size] [--runs 3] [--only ftp-many,lftp-many] [--archive ram|disk]`
 *
 * Stage upload (verified deletion: temporary name, size check, rename, re-check,
 * local delete, every state in PostgreSQL) against the rig's vsftpd and sshd, beside
 * the plain tools in the same run: `lftp mirror -R --parallel=4` and OpenSSH `sftp -b`
 * for many ~200 KB files (and curl, plainly and doing our protocol without states: the
 * bound any verifying client is held to), `curl -T` (FTP) and `sftp` for one big file. Prints times
 * and ratios (baseline time / our time: above 1 means we are faster), with what each
 * of our files costs (PostgreSQL commits, protocol commands) and a plain loopback socket
 * copy of the same bytes as the physical limit, and where the machine's CPU went during
 * each case (bench/machine-cpu.ts). Needs the rig.
 *
 * The archive is another machine's disk. Here the servers write on this machine, and on
 * the disk of PostgreSQL's WAL: on ext4 (data=ordered) a commit's fsync then waits for the
 * archive's pages written before it (a commit of 547 ms behind 900 MB, measured), a wait
 * no daemon has whose archive is remote. So for the bench the servers' root is a tmpfs
 * (`--archive ram`, the default; root only), for the plain tools as for us;
 * `--archive disk` keeps the one shared disk.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { rig } from '../harness/rig.js';
import type { TransferLedger } from '../src/stages/upload/transfer-ledger.js';
import { createUploadWorld, type Protocol, type UploadWorld } from '../harness/upload-world.js';
import { MemoryLedger } from '../harness/memory-ledger.js';
import { createPgTransferLedger } from '../src/stages/upload/pg-transfer-ledger.js';
import { loopbackCopy } from './loopback-copy.js';
import { quiet, withCpuSplit, type CpuSplit } from './machine-cpu.js';
import { median } from './timing.js';
import { countingDb, countProtocolCommands, counts, resetCounts, withPeakRss } from './upload-counters.js';

const run = promisify(execFile);

interface Options {
  files: number;
  bigMb: number;
  verify: string;
  runs: number;
  archive: 'ram' | 'disk';
  /** Case keys to run (all when empty): quicker iterations on one case. */
  only: string[];
  /** Connections per target and files in flight per connection, when not the defaults (to choose them). */
  connections?: number;
  lanes?: number;
}

/** One timed run of a case; ours also says what it cost per file, and its peak RSS. */
interface Measure {
  seconds: number;
  /** Where the machine's CPU went during the case. */
  cpu: CpuSplit;
  peakMiB?: number;
  /** CPU time of this process (user + system): under another's load, what the wall time is made of. */
  cpuMs?: number;
  commits?: number;
  commands?: number;
  data?: number;
}

interface Case {
  key: string;
  label: string;
  files: number;
  bytes: number;
  time: () => Promise<Measure>;
}

function parse(args: string[]): Options {
  const value = (name: string, fallback: number | string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : String(fallback);
  };
  const scale = Number(value('scale', 1));
  return {
    files: Math.max(1, Math.round(Number(value('files', 2000)) * scale)),
    bigMb: Math.max(1, Math.round(Number(value('big-mb', 1024)) * scale)),
    verify: value('verify', 'size'),
    runs: Math.max(1, Number(value('runs', 3))),
    archive: value('archive', 'ram') === 'disk' ? 'disk' : 'ram',
    only: value('only', '')
      .split(',')
      .filter((k) => k !== ''),
    ...(args.includes('--connections') ? { connections: Number(value('connections', 0)) } : {}),
    ...(args.includes('--lanes') ? { lanes: Number(value('lanes', 0)) } : {}),
  };
}

/** Many files of 100–300 KiB (~200 KB on average, as the HFC outputs), and one big file. */
async function makeData(dir: string, options: Options): Promise<{ small: string; big: string; smallBytes: number }> {
  const small = path.join(dir, 'small');
  await mkdir(small, { recursive: true });
  let smallBytes = 0;
  for (let i = 0; i < options.files; i += 1) {
    const size = 100 * 1024 + Math.floor(Math.random() * 200 * 1024);
    smallBytes += size;
    await writeFile(path.join(small, `sdoss_106_20140221T${String(i).padStart(6, '0')}_sdo_feat.csv`), randomBytes(size));
  }
  const big = path.join(dir, 'big', 'sdoss_106_20140221T000000_big.bin');
  await mkdir(path.dirname(big), { recursive: true });
  const chunk = randomBytes(8 * 1024 * 1024);
  const out = createWriteStream(big);
  for (let written = 0; written < options.bigMb * 1024 * 1024; written += chunk.length) {
    if (!out.write(chunk.subarray(0, Math.min(chunk.length, options.bigMb * 1024 * 1024 - written)))) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { small, big, smallBytes };
}

/**
 * Wall time of `work` in seconds, and where the machine's CPU went, with the page cache
 * warmed for `warm` first, the dirty pages of earlier runs written out (as the reference
 * measurements did), PostgreSQL checkpointed and the machine quiet. Without the
 * checkpoint, the one that the WAL of 2,000 files' states starts fell in the next case: a
 * 1 GiB upload right after them took 1.64-1.67 s instead of 0.75-1.07 s, its 5 commits
 * waiting on the disk.
 */
async function timed(warm: string[], work: () => Promise<unknown>): Promise<{ seconds: number; cpu: CpuSplit }> {
  for (const file of warm) for await (const chunk of createReadStream(file)) void chunk;
  await run('sync', []);
  await run('psql', [rig().pgUrl, '-qc', 'CHECKPOINT']);
  if (!(await quiet())) process.stdout.write('  (the machine did not quiet down within 15 s before this case)\n');
  const { result: seconds, cpu } = await withCpuSplit(async () => {
    const started = performance.now();
    await work();
    return (performance.now() - started) / 1000;
  });
  return { seconds, cpu };
}

async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).map((name) => path.join(dir, name));
}

/**
 * Our stage: the files hard-linked into the outbox (it deletes what it verified). With
 * `memory`, the states are kept in memory instead of PostgreSQL: not safe, only to show
 * what the database's commits cost. Otherwise the PostgreSQL ledger's statements are counted.
 */
async function ours(world: UploadWorld, files: string[], options: Options, memory = false): Promise<Measure> {
  await Promise.all(files.map((f) => link(f, path.join(world.outbox, path.basename(f)))));
  const ledger: TransferLedger = memory ? new MemoryLedger() : createPgTransferLedger(countingDb(world.db.db), 0);
  resetCounts();
  let cpu = { user: 0, system: 0 };
  const { result: timing, peakMiB } = await withPeakRss(() =>
    timed(files, async () => {
      const start = process.cpuUsage();
      const outcome = await world.run({ ledger, ...(options.lanes === undefined ? {} : { lanes: options.lanes }) });
      cpu = process.cpuUsage(start);
      if (!outcome.ok) throw new Error(`upload failed: ${outcome.summary}`);
    }),
  );
  const { user, system } = cpu;
  const perFile = (n: number) => n / files.length;
  await rm(world.remoteLocal, { recursive: true, force: true });
  return {
    ...timing,
    peakMiB,
    cpuMs: perFile((user + system) / 1000),
    commits: perFile(counts.commits),
    commands: perFile(counts.commands),
    data: perFile(counts.data),
  };
}

async function tool(cmd: string, args: string[], warm: string[], remoteDir: string, input?: string): Promise<Measure> {
  await mkdir(remoteDir, { recursive: true });
  const { uid, gid } = rig().ftp;
  await run('chown', [`${uid}:${gid}`, remoteDir]);
  const timing = await timed(warm, async () => {
    const child = run(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
    if (input !== undefined) child.child.stdin?.end(input);
    await child;
  });
  await rm(remoteDir, { recursive: true, force: true });
  return timing;
}

export async function bench(args: string[]): Promise<void> {
  const options = parse(args);
  const r = rig();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-bench-upload-'));
  const worlds: UploadWorld[] = [];
  const unmount = options.archive === 'ram' ? await archiveInRam(r.ftp.root, r.ftp) : async () => undefined;
  try {
    process.stdout.write(`archive (the servers' root ${r.ftp.root}): ${options.archive === 'ram' ? 'a tmpfs' : "this machine's disk"}\n`);
    process.stdout.write(`generating ${options.files} small files and ${options.bigMb} MiB in ${dir}...\n`);
    const data = await makeData(dir, options);
    const small = await filesIn(data.small);
    const bigBytes = (await stat(data.big)).size;
    const world = async (protocol: Protocol) => {
      const w = await createUploadWorld(`bench-${protocol}`, {
        protocol,
        upload: { verify: options.verify, include: ['*'] },
        ...(options.connections === undefined ? {} : { target: { connections: options.connections } }),
      });
      worlds.push(w);
      return w;
    };
    const ftp = await world('ftp');
    const sftp = await world('sftp');
    const remote = (name: string) => path.join(r.ftp.root, `bench-${process.pid}-${name}`);
    const ftpUrl = `ftp://${r.ftp.user}:${r.ftp.password}@${r.ftp.host}:${r.ftp.port}`;
    const ssh = [
      '-q',
      '-i',
      r.sftp.privateKeyPath,
      '-P',
      String(r.sftp.port),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
    ];
    const lftp = (local: string, target: string) => [
      '-u',
      `${r.ftp.user},${r.ftp.password}`,
      '-p',
      String(r.ftp.port),
      '-e',
      `set ftp:ssl-allow no; mirror -R --parallel=4 --no-perms ${local} ${target}; quit`,
      r.ftp.host,
    ];

    /**
     * A curl config uploading `files` into `remoteDir` over 4 connections, each file in its
     * own transfer (EPSV, STOR; TYPE I once per connection). `verified`: as our stage does it,
     * under a temporary name, then SIZE, RNFR and RNTO, with no state recorded and no local
     * delete: what the protocol of verified deletion alone costs, done by a C client.
     */
    const curlConfig = async (name: string, remoteDir: string, verified: boolean): Promise<string> => {
      const dirName = path.basename(remoteDir);
      const groups = small.map((file) => {
        const base = path.basename(file);
        const partial = `${dirName}/.${base}.partial`;
        const target = verified ? partial : `${dirName}/${base}`;
        const lines = ['ftp-method = nocwd', `user = "${r.ftp.user}:${r.ftp.password}"`, `upload-file = "${file}"`];
        lines.push(`url = "ftp://${r.ftp.host}:${r.ftp.port}/${target}"`);
        if (verified) lines.push(`quote = "-SIZE ${partial}"`, `quote = "-RNFR ${partial}"`, `quote = "-RNTO ${dirName}/${base}"`);
        return lines.join('\n');
      });
      const config = path.join(dir, `${name}.curlrc`);
      await writeFile(config, `${groups.join('\nnext\n')}\n`, { mode: 0o600 });
      return config;
    };
    const curlMany = async (name: string, verified: boolean) =>
      tool('curl', ['-sS', '--parallel', '--parallel-max', '4', '-K', await curlConfig(name, remote(name), verified)], small, remote(name));
    const sftpBatch = (remoteDir: string, warm: string[], line: (dir: string) => string) =>
      tool('sftp', [...ssh, '-b', '-', `${r.sftp.user}@${r.sftp.host}`], warm, remoteDir, line(path.basename(remoteDir)));
    const loopback = (files: string[], streams: number): Promise<Measure> => timed(files, () => loopbackCopy(files, streams));
    const cases: Case[] = [
      {
        key: 'ftp-many',
        label: `ours FTP, ${small.length} files`,
        files: small.length,
        bytes: data.smallBytes,
        time: () => ours(ftp, small, options),
      },
      {
        key: 'ftp-many-nodb',
        label: '  same, states in memory (diagnostic)',
        files: small.length,
        bytes: data.smallBytes,
        time: () => ours(ftp, small, options, true),
      },
      {
        key: 'lftp-many',
        label: 'lftp mirror -R --parallel=4',
        files: small.length,
        bytes: data.smallBytes,
        time: () => tool('lftp', lftp(data.small, path.basename(remote('lftp'))), small, remote('lftp')),
      },
      {
        key: 'curl-many',
        label: 'curl --parallel-max 4',
        files: small.length,
        bytes: data.smallBytes,
        time: () => curlMany('curl-many', false),
      },
      {
        key: 'curl-verified-many',
        label: '  curl, our protocol, no states (bound)',
        files: small.length,
        bytes: data.smallBytes,
        time: () => curlMany('curl-verified-many', true),
      },
      {
        key: 'sftp-many',
        label: `ours SFTP, ${small.length} files`,
        files: small.length,
        bytes: data.smallBytes,
        time: () => ours(sftp, small, options),
      },
      {
        key: 'sftp-many-nodb',
        label: '  same, states in memory (diagnostic)',
        files: small.length,
        bytes: data.smallBytes,
        time: () => ours(sftp, small, options, true),
      },
      {
        key: 'openssh-many',
        label: 'OpenSSH sftp -b',
        files: small.length,
        bytes: data.smallBytes,
        time: () => sftpBatch(remote('sftp'), small, (dir) => `put ${data.small}/* ${dir}/\n`),
      },
      {
        key: 'loopback-many',
        label: 'loopback socket copy, 4 streams',
        files: small.length,
        bytes: data.smallBytes,
        time: () => loopback(small, 4),
      },
      { key: 'ftp-big', label: `ours FTP, ${options.bigMb} MiB`, files: 1, bytes: bigBytes, time: () => ours(ftp, [data.big], options) },
      {
        key: 'ftp-big-nodb',
        label: '  same, states in memory (diagnostic)',
        files: 1,
        bytes: bigBytes,
        time: () => ours(ftp, [data.big], options, true),
      },
      {
        key: 'curl-big',
        label: 'curl -T (FTP)',
        files: 1,
        bytes: bigBytes,
        time: () => tool('curl', ['-sS', '-T', data.big, `${ftpUrl}/${path.basename(remote('curl'))}/big.bin`], [data.big], remote('curl')),
      },
      { key: 'sftp-big', label: `ours SFTP, ${options.bigMb} MiB`, files: 1, bytes: bigBytes, time: () => ours(sftp, [data.big], options) },
      {
        key: 'openssh-big',
        label: 'OpenSSH sftp -b',
        files: 1,
        bytes: bigBytes,
        time: () => sftpBatch(remote('sftpbig'), [data.big], (dir) => `put ${data.big} ${dir}/big.bin\n`),
      },
      { key: 'loopback-big', label: 'loopback socket copy, 1 stream', files: 1, bytes: bigBytes, time: () => loopback([data.big], 1) },
    ];
    countProtocolCommands();
    // What the bench process holds before any upload (tsx, sharp, pg...): the floor under each case's peak.
    process.stdout.write(`RSS of this process before the cases: ${(process.memoryUsage.rss() / 1024 / 1024).toFixed(0)} MiB\n`);
    const chosen = options.only.length === 0 ? cases : cases.filter((c) => options.only.includes(c.key));
    const measures = new Map<string, Measure[]>();
    for (let round = 1; round <= options.runs; round += 1) {
      // Alternate the order, so neither side always follows the other's writeback.
      for (const c of round % 2 === 1 ? chosen : [...chosen].reverse()) {
        const m = await c.time();
        measures.set(c.key, [...(measures.get(c.key) ?? []), m]);
        process.stdout.write(`  round ${round}: ${c.label}: ${m.seconds.toFixed(2)} s (load ${os.loadavg()[0]!.toFixed(2)})\n`);
      }
    }
    report(chosen, measures, options);
  } finally {
    for (const w of worlds) await w.close();
    await rm(dir, { recursive: true, force: true });
    await unmount();
  }
}

/** A tmpfs over the servers' (empty) root for the bench, owned as the root was; returns its unmount. */
async function archiveInRam(root: string, owner: { uid: number; gid: number }): Promise<() => Promise<void>> {
  await run('mount', ['-t', 'tmpfs', '-o', `size=4g,mode=755,uid=${owner.uid},gid=${owner.gid}`, 'nocturne-bench-archive', root]).catch(
    (err: Error) => {
      throw new Error(`--archive ram mounts a tmpfs on ${root} and needs root (or use --archive disk): ${err.message}`);
    },
  );
  return async () => {
    await run('umount', [root]);
  };
}

function report(chosen: readonly Case[], measures: ReadonlyMap<string, Measure[]>, options: Options): void {
  const medianOf = (key: string) => {
    const all = measures.get(key);
    return all ? median(all.map((m) => m.seconds)) : undefined;
  };
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `\nmedian of ${options.runs}, verify ${options.verify} on our side, archive on ${options.archive === 'ram' ? 'a tmpfs' : 'the disk'}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${os.cpus().length} cores`,
  );
  out(
    `${'what'.padEnd(40)} ${'s'.padStart(7)} ${'files/s'.padStart(8)} ${'MB/s'.padStart(7)}  per file: commits, commands (+data), CPU; peak RSS`,
  );
  for (const c of chosen) {
    const sec = medianOf(c.key)!;
    const last = measures.get(c.key)!.at(-1)!;
    const cost =
      last.peakMiB === undefined
        ? ''
        : `  ${last.commits!.toFixed(2)} commits, ${last.commands!.toFixed(1)} commands (+${last.data!.toFixed(1)} data), ` +
          `${last.cpuMs!.toFixed(2)} ms CPU; ${last.peakMiB.toFixed(0)} MiB`;
    out(
      `${c.label.padEnd(40)} ${sec.toFixed(2).padStart(7)} ${(c.files / sec).toFixed(1).padStart(8)} ${(c.bytes / 1e6 / sec).toFixed(1).padStart(7)}${cost}`,
    );
  }
  out(
    `\nwhere the machine's CPU went, core-seconds (the run of median time; on ${os.cpus().length} cores the wall time is at least the total / ${os.cpus().length}):`,
  );
  out(`${'what'.padEnd(40)} ${'client'.padStart(7)} ${'pg'.padStart(7)} ${'rest'.padStart(7)} ${'total'.padStart(7)}`);
  for (const c of chosen) {
    const sec = medianOf(c.key)!;
    const { cpu } = measures.get(c.key)!.reduce((a, b) => (Math.abs(b.seconds - sec) < Math.abs(a.seconds - sec) ? b : a));
    const cells = [cpu.client, cpu.postgres, cpu.total - cpu.client - cpu.postgres, cpu.total].map((v) => v.toFixed(2).padStart(7));
    out(`${c.label.padEnd(40)} ${cells.join(' ')}`);
  }
  out('client: this process (our stage) or the plain tool it ran; pg: PostgreSQL; rest: the file server, the kernel, the rest');

  out("\nratios (plain tool's time / our time; above 1: we are faster):");
  const ratio = (name: string, tool: string, baseline: string, mine: string, goal?: number) => {
    const [b, m] = [medianOf(baseline), medianOf(mine)];
    if (b === undefined || m === undefined) return;
    out(`${name}: ${(b / m).toFixed(2)}× ${tool}${goal === undefined ? '' : ` (goal ≥ ${goal}×)`}`);
  };
  ratio('FTP many files', 'lftp', 'lftp-many', 'ftp-many', 1.0);
  ratio('FTP big file', 'curl', 'curl-big', 'ftp-big', 0.9);
  ratio('SFTP many files', 'OpenSSH sftp', 'openssh-many', 'sftp-many', 1.0);
  ratio('SFTP big file', 'OpenSSH sftp', 'openssh-big', 'sftp-big', 0.8);
  out(
    'the protocol of verified deletion alone (temporary name, SIZE, rename), by curl with no states and no local delete: the most a verifying client reaches here:',
  );
  ratio('FTP many files, curl with our protocol', 'lftp', 'lftp-many', 'curl-verified-many');
  ratio('FTP many files', 'curl with our protocol', 'curl-verified-many', 'ftp-many');
  ratio('FTP many files, plain curl', 'lftp', 'lftp-many', 'curl-many');
  out('against the loopback itself (a plain socket copy of the same bytes, the physical limit):');
  ratio('FTP many files', 'loopback socket copy', 'loopback-many', 'ftp-many');
  ratio('SFTP many files', 'loopback socket copy', 'loopback-many', 'sftp-many');
  ratio('FTP big file', 'loopback socket copy', 'loopback-big', 'ftp-big');
  ratio('SFTP big file', 'loopback socket copy', 'loopback-big', 'sftp-big');
}
