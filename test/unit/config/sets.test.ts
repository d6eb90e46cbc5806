import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../../src/config/issues.js';
import { loadConfig } from '../../../src/config/load.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/config');

async function reported(name: string): Promise<string[]> {
  const result = await loadConfig(path.join(FIXTURES, name), {});
  if (result.ok) throw new Error(`fixture ${name} loaded without a problem`);
  const shown = path.relative(process.cwd(), path.join(FIXTURES, name));
  return result.issues.map(formatIssue).map((line) => line.replace(`${shown}/`, ''));
}

describe('ingest sets mode in pipelines/*.yaml', () => {
  it('reports every mistake of a sets declaration at its file:line:col', async () => {
    expect(await reported('sets-invalid')).toEqual([
      'pipelines/both.yaml:8:3: ingest: sets and table are exclusive: keep table for single CSV files, or sets for HFC file sets',
      'pipelines/neither.yaml:3:1: ingest: missing required key "table" (one CSV → one table) or "sets" (HFC file sets)',
      'pipelines/sets.yaml:7:12: ingest.sets.files: must contain _{role}: members of one set differ only by {role}, e.g. "{code}_{version}_{date}_{obs}_{role}.csv"',
      'pipelines/sets.yaml:7:12: ingest.sets.files: must contain {date}: members of one set differ only by {role}, e.g. "{code}_{version}_{date}_{obs}_{role}.csv"',
      'pipelines/sets.yaml:7:12: ingest.sets.files: unknown placeholder {rol}; did you mean "role"?',
      'pipelines/sets.yaml:8:12: ingest.sets.roles: no word of the file names is given the role feat',
      'pipelines/sets.yaml:8:31: ingest.sets.roles.feat: "feature" is not one of init, feat, track',
      'pipelines/sets.yaml:9:21: ingest.sets.frcInfo.file: unknown placeholder {date} (allowed: code, version, obs)',
      'pipelines/sets.yaml:10:74: ingest.sets.observatory.naturalKey[0]: must be a lower-case SQL column name',
      "pipelines/sets.yaml:11:94: ingest.sets.observations.references.X_ID: number 5 does not fit: what the column's value is a local id of: frcInfo, observatory, observations or features.",
      'pipelines/sets.yaml:12:80: ingest.sets.features.references.FRC_INFO_ID: unknown part "frcinfo"; did you mean "frcInfo"?',
      'pipelines/sets.yaml:13:59: ingest.sets.tracking.references: must name the header holding the feature of each row, e.g. {ID_SUNSPOT: {of: features, column: sunspot_id}}',
      'pipelines/sets.yaml:13:72: ingest.sets.tracking.references.ID_AR.of: tracking cannot reference observations (allowed: features)',
      'pipelines/sets.yaml:14:15: ingest.sets.initWait: must be a duration such as "90s", "15m", "6h" or "2d"',
      'pipelines/sets.yaml:15:34: ingest.sets.columns.file_size.scale: number 7 is not one of 10, 100, 1000, 1000000',
    ]);
  });

  it('fills the defaults of a valid declaration, and tells the two modes apart', async () => {
    const result = await loadConfig(path.join(FIXTURES, 'sets-valid'), {});
    if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
    const ingest = result.config.pipelines.get('sdoss')!.config.ingest!;
    expect(ingest.mode).toBe('sets');
    if (ingest.mode !== 'sets') return;
    expect(ingest.sets).toMatchObject({
      catalogue: 'hfc',
      roles: { init: 'init', feat: 'feat', track: 'track' },
      frcInfo: { table: 'frc_info' },
      observatory: { table: 'observatory' },
      observations: { table: 'observations', localId: 'ID_OBSERVATIONS' },
      columns: { comment: { nullValues: ['NULL'] } },
      initWaitMs: 6 * 3_600_000,
      reemitted: 'replace',
    });
  });
});
