/**
 * `npm run bench -- upload-rss [--files 2000] [--big-mb 1024] [--jpegs 500] [--scale 0.1]`
 *
 * Peak RSS of the upload stage, each case in a process of its own (the bench process
 * itself holds more than the stage: tsx, the generated data, the other worlds): many
 * ~200 KB files, then one big file, over FTP and SFTP, then --jpegs quicklooks checked
 * and thumbnailed before their upload by FTP, with the PostgreSQL ledger. The
 * child is test/integration/upload/upload-child.ts (as kill-9 and memory tests run it),
 * compiled first as the command is (one bundle, no tsx, no source maps: tsx alone adds
 * some 30 MiB that the installed command does not hold), with the node options of
 * bin/nocturne.js's first line, as installed. Goal: ≤ 150 MiB.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BIN_NODE_ARGS } from '../harness/daemon-process.js';
import { createUploadWorld, type Protocol, type UploadWorld } from '../harness/upload-world.js';
import { makeJpegs } from './quicklooks.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CHILD = path.join(REPO, 'test/integration/upload/upload-child.ts');

/**
 * The child's code in one bundle, as dist/nocturne.cjs holds the command's (its npm
 * packages loaded from node_modules, where the shipped bundle inlines those of the start path),
 * written to node_modules/.cache/: the packages resolve from there, and dist/ (which is
 * shipped) holds nothing of the bench.
 */
async function compiledChild(): Promise<string> {
  const outfile = path.join(REPO, 'node_modules/.cache/nocturne-bench/upload-child.mjs');
  await build({
    entryPoints: [CHILD],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    minifyWhitespace: true,
    logLevel: 'warning',
  });
  return outfile;
}

async function peakRss(script: string, world: UploadWorld): Promise<number> {
  const specFile = path.join(world.config.dir, 'spec.json');
  await writeFile(specFile, JSON.stringify(world.spec));
  const child = spawn(process.execPath, [...BIN_NODE_ARGS, script, specFile, world.db.url, world.db.schema], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`upload child exited with ${code}`);
  const { outcome, maxRssBytes } = JSON.parse(stdout) as { outcome: { ok: boolean; summary: string }; maxRssBytes: number };
  if (!outcome.ok) throw new Error(`upload failed: ${outcome.summary}`);
  return maxRssBytes / 2 ** 20;
}

async function bigFile(file: string, mb: number): Promise<void> {
  const out = createWriteStream(file);
  const chunk = randomBytes(1024 * 1024);
  for (let i = 0; i < mb; i += 1) {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

export async function bench(args: string[]): Promise<void> {
  const value = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
  };
  const scale = value('scale', 1);
  const files = Math.max(1, Math.round(value('files', 2000) * scale));
  const bigMb = Math.max(1, Math.round(value('big-mb', 1024) * scale));
  const child = await compiledChild();
  for (const protocol of ['ftp', 'sftp'] as Protocol[]) {
    for (const what of ['many', 'big'] as const) {
      const world = await createUploadWorld(`rss-${protocol}`, { protocol, upload: { include: ['*'] } });
      try {
        if (what === 'many') {
          for (let i = 0; i < files; i += 1) {
            await world.file(
              `sdoss_106_20140221T${String(i).padStart(6, '0')}_sdo_feat.csv`,
              100 * 1024 + Math.floor(Math.random() * 200 * 1024),
            );
          }
        } else {
          await bigFile(path.join(world.outbox, 'sdoss_106_20140221T000000_big.bin'), bigMb);
        }
        const peak = await peakRss(child, world);
        const label = what === 'many' ? `${files} files` : `${bigMb} MiB`;
        report(`${protocol.toUpperCase()} ${label}`, peak);
      } finally {
        await world.close();
      }
    }
  }
  // The quicklook work too: every JPEG decoded (check) and a thumbnail made and uploaded.
  const jpegs = Math.max(1, Math.round(value('jpegs', 500) * scale));
  const world = await createUploadWorld('rss-quicklooks', {
    protocol: 'ftp',
    upload: { include: ['*'], quicklooks: { check: true, width: 1024, height: 1024, thumbnailWidth: 256 } },
  });
  try {
    await makeJpegs(world.outbox, { files: jpegs, size: 1024 });
    report(`FTP ${jpegs} quicklooks of 1024 × 1024, checked, with 256 px thumbnails`, await peakRss(child, world));
  } finally {
    await world.close();
  }
}

function report(what: string, peakMiB: number): void {
  process.stdout.write(`${what}: peak RSS ${peakMiB.toFixed(0)} MiB (goal ≤ 150 MiB; load ${os.loadavg()[0]!.toFixed(2)})\n`);
}
