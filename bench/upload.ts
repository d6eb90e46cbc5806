/**
 * `npm run bench -- upload [--files 2000] [--big-mb 1024] [--scale 0.1] [--verify size]`
 *
 * Stage upload (verified deletion: temporary name, size check, rename, re-check,
 * local delete, every state in PostgreSQL) against the rig's vsftpd and sshd, beside
 * the plain tools in the same run: `lftp mirror -R --parallel=4` and OpenSSH `sftp -b`
 * for many ~200 KB files, `curl -T` (FTP) and `sftp` for one big file. Prints times
 * and ratios (baseline time / our time: above 1 means we are faster). Needs the rig.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { rig } from '../test/helpers/rig.js';
import { createUploadWorld, type Protocol, type UploadWorld } from '../test/integration/upload/upload-world.js';

const run = promisify(execFile);

interface Options {
  files: number;
  bigMb: number;
  verify: string;
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

/** Wall time of `work` in seconds, with the page cache warmed for `warm` first. */
async function timed(warm: string[], work: () => Promise<unknown>): Promise<number> {
  for (const file of warm) for await (const chunk of createReadStream(file)) void chunk;
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).map((name) => path.join(dir, name));
}

/** Our stage: the files hard-linked into the outbox (it deletes what it verified). */
async function ours(world: UploadWorld, files: string[]): Promise<number> {
  await Promise.all(files.map((f) => link(f, path.join(world.outbox, path.basename(f)))));
  const seconds = await timed(files, async () => {
    const outcome = await world.run();
    if (!outcome.ok) throw new Error(`upload failed: ${outcome.summary}`);
  });
  await rm(world.remoteLocal, { recursive: true, force: true });
  return seconds;
}

async function tool(cmd: string, args: string[], warm: string[], remoteDir: string, input?: string): Promise<number> {
  await mkdir(remoteDir, { recursive: true });
  const { uid, gid } = rig().ftp;
  await run('chown', [`${uid}:${gid}`, remoteDir]);
  const seconds = await timed(warm, async () => {
    const child = run(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
    if (input !== undefined) child.child.stdin?.end(input);
    await child;
  });
  await rm(remoteDir, { recursive: true, force: true });
  return seconds;
}

export async function bench(args: string[]): Promise<void> {
  const options = parse(args);
  const r = rig();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-bench-upload-'));
  const worlds: UploadWorld[] = [];
  try {
    process.stdout.write(`generating ${options.files} small files and ${options.bigMb} MiB in ${dir}...\n`);
    const data = await makeData(dir, options);
    const small = await filesIn(data.small);
    const bigBytes = (await stat(data.big)).size;
    const world = async (protocol: Protocol) => {
      const w = await createUploadWorld(`bench-${protocol}`, { protocol, upload: { verify: options.verify, include: ['*'] } });
      worlds.push(w);
      return w;
    };
    const ftp = await world('ftp');
    const sftp = await world('sftp');
    const remote = (name: string) => path.join(r.ftp.root, `bench-${process.pid}-${name}`);
    const ftpUrl = `ftp://${r.ftp.user}:${r.ftp.password}@${r.ftp.host}:${r.ftp.port}`;
    const ssh = ['-q', '-i', r.sftp.privateKeyPath, '-P', String(r.sftp.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
    const lftp = (local: string, target: string) => [
      '-u', `${r.ftp.user},${r.ftp.password}`, '-p', String(r.ftp.port),
      '-e', `set ftp:ssl-allow no; mirror -R --parallel=4 --no-perms ${local} ${target}; quit`, r.ftp.host,
    ];

    const rows: Array<[string, number, number, number]> = [];
    const many = (label: string, s: number) => rows.push([label, s, small.length / s, data.smallBytes / 1e6 / s]);
    const one = (label: string, s: number) => rows.push([label, s, 1 / s, bigBytes / 1e6 / s]);

    const oursFtpMany = await ours(ftp, small);
    many(`ours FTP, ${small.length} files, verify ${options.verify}`, oursFtpMany);
    const lftpMany = await tool('lftp', lftp(data.small, path.basename(remote('lftp'))), small, remote('lftp'));
    many('lftp mirror -R --parallel=4', lftpMany);
    const oursSftpMany = await ours(sftp, small);
    many(`ours SFTP, ${small.length} files, verify ${options.verify}`, oursSftpMany);
    const sftpMany = await tool('sftp', [...ssh, '-b', '-', `${r.sftp.user}@${r.sftp.host}`], small, remote('sftp'),
      `put ${data.small}/* ${path.basename(remote('sftp'))}/\n`);
    many('OpenSSH sftp -b', sftpMany);

    const oursFtpBig = await ours(ftp, [data.big]);
    one(`ours FTP, ${options.bigMb} MiB`, oursFtpBig);
    const curlBig = await tool('curl', ['-sS', '-T', data.big, `${ftpUrl}/${path.basename(remote('curl'))}/big.bin`], [data.big], remote('curl'));
    one('curl -T (FTP)', curlBig);
    const oursSftpBig = await ours(sftp, [data.big]);
    one(`ours SFTP, ${options.bigMb} MiB`, oursSftpBig);
    const sftpBig = await tool('sftp', [...ssh, '-b', '-', `${r.sftp.user}@${r.sftp.host}`], [data.big], remote('sftpbig'),
      `put ${data.big} ${path.basename(remote('sftpbig'))}/big.bin\n`);
    one('OpenSSH sftp -b', sftpBig);

    process.stdout.write(`\n${'what'.padEnd(44)} ${'s'.padStart(8)} ${'files/s'.padStart(9)} ${'MB/s'.padStart(8)}\n`);
    for (const [label, s, fps, mbps] of rows) {
      process.stdout.write(`${label.padEnd(44)} ${s.toFixed(2).padStart(8)} ${fps.toFixed(1).padStart(9)} ${mbps.toFixed(1).padStart(8)}\n`);
    }
    const ratio = (name: string, baseline: number, mine: number, goal: number) =>
      process.stdout.write(`${name.padEnd(44)} ${(baseline / mine).toFixed(2)}× (goal ≥ ${goal}×)\n`);
    process.stdout.write('\nratios (baseline time / our time, verification included on our side):\n');
    ratio('FTP many files vs lftp --parallel=4', lftpMany, oursFtpMany, 1.0);
    ratio('FTP big file vs curl -T', curlBig, oursFtpBig, 0.9);
    ratio('SFTP many files vs OpenSSH sftp -b', sftpMany, oursSftpMany, 1.0);
    ratio('SFTP big file vs OpenSSH sftp -b', sftpBig, oursSftpBig, 0.8);
  } finally {
    for (const w of worlds) await w.close();
    await rm(dir, { recursive: true, force: true });
  }
}
