// Small SDOSS file sets written inline, shaped as hfc-formats.md §5 shows them (values invented).

export const FRC_INFO = `ID_FRC_INFO;INSTITUT;CODE;VERSION;FEATURE_NAME;TARGET_NAME;TARGET_CLASS;ENC_MET;PERSON;CONTACT;REFERENCE;URL
1;MSSL;SDOSS;1.06;SUNSPOTS;SUN;STAR;RASTERSCAN/CHAINCODE;Jane Doe;jane.doe@example.org;DOI: 10.1007/s11207-005-0000-0;http://example.org/sdoss/
`;

export const OBSERVATORY = `ID_OBSERVATORY;OBSERVAT;TELESCOP;INSTRUME;UNITS;WAVEMIN;WAVEMAX;WAVENAME;WAVEUNIT;SPECTRAL_DOMAIN;OBS_TYPE;OBS_CAT;COMMENT
1;SDO;Continuum;HMI;Counts;617.133;617.133;Fe I;nm;Visible;REMOTE-SENSING;SPACEBORNE;NULL
2;SDO;Magnetogram;HMI;Gauss;617.133;617.133;Fe I;nm;Line_of_sight magnetic field;REMOTE-SENSING;SPACEBORNE;NULL
`;

const INIT_HEADER =
  'ID_OBSERVATIONS;OBSERVATORY_ID;DATE_OBS;DATE_END;JDINT;JDFRAC;EXP_TIME;C_ROTATION;BSCALE;BZERO;BITPIX;NAXIS1;NAXIS2;R_SUN;CENTER_X;CENTER_Y;CDELT1;CDELT2;QUALITY;FILENAME;FILE_FORMAT;FILE_SIZE;DATA_TYPE;PROCESSING_LVL;COMMENT;LOC_FILENAME;URL;QCLK_URL;QCLK_FNAME';

/** The two observations (HMI Ic and M) of one SDOSS set; the URLs hold ";" and are quoted. */
export function init(date: string): string {
  const t = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}`;
  const row = (id: number, series: string) =>
    `${id};${id};${t};${t};2456709;0.500521;0.000000;2147;1.00000;0.00000;-32;4096;4096;1925.41;2047.63;2048.27;0.504300;0.504300;NULL;hmi.${series}_45s.${date}_TAI.fits;FITS;NULL;NULL;NULL;NULL;/data/sdoss/hmi.${series}_45s.${date}_TAI.fits;"http://vso.example.org/cgi-bin/drms_export.cgi?series=hmi__${series};compress=rice";NULL;NULL`;
  return `${INIT_HEADER}\n${row(1, 'ic')}\n${row(2, 'm')}\n`;
}

const FEAT_HEADER =
  'ID_SUNSPOT;FRC_INFO_ID;OBSERVATIONS_ID_IC;OBSERVATIONS_ID_M;FEAT_X_ARCSEC;FEAT_Y_ARCSEC;FEAT_X_PIX;FEAT_Y_PIX;FEAT_HG_LONG_DEG;FEAT_HG_LAT_DEG;FEAT_AREA_DEG2;CC;CC_LENGTH;RS;RS_LENGTH;SNAPSHOT_FN;HELIO_SS_NUMBER;FEAT_FILENAME;RUN_DATE';

/** `n` sunspots; `x` shifts the values (a changed re-emission). */
export function feat(name: string, n: number, x = 0): string {
  const rows = Array.from(
    { length: n },
    (_, i) =>
      `${i + 1};1;1;2;${-412.318 + i + x};-187.552;${1230 + i};1676;-26.4412;-12.0871;1.23544e+1;4445454444343444566666700700011122;34;0,0,5,1,3,2;6;NULL;${i};${name};2014-02-22T03:12:09`,
  );
  return `${FEAT_HEADER}\n${rows.join('\n')}\n`;
}

export const DATE = '20140221T000045';
export const KEY = `sdoss_106_${DATE}_sdo`;
export const INIT = `${KEY}_init.csv`;
export const FEAT = `${KEY}_feat.csv`;

/** SPoCA AR: one observation per set, features, and a track file pointing at them by row ordinal. */
export const SPOCA = {
  frcInfo: `ID_FRC_INFO;INSTITUT;CODE;VERSION;FEATURE_NAME;TARGET_NAME;TARGET_CLASS;ENC_MET;PERSON;CONTACT;REFERENCE;URL
1;ROB;SPOCA-AR;3.01;ACTIVE REGIONS;SUN;STAR;CHAINCODE;John Roe;john.roe@example.org;;
`,
  observatory: `ID_OBSERVATORY;OBSERVAT;INSTRUME;TELESCOP;OBSINST_KEY;UNITS;WAVEMIN;WAVEMAX;WAVENAME;WAVEUNIT;FREQMIN;FREQMAX;FREQUNIT;SPECTRAL_DOMAIN;OBS_TYPE;OBS_CAT;COMMENT
1;SDO;AIA;AIA_3;SDO_AIA;DN;17.1;17.1;Fe IX;nm;;;;EUV;REMOTE-SENSING;SPACEBORNE;
`,
  key: (date: string) => `spoca-ar_301_${date}_sdo`,
  init(date: string): string {
    const t = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)} ${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}.340Z`;
    return `ID_OBSERVATIONS;OBSERVATORY_ID;DATE_OBS;DATE_END;FILENAME;LOC_FILENAME;QCLK_FNAME;FEAT_FILENAME
1;1;${t};${t};aia.lev1.171A_${date}.fits;/data/aia/aia.lev1.171A_${date}.fits;;spoca-ar_301_${date}_sdo_feat.csv
`;
  },
  feat(date: string, n: number, x = 0): string {
    const name = `spoca-ar_301_${date}_sdo_feat.csv`;
    const rows = Array.from({ length: n }, (_, i) => `${i + 1};1;1;;${100 + i + x};${200 + i};${name};2014-02-22T00:00:00`);
    return `ID_AR;FRC_INFO_ID;OBSERVATIONS_ID;OBSERVATIONS_ID_T;FEAT_X_PIX;FEAT_Y_PIX;FEAT_FILENAME;RUN_DATE\n${rows.join('\n')}\n`;
  },
  /** One tracking row per (file date, ordinal). */
  track(rows: [string, number, number][]): string {
    const lines = rows.map(
      ([date, ordinal, trackId]) =>
        `${ordinal};${trackId};2014-02-21T00:00:00;10;20;1;0;0.9;spoca-ar_301_track.csv;spoca-ar_301_${date}_sdo_feat.csv;2014-02-23T00:00:00`,
    );
    return `ID_AR;TRACK_ID;DATE_OBS;FEAT_X_PIX;FEAT_Y_PIX;PHENOM;REF_FEAT;LVL_TRUST;TRACK_FNAME;FEAT_FILENAME;RUN_DATE\n${lines.join('\n')}\n`;
  },
};

/** Writes the SPoCA metadata files and, unless `n` is undefined, the set of DATE with `n` regions. */
export async function writeSpoca(w: { write(name: string, content: string): Promise<string> }, n?: number): Promise<void> {
  await w.write('spoca-ar_301_frc_info.csv', SPOCA.frcInfo);
  await w.write('spoca-ar_301_observatory.csv', SPOCA.observatory);
  if (n === undefined) return;
  await w.write(`${SPOCA.key(DATE)}_init.csv`, SPOCA.init(DATE));
  await w.write(`${SPOCA.key(DATE)}_feat.csv`, SPOCA.feat(DATE, n));
}
