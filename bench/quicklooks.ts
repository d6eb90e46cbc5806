/**
 * `npm run bench -- quicklooks [--files 500] [--size 1024] [--thumbnail 256] [--runs 3]`
 *
 * The upload stage's quicklook work (every JPEG checked: header, data length, all its
 * data decoded; then a thumbnail made), as prepareNewFiles does it before any upload,
 * against the best plain tool measured here: `vipsthumbnail` run as 2 processes, each
 * on half of the files (thumbnails only, no check). Prints the ratio (vipsthumbnail's
 * time / ours: above 1, we are faster) and the load.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { compilePipeline } from '../src/config/resolve.js';
import { pipelineSchema } from '../src/config/schema.js';
import { systemClock } from '../src/core/clock.js';
import { createLogger } from '../src/log/logger.js';
import { createLocalFiles } from '../src/stages/upload/local-files.js';
import { listOutbox } from '../src/stages/upload/outbox.js';
import { prepareNewFiles, sharpQuicklooks } from '../src/stages/upload/prepare.js';
import type { UploadSettings } from '../src/stages/upload/upload-settings.js';
import { MemoryLedger } from '../harness/memory-ledger.js';
import { median, timed } from './timing.js';
import { withPeakRss } from './upload-counters.js';

const run = promisify(execFile);

export interface QuicklookOptions {
  files: number;
  size: number;
  thumbnail: number;
  runs: number;
}

function parse(args: string[]): QuicklookOptions {
  const value = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
  };
  return { files: value('files', 500), size: value('size', 1024), thumbnail: value('thumbnail', 256), runs: Math.max(1, value('runs', 3)) };
}

/** Quicklooks as the codes write them: a textured disc on black, JPEG quality 90. */
export async function makeJpegs(dir: string, options: Pick<QuicklookOptions, 'files' | 'size'>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const { size } = options;
  const base = await sharp({
    create: { width: size, height: size, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 100, sigma: 50 } },
  })
    .composite([
      {
        input: Buffer.from(
          `<svg width="${size}" height="${size}"><circle cx="${size / 2}" cy="${size / 2}" r="${size * 0.45}" fill="#e8a030" fill-opacity="0.6"/></svg>`,
        ),
      },
    ])
    .raw()
    .toBuffer();
  const files: string[] = [];
  for (let i = 0; i < options.files; i += 1) {
    // Each image a little different, so no two decode alike.
    base[(i * 7919) % base.length] = i % 256;
    const file = path.join(dir, `sdoss_106_20140221T${String(i).padStart(6, '0')}_ql.jpg`);
    await writeFile(
      file,
      await sharp(base, { raw: { width: size, height: size, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
    files.push(file);
  }
  return files;
}

function settingsFor(dir: string, options: QuicklookOptions): UploadSettings {
  const pipeline = compilePipeline(
    pipelineSchema.parse({
      name: 'sdoss',
      code: { name: 'sdoss', version: '1.0' },
      upload: {
        schedule: '0 * * * *',
        target: 'archive',
        remoteDir: 'hfc/{code}/{yyyy}/{mm}',
        quicklooks: { check: true, width: options.size, height: options.size, thumbnailWidth: options.thumbnail },
      },
    }),
  );
  return {
    pipeline: 'sdoss',
    file: 'pipelines/sdoss.yaml',
    config: pipeline.upload!,
    target: 'archive',
    targetConfig: { type: 'local', path: path.join(dir, 'archive') },
    outbox: path.join(dir, 'outbox'),
    quarantine: path.join(dir, 'quarantine'),
    thumbnails: path.join(dir, 'thumbnails'),
    values: { pipeline: 'sdoss', code: 'sdoss', version: '1.0' },
  };
}

async function ours(dir: string, options: QuicklookOptions): Promise<number> {
  const settings = settingsFor(dir, options);
  await rm(settings.thumbnails, { recursive: true, force: true });
  return timed(async () => {
    const files = createLocalFiles();
    const { files: found } = await listOutbox(settings.outbox, settings.config.include, files);
    const prepared = await prepareNewFiles(found, {
      settings,
      ledger: new MemoryLedger(),
      files,
      quicklooks: sharpQuicklooks,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      pendingPaths: new Set(),
      signal: new AbortController().signal,
    });
    if (prepared.quarantined > 0 || prepared.failures.length > 0 || prepared.added.length !== options.files * 2) {
      throw new Error(`quicklooks: ${prepared.quarantined} quarantined, ${prepared.failures.length} failed, ${prepared.added.length} rows`);
    }
  });
}

async function vipsthumbnail(files: string[], out: string, options: QuicklookOptions): Promise<number> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const half = Math.ceil(files.length / 2);
  return timed(() =>
    Promise.all(
      [files.slice(0, half), files.slice(half)].map((part) =>
        run('vipsthumbnail', ['--size', String(options.thumbnail), '-o', `${out}/%s.thumb.jpg[Q=80]`, ...part]),
      ),
    ),
  );
}

export async function bench(args: string[]): Promise<void> {
  const options = parse(args);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-bench-quicklooks-'));
  try {
    process.stdout.write(`generating ${options.files} JPEGs of ${options.size}×${options.size} in ${dir}...\n`);
    const files = await makeJpegs(path.join(dir, 'outbox'), options);
    const times = { ours: [] as number[], vips: [] as number[] };
    let peak = 0;
    for (let round = 1; round <= options.runs; round += 1) {
      const steps: Array<[keyof typeof times, () => Promise<number>]> = [
        ['ours', () => ours(dir, options)],
        ['vips', () => vipsthumbnail(files, path.join(dir, 'vips'), options)],
      ];
      for (const [key, step] of round % 2 === 1 ? steps : steps.reverse()) {
        const { result: seconds, peakMiB } = await withPeakRss(step);
        if (key === 'ours') peak = Math.max(peak, peakMiB);
        times[key].push(seconds);
        process.stdout.write(
          `  round ${round}: ${key === 'ours' ? 'ours (check + thumbnail)' : 'vipsthumbnail × 2'}: ${seconds.toFixed(2)} s (load ${os.loadavg()[0]!.toFixed(2)})\n`,
        );
      }
    }
    const [ourTime, vipsTime] = [median(times.ours), median(times.vips)];
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(
      `\nmedian of ${options.runs}; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on ${os.cpus().length} cores`,
    );
    out(
      `ours, check + ${options.thumbnail} px thumbnail      ${ourTime.toFixed(2).padStart(7)} s ${(options.files / ourTime).toFixed(1).padStart(7)} files/s, peak RSS ${peak.toFixed(0)} MiB`,
    );
    out(
      `vipsthumbnail --size ${options.thumbnail}, 2 processes   ${vipsTime.toFixed(2).padStart(7)} s ${(options.files / vipsTime).toFixed(1).padStart(7)} files/s`,
    );
    out(`\nQuicklooks: ${(vipsTime / ourTime).toFixed(2)}× vipsthumbnail (goal ≥ 1.1×)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
