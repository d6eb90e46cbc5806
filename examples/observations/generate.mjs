#!/usr/bin/env node
// Writes deterministic sample observations for the example detection code:
//   <out>/<code>/<yyyy>/<mm>/<dd>/<instrument>_<HHMMSS>.obs
//
//   generate.mjs [--out DIR] [--start YYYY-MM-DD] [--nights N] [--per-night K] [--codes a,b]
//
// The defaults produce the set committed beside this file (2 nights, 3 observations per
// night, for sdoss, spoca-ar and rabat3). See README.md for the file format.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const INSTRUMENTS = { sdoss: 'HMI', 'spoca-ar': 'AIA', rabat3: 'WIN' };

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: path.dirname(fileURLToPath(import.meta.url)) },
    start: { type: 'string', default: '2026-11-20' },
    nights: { type: 'string', default: '2' },
    'per-night': { type: 'string', default: '3' },
    codes: { type: 'string', default: Object.keys(INSTRUMENTS).join(',') },
  },
});

const start = Date.parse(`${values.start}T00:00:00Z`);
if (Number.isNaN(start)) throw new Error(`--start must be YYYY-MM-DD, not ${values.start}`);
let written = 0;
for (const [c, code] of values.codes.split(',').entries()) {
  const instrument = INSTRUMENTS[code] ?? code.toUpperCase();
  for (let night = 0; night < Number(values.nights); night++) {
    const day = new Date(start + night * 86_400_000).toISOString().slice(0, 10);
    const [yyyy, mm, dd] = day.split('-');
    const dir = path.join(values.out, code, yyyy, mm, dd);
    mkdirSync(dir, { recursive: true });
    for (let k = 0; k < Number(values['per-night']); k++) {
      // Observations every 4 hours, 45 s past the hour, as the HMI 45 s cadence suggests.
      const time = `${String(k * 4).padStart(2, '0')}:00:45`;
      const seed = 1000 * (c + 1) + 100 * night + k;
      const body = [`# sample observation for ${code}`, `instrument=${instrument}`, `date_obs=${day}T${time}`, `seed=${seed}`, ''];
      writeFileSync(path.join(dir, `${instrument.toLowerCase()}_${time.replaceAll(':', '')}.obs`), body.join('\n'));
      written++;
    }
  }
}
process.stdout.write(`wrote ${written} observations under ${values.out}\n`);
