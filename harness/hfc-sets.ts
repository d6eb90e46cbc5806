// N synthetic, valid HFC file sets per code, written into a directory as the codes write
// them (examples/detect/hfc-shapes.mjs, the shapes of test/fixtures/hfc and detect.mjs):
// for the sets loader's tests and the ingest-sets benchmark.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { metadataFiles, observationSet } from '../examples/detect/hfc-shapes.mjs';

/** The versions and observatories the codes use in the fixtures (test/fixtures/hfc/README.md). */
export const HFC_CODES = {
  sdoss: { version: '1.06', obs: 'sdo' },
  'spoca-ar': { version: '3.01', obs: 'sdo' },
  rabat3: { version: '2.03', obs: 'win' },
} as const;
export type HfcCode = keyof typeof HFC_CODES;

export interface HfcSetsOptions {
  code: HfcCode;
  /** Number of sets (observations). */
  sets: number;
  /** Same seed, same bytes. @default 1 */
  seed?: number;
  /** Date of the first observation, UTC; the next ones follow every `cadenceMinutes`. @default 2014-02-21T00:00:45 */
  start?: string;
  /** @default 12 */
  cadenceMinutes?: number;
  /** Features per set; drawn 0..5 per set (0: an init-only set) when absent. */
  features?: number;
}

export interface GeneratedSet {
  /** File names without the role: what the loader groups by. */
  setKey: string;
  /** Member files written, by role (init, feat, track: SPoCA's tracker names its file spoca_...). */
  files: Partial<Record<'init' | 'feat' | 'track', string>>;
  observations: number;
  features: number;
}

export interface GeneratedSets {
  /** The code's _frc_info.csv and _observatory.csv. */
  metadata: string[];
  sets: GeneratedSet[];
}

const ROLE = /_(init|feat|track)\.csv$/;

/** Writes `options.sets` sets of `options.code`, and the code's metadata files, into `dir`. */
export async function writeHfcSets(dir: string, options: HfcSetsOptions): Promise<GeneratedSets> {
  const { version, obs } = HFC_CODES[options.code];
  const start = Date.parse(`${options.start ?? '2014-02-21T00:00:45'}Z`);
  const cadence = (options.cadenceMinutes ?? 12) * 60_000;
  await mkdir(dir, { recursive: true });
  const metadata = metadataFiles({ code: options.code, version, obs });
  for (const file of metadata) await writeFile(path.join(dir, file.name), file.text, file.encoding ?? 'utf8');
  const sets: GeneratedSet[] = [];
  for (let i = 0; i < options.sets; i++) {
    const dateObs = new Date(start + i * cadence).toISOString().slice(0, 19);
    const { files } = observationSet({
      code: options.code,
      version,
      obs,
      dateObs,
      seed: (options.seed ?? 1) * 100_003 + i,
      features: options.features,
    });
    const set: GeneratedSet = { setKey: '', files: {}, observations: 0, features: 0 };
    for (const file of files) {
      await writeFile(path.join(dir, file.name), file.text, file.encoding ?? 'utf8');
      const role = ROLE.exec(file.name)![1] as 'init' | 'feat' | 'track';
      set.files[role] = file.name;
      const records = file.text.trimEnd().split('\n').length - 1;
      if (role === 'init') {
        set.setKey = file.name.replace(ROLE, '');
        set.observations = records;
      } else if (role === 'feat') set.features = records;
    }
    sets.push(set);
  }
  return { metadata: metadata.map((f) => f.name), sets };
}
