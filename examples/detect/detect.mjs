#!/usr/bin/env node
// Example detection code for nocturne, writing what the HFC feature-recognition codes write:
//
//   detect.mjs --code sdoss|spoca-ar|rabat3 --version V --input FILE --outdir DIR [--fail-rate P]
//
// reads one observation (a small key=value text file, see examples/observations/README.md)
// and writes, deterministically from it, the observation's HFC file set (hfc-shapes.mjs):
//   <code>_<version without dots>_<YYYYMMDDTHHMMSS>_<obs>_init.csv   OBSERVATIONS rows (2 for SDOSS)
//   ..._feat.csv    the features, only when some were found (0..5, or features=N)
//   spoca_<version>_<date>_<obs>_track.csv   SPoCA: its tracker's file for those features
//   the code's metadata: SDOSS <root>_frc_info.csv and _observatory.csv, SPoCA its
//   repository's spoca_300_*.csv, RABAT3 per instrument rabat3_<ver>_<obs>_*.csv
// (';'-separated, UPPER-CASE headers, each code's writer quirks; RABAT3 puts <obs>, its
// instrument, before the date) and a JPEG
// quicklook named in the init file (QCLK_FNAME). Another --code writes the SDOSS shape
// under its own name. Exit status 75 (EX_TEMPFAIL) means "try again later"; nocturne retries it.
//
// Test switches in the observation file: exit=N, signal=NAME, sleep=SECONDS,
// fail_attempts=N (exit 75 while $NOCTURNE_ATTEMPT <= N), no_output=1, trace=FILE
// (appends "<obs> <attempt>" at every start).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { generator, metadataFiles, observationSet, SOLAR_RADIUS_ARCSEC } from './hfc-shapes.mjs';

const SIZE = 256;

function die(status, message) {
  process.stderr.write(`detect: ${message}\n`);
  process.exit(status);
}

function readObservation(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    die(66, `cannot read observation ${file}: ${err.code ?? err.message}`);
  }
  const fields = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq < 1) die(65, `${file}:${i + 1}: expected key=value, got ${JSON.stringify(line)}`);
    fields[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  });
  for (const key of ['instrument', 'date_obs', 'seed']) {
    if (fields[key] === undefined) die(65, `${file}: missing ${key}=`);
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(fields.date_obs)) {
    die(65, `${file}: date_obs must be YYYY-MM-DDTHH:MM:SS, not ${fields.date_obs}`);
  }
  if (!/^\d+$/.test(fields.seed)) die(65, `${file}: seed must be a whole number`);
  return fields;
}

/** A grey solar disc with a dark spot per feature, 256×256. */
async function quicklook(spots, file) {
  const pixels = Buffer.alloc(SIZE * SIZE, 10);
  const centre = SIZE / 2;
  const radius = SIZE * 0.45;
  const scale = radius / SOLAR_RADIUS_ARCSEC;
  for (let py = 0; py < SIZE; py++) {
    for (let px = 0; px < SIZE; px++) {
      const d = Math.hypot(px - centre, py - centre);
      if (d <= radius) pixels[py * SIZE + px] = Math.round(170 - 40 * (d / radius) ** 2);
    }
  }
  for (const { x, y, area } of spots) {
    const sx = centre + x * scale;
    const sy = centre - y * scale;
    const r = 2 + Math.sqrt(area);
    for (let py = Math.floor(sy - r); py <= sy + r; py++) {
      for (let px = Math.floor(sx - r); px <= sx + r; px++) {
        if (px >= 0 && py >= 0 && px < SIZE && py < SIZE && Math.hypot(px - sx, py - sy) <= r) pixels[py * SIZE + px] = 40;
      }
    }
  }
  await sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 1 } })
    .jpeg({ quality: 80 })
    .toFile(file);
}

async function main() {
  const { values } = parseArgs({
    options: {
      code: { type: 'string' },
      version: { type: 'string' },
      input: { type: 'string' },
      outdir: { type: 'string' },
      'fail-rate': { type: 'string', default: '0' },
    },
  });
  for (const key of ['code', 'version', 'input', 'outdir']) {
    if (!values[key]) die(64, `--${key} is required (usage: detect.mjs --code C --version V --input FILE --outdir DIR)`);
  }
  const failRate = Number(values['fail-rate']);
  if (!(failRate >= 0 && failRate <= 1)) die(64, '--fail-rate must be between 0 and 1');
  const fields = readObservation(values.input);
  const obsId = path.basename(values.input).replace(/\.[^.]*$/, '');
  const attempt = Number(process.env.NOCTURNE_ATTEMPT ?? '1');
  if (fields.trace) appendFileSync(fields.trace, `${obsId} ${attempt}\n`);
  console.log(`detect ${values.code} ${values.version}: ${obsId} (${fields.instrument}, ${fields.date_obs}), attempt ${attempt}`);

  if (fields.sleep) await new Promise((resolve) => setTimeout(resolve, Number(fields.sleep) * 1000));
  if (fields.signal) process.kill(process.pid, `SIG${fields.signal}`);
  if (fields.fail_attempts && attempt <= Number(fields.fail_attempts)) die(75, `simulated transient failure (attempt ${attempt})`);
  // The same seed and attempt always fail or succeed alike; another attempt rolls again.
  if (generator(Number(fields.seed) + attempt * 7919)() < failRate) die(75, `simulated transient failure (--fail-rate ${failRate})`);
  if (fields.no_output) return;

  // RABAT3 names its files by instrument (win, sta...), the others here by observation.
  const obs = values.code === 'rabat3' ? fields.instrument.toLowerCase() : obsId;
  const set = observationSet({
    code: values.code,
    version: values.version,
    obs,
    dateObs: fields.date_obs,
    seed: Number(fields.seed),
    features: fields.features === undefined ? undefined : Number(fields.features),
  });
  // The CSVs are written even when the code then fails: nocturne must not publish them.
  for (const file of [...metadataFiles({ ...values, obs }), ...set.files]) {
    writeFileSync(path.join(values.outdir, file.name), file.text, file.encoding ?? 'utf8');
  }
  if (fields.exit) die(Number(fields.exit), `exiting with status ${fields.exit} as the observation asks`);
  for (const { name, spots } of set.quicklooks) await quicklook(spots, path.join(values.outdir, name));
  const feat = set.files.find((f) => f.name.endsWith('_feat.csv'));
  console.log(
    `detect: ${feat ? `${feat.text.trimEnd().split('\n').length - 1} feature(s) -> ${feat.name}` : `no feature -> ${set.files[0].name} only`}`,
  );
}

await main();
