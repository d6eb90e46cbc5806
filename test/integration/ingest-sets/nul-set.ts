// The NUL-byte bad input for a sets pipeline (issue 14), ready for the fault suite.
import path from 'node:path';
import { withNulByte } from '../../../harness/nul-input.js';
import { FRC_INFO, OBSERVATORY, feat, init } from './sdoss-files.js';

const CC = 11;

/**
 * A complete SDOSS set of `date` (YYYYMMDDTHHMMSS), metadata files included, whose
 * _feat.csv holds one NUL byte (line 3, at the start of CC): the files to write into the
 * source of a pipeline declared as pipelines/sdoss.yaml, its set key, where the NUL is
 * in the _feat.csv, and the error its ledger row must record once its files are read from
 * the directory `dir`.
 */
export function nulSdossSet(date: string): {
  files: Map<string, Buffer>;
  setKey: string;
  line: number;
  at: number;
  error(dir: string): string;
} {
  const setKey = `sdoss_106_${date}_sdo`;
  const featName = `${setKey}_feat.csv`;
  const nul = withNulByte(feat(featName, 3), 3, CC);
  const files = new Map([
    ['sdoss_106_frc_info.csv', Buffer.from(FRC_INFO)],
    ['sdoss_106_observatory.csv', Buffer.from(OBSERVATORY)],
    [`${setKey}_init.csv`, Buffer.from(init(date))],
    [featName, nul.bytes],
  ]);
  return { files, setKey, line: nul.line, at: nul.at, error: (dir) => nul.error(path.join(dir, featName)) };
}
