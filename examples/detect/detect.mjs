#!/usr/bin/env node
// Example detection code for nocturne, shaped like the HFC feature-recognition codes:
//
//   detect.mjs --code C --version V --input FILE --outdir DIR [--fail-rate P]
//
// reads one observation (a small key=value text file, see examples/observations/README.md)
// and writes, deterministically from its seed, one feature CSV
//   <code>_<version without dots>_<YYYYMMDDTHHMMSS>_<obs>_feat.csv
// (';'-separated, UPPER-CASE header, NULL for missing values, 0..N features) and a JPEG
// quicklook with the same stem without "_feat". Exit status 75 (EX_TEMPFAIL) means
// "try again later"; nocturne retries it.
//
// Test switches in the observation file: exit=N, signal=NAME, sleep=SECONDS,
// fail_attempts=N (exit 75 while $NOCTURNE_ATTEMPT <= N), no_output=1, trace=FILE
// (appends "<obs> <attempt>" at every start).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const HEADER = [
  'ID_FEAT', 'OBS_ID', 'DATE_OBS', 'INSTRUME', 'FEAT_X_ARCSEC', 'FEAT_Y_ARCSEC', 'FEAT_HG_LONG_DEG', 'FEAT_HG_LAT_DEG',
  'FEAT_CARR_LONG_DEG', 'FEAT_CARR_LAT_DEG', 'FEAT_AREA_DEG2', 'FEAT_MEAN_INT', 'FEAT_MAX_INT', 'CC', 'CC_LENGTH',
  'FEAT_FILENAME', 'RUN_DATE',
];
const SOLAR_RADIUS_ARCSEC = 960;
const SIZE = 256;

function die(status, message) {
  process.stderr.write(`detect: ${message}\n`);
  process.exit(status);
}

/** mulberry32: a tiny deterministic generator, so that the same seed gives the same file. */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

const fixed = (n, digits) => n.toFixed(digits);
const maybeNull = (random, value) => (random() < 0.15 ? 'NULL' : value);

function features(obsId, fields, random, csvName) {
  const count = fields.features !== undefined ? Number(fields.features) : Math.floor(random() * 6);
  // The run date is derived, not read from the clock: a re-run writes the same bytes.
  const run = new Date(Date.parse(`${fields.date_obs}Z`) + 86_400_000).toISOString().slice(0, 10);
  const rows = [];
  for (let id = 1; id <= count; id++) {
    const lat = (random() - 0.5) * 70;
    const lon = (random() - 0.5) * 140;
    const rad = Math.PI / 180;
    const x = SOLAR_RADIUS_ARCSEC * Math.cos(lat * rad) * Math.sin(lon * rad);
    const y = SOLAR_RADIUS_ARCSEC * Math.sin(lat * rad);
    const ccLength = 8 + Math.floor(random() * 40);
    const cc = Array.from({ length: ccLength }, () => Math.floor(random() * 8)).join('');
    const mean = 200 + random() * 800;
    const area = 1 + random() * 50;
    const carrington = maybeNull(random, fixed((lon + 180 + (Number(fields.seed) % 360)) % 360, 4));
    const max = maybeNull(random, fixed(mean * (1.2 + random()), 2));
    const line = [
      id, obsId, fields.date_obs, fields.instrument, fixed(x, 3), fixed(y, 3), fixed(lon, 4), fixed(lat, 4),
      carrington, fixed(lat, 4), fixed(area, 3), fixed(mean, 2), max, cc, ccLength, csvName, `${run}T02:00:00`,
    ].join(';');
    rows.push({ x, y, area, line });
  }
  return rows;
}

/** A grey solar disc with a dark spot per feature, 256×256. */
async function quicklook(rows, file) {
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
  for (const { x, y, area } of rows) {
    const sx = centre + x * scale;
    const sy = centre - y * scale;
    const r = 2 + Math.sqrt(area);
    for (let py = Math.floor(sy - r); py <= sy + r; py++) {
      for (let px = Math.floor(sx - r); px <= sx + r; px++) {
        if (px >= 0 && py >= 0 && px < SIZE && py < SIZE && Math.hypot(px - sx, py - sy) <= r) pixels[py * SIZE + px] = 40;
      }
    }
  }
  await sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 1 } }).jpeg({ quality: 80 }).toFile(file);
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

  const random = generator(Number(fields.seed));
  const stamp = fields.date_obs.replaceAll('-', '').replaceAll(':', '');
  const stem = `${values.code}_${values.version.replaceAll('.', '')}_${stamp}_${obsId}`;
  const csvName = `${stem}_feat.csv`;
  const rows = features(obsId, fields, random, csvName);
  // The CSV is written even when the code then fails: nocturne must not publish it.
  writeFileSync(path.join(values.outdir, csvName), [HEADER.join(';'), ...rows.map((r) => r.line)].join('\n') + '\n');
  if (fields.exit) die(Number(fields.exit), `exiting with status ${fields.exit} as the observation asks`);
  await quicklook(rows, path.join(values.outdir, `${stem}.jpg`));
  console.log(`detect: ${rows.length} feature(s) -> ${csvName}`);
}

await main();
