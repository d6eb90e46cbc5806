import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const HEADER =
  'ID_FEAT;OBS_ID;DATE_OBS;INSTRUME;FEAT_X_ARCSEC;FEAT_Y_ARCSEC;FEAT_HG_LONG_DEG;FEAT_HG_LAT_DEG;FEAT_CARR_LONG_DEG;FEAT_CARR_LAT_DEG;FEAT_AREA_DEG2;FEAT_MEAN_INT;FEAT_MAX_INT;CC;CC_LENGTH;FEAT_FILENAME;RUN_DATE';

function featureLine(name: string, id: number): string {
  return `${id};hmi_${id % 7};2026-11-20T00:00:45;HMI;${id}.5;-${id}.25;1.5;2.5;NULL;3.5;4.5;512.25;NULL;${'4'.repeat(id % 50)};${id % 50};${name};2026-11-21T02:00:00`;
}

/** A valid feature CSV of `rows` rows whose FEAT_FILENAME is `name`. */
export function featureCsv(name: string, rows: number): string {
  const lines = [HEADER];
  for (let id = 1; id <= rows; id++) lines.push(featureLine(name, id));
  return `${lines.join('\n')}\n`;
}

/** Writes a large feature CSV to `file` without holding it in memory. */
export async function writeFeatureCsv(file: string, name: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  let block = `${HEADER}\n`;
  for (let id = 1; id <= rows; id++) {
    block += `${featureLine(name, id)}\n`;
    if (block.length > 1 << 16) {
      if (!out.write(block)) await once(out, 'drain');
      block = '';
    }
  }
  out.end(block);
  await once(out, 'finish');
}
