// The file sets the HFC detection codes write, with invented values: what
// examples/detect/detect.mjs emits and test/helpers/hfc-sets.ts generates. Shapes (file
// names, headers, column order, NULL conventions, quoting, time formats) follow
// ../../../shared/reference/hfc-formats.md (the public SDOSS, SPoCA and RABAT3 wrappers);
// the sql/catalogue tables take these headers in lower case.
//
// Per observation: <root>_<date>_<obs>_init.csv (OBSERVATIONS rows), _feat.csv (only when
// features were found), for SPoCA a _track.csv; per code <root>_frc_info.csv and
// <root>_observatory.csv; root = code + "_" + version without dots. RABAT3 puts the
// observatory before the date: rabat3_<ver>_<obs>_<date>_init.csv.


/** mulberry32: a tiny deterministic generator, so that the same seed gives the same bytes. */
export function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SOLAR_RADIUS_ARCSEC = 960;
const RAD = Math.PI / 180;
const DAY_MS = 86_400_000;

const fixed = (n, digits) => n.toFixed(digits);
const int = (n) => String(Math.round(n));
/** A field is double-quoted only when it holds the separator (IDL /DOUBLE_QUOTES, Python csv). */
const csvField = (value) => (String(value).includes(';') ? `"${String(value).replaceAll('"', '""')}"` : String(value));
const csvText = (header, rows) => [header.join(';'), ...rows.map((row) => row.map(csvField).join(';'))].join('\n') + '\n';
/** HFC_TFORMAT, %Y-%m-%dT%H:%M:%S, UTC. */
const hfcTime = (ms) => new Date(ms).toISOString().slice(0, 19);
const chainCode = (random, length) => Array.from({ length }, () => Math.floor(random() * 8)).join('');
const range = (n) => Array.from({ length: n }, (_, i) => i);
const corners = (names) => range(4).flatMap((i) => names(i));

const OBSERVATIONS = [
  'ID_OBSERVATIONS', 'OBSERVATORY_ID', 'DATE_OBS', 'DATE_END', 'JDINT', 'JDFRAC', 'EXP_TIME', 'C_ROTATION', 'BSCALE', 'BZERO',
  'BITPIX', 'NAXIS1', 'NAXIS2', 'R_SUN', 'CENTER_X', 'CENTER_Y', 'CDELT1', 'CDELT2', 'QUALITY', 'FILENAME', 'FILE_FORMAT',
];
const OBSERVATIONS_TAIL = ['COMMENT', 'LOC_FILENAME', 'URL', 'QCLK_URL', 'QCLK_FNAME'];
const FRC_INFO = ['ID_FRC_INFO', 'INSTITUT', 'CODE', 'VERSION', 'FEATURE_NAME', 'TARGET_NAME', 'TARGET_CLASS', 'ENC_MET', 'PERSON', 'CONTACT', 'REFERENCE', 'URL'];
const OBSERVATORY = [
  'ID_OBSERVATORY', 'OBSERVAT', 'INSTRUME', 'TELESCOP', 'OBSINST_KEY', 'UNITS', 'WAVEMIN', 'WAVEMAX', 'WAVENAME', 'WAVEUNIT',
  'FREQMIN', 'FREQMAX', 'FREQUNIT', 'SPECTRAL_DOMAIN', 'OBS_TYPE', 'OBS_CAT', 'COMMENT',
];
const FEAT_POSITION = ['FEAT_X_ARCSEC', 'FEAT_Y_ARCSEC', 'FEAT_X_PIX', 'FEAT_Y_PIX', 'FEAT_HG_LONG_DEG', 'FEAT_HG_LAT_DEG', 'FEAT_CARR_LONG_DEG', 'FEAT_CARR_LAT_DEG'];
const BR_PIX = corners((i) => [`BR_X${i}_PIX`, `BR_Y${i}_PIX`]);
const BR_ARCSEC = corners((i) => [`BR_X${i}_ARCSEC`, `BR_Y${i}_ARCSEC`]);
const BR_HG = corners((i) => [`BR_HG_LONG${i}_DEG`, `BR_HG_LAT${i}_DEG`]);
const BR_CARR = corners((i) => [`BR_CARR_LONG${i}_DEG`, `BR_CARR_LAT${i}_DEG`]);
const CC_START = ['CC_X_PIX', 'CC_Y_PIX', 'CC_X_ARCSEC', 'CC_Y_ARCSEC', 'CC', 'CC_LENGTH'];

/** Julian day parts and Carrington rotation of an instant. */
function julian(ms) {
  const jd = ms / DAY_MS + 2440587.5;
  const jdint = Math.floor(jd);
  return { jdint, jdfrac: fixed(jd - jdint, 6), rotation: Math.floor((jd - 2398140.227) / 27.2752316) + 1 };
}

/**
 * A feature on the disc of an imager: centre, bounding rectangle (4 corners: pixels,
 * arcsec, heliographic, Carrington) and contour, for a `size`-pixel image of `cdelt` arcsec.
 */
function discFeature(random, { size, cdelt, carringtonOffset }) {
  const lat = (random() - 0.5) * 70;
  const lon = (random() - 0.5) * 140;
  const x = SOLAR_RADIUS_ARCSEC * Math.cos(lat * RAD) * Math.sin(lon * RAD);
  const y = SOLAR_RADIUS_ARCSEC * Math.sin(lat * RAD);
  const half = 3 + Math.floor(random() * 20);
  const toPix = (arcsec) => Math.round(size / 2 + arcsec / cdelt);
  const xp = toPix(x);
  const yp = toPix(y);
  const span = (half * cdelt) / (SOLAR_RADIUS_ARCSEC * RAD);
  const carrLon = (lon + carringtonOffset + 360) % 360;
  const sign = (i, axis) => ((axis === 'x' ? i >> 1 : i & 1) ? 1 : -1);
  const ccLength = 8 + Math.floor(random() * 40);
  const areaPix = Math.floor(4 * half * half * (0.5 + random() * 0.4));
  return {
    x, y, half, lat, lon,
    position: [fixed(x, 3), fixed(y, 3), int(xp), int(yp), fixed(lon, 4), fixed(lat, 4), fixed(carrLon, 4), fixed(lat, 4)],
    brPix: corners((i) => [int(xp + sign(i, 'x') * half), int(yp + sign(i, 'y') * half)]),
    brArcsec: corners((i) => [fixed((xp + sign(i, 'x') * half - size / 2) * cdelt, 3), fixed((yp + sign(i, 'y') * half - size / 2) * cdelt, 3)]),
    brHg: corners((i) => [fixed(lon + sign(i, 'x') * span, 4), fixed(lat + sign(i, 'y') * span, 4)]),
    brCarr: corners((i) => [fixed(carrLon + sign(i, 'x') * span, 4), fixed(lat + sign(i, 'y') * span, 4)]),
    ccStart: [int(xp - half), int(yp), fixed((xp - half - size / 2) * cdelt, 3), fixed((yp - size / 2) * cdelt, 3), chainCode(random, ccLength), String(ccLength)],
    areaPix,
    areaDeg2: areaPix * (cdelt / (SOLAR_RADIUS_ARCSEC * RAD)) ** 2,
  };
}

const SUNSPOTS = [
  'ID_SUNSPOT', 'FRC_INFO_ID', 'OBSERVATIONS_ID_IC', 'OBSERVATIONS_ID_M', ...FEAT_POSITION, ...BR_PIX, ...BR_ARCSEC, ...BR_HG, ...BR_CARR,
  'FEAT_AREA_PIX', 'FEAT_AREA_DEG2', 'FEAT_AREA_MM2', 'FEAT_DIAM_DEG', 'FEAT_DIAM_MM', 'FEAT_MEAN2QSUN', 'FEAT_MAX_INT', 'FEAT_MIN_INT',
  'FEAT_MEAN_INT', 'FEAT_TOT_BZ', 'FEAT_ABS_BZ', 'FEAT_MAX_BZ', 'FEAT_MIN_BZ', 'FEAT_MEAN_BZ', 'UMBRA_NUMBER', 'UMBRA_AREA_PIX',
  'UMBRA_AREA_MM2', 'UMBRA_AREA_DEG2', 'UMBRA_DIAM_DEG', 'UMBRA_DIAM_MM', 'UMBRA_MAX_INT', 'UMBRA_MIN_INT', 'UMBRA_MEAN_INT',
  'UMBRA_TOT_BZ', 'UMBRA_ABS_BZ', 'UMBRA_MAX_BZ', 'UMBRA_MIN_BZ', 'UMBRA_MEAN_BZ', ...CC_START, 'RS', 'RS_LENGTH', 'SNAPSHOT_FN',
  'SNAPSHOT_PATH', 'HELIO_SS_NUMBER', 'FEAT_FILENAME', 'RUN_DATE',
];

/** SDOSS: IDL writes NULL for empty values; two observations (HMI continuum and magnetogram) per set. */
const sdoss = {
  frcInfo: (code, version) => csvText(FRC_INFO, [
    ['1', 'MSSL', code.toUpperCase(), version, 'SUNSPOTS', 'SUN', 'STAR', 'RASTERSCAN/CHAINCODE', 'Jane Doe', 'jane.doe@example.org',
      'DOI: 10.1007/s11207-005-0000-0', 'http://example.org/sdoss/'],
  ]),
  // The SDOSS short form: no OBSINST_KEY, no frequencies, TELESCOP before INSTRUME.
  observatory: () => csvText(
    ['ID_OBSERVATORY', 'OBSERVAT', 'TELESCOP', 'INSTRUME', 'UNITS', 'WAVEMIN', 'WAVEMAX', 'WAVENAME', 'WAVEUNIT', 'SPECTRAL_DOMAIN', 'OBS_TYPE', 'OBS_CAT', 'COMMENT'],
    [
      ['1', 'SDO', 'Continuum', 'HMI', 'Counts', '617.133', '617.133', 'Fe I', 'nm', 'Visible', 'REMOTE-SENSING', 'SPACEBORNE', 'NULL'],
      ['2', 'SDO', 'Magnetogram', 'HMI', 'Gauss', '617.133', '617.133', 'Fe I', 'nm', 'Line_of_sight magnetic field', 'REMOTE-SENSING', 'SPACEBORNE', 'NULL'],
    ],
  ),
  init({ ms, quicklook, random }) {
    const { jdint, jdfrac, rotation } = julian(ms);
    const jsoc = new Date(ms).toISOString().slice(0, 19).replaceAll('-', '').replace('T', '_').replaceAll(':', '');
    const record = 10_000 + Math.floor(random() * 80_000);
    const rows = [['ic', 'Ic', 1, quicklook], ['m', 'M', 2, 'NULL']].map(([series, drms, id, qclk]) => {
      const filename = `hmi.${series}_45s.${jsoc}_TAI.fits`;
      return [
        String(id), String(id), hfcTime(ms), hfcTime(ms), String(jdint), jdfrac, '0.000000', String(rotation), '1.00000', '0.00000',
        '-32', '4096', '4096', fixed(1920 + random() * 10, 2), fixed(2047 + random(), 2), fixed(2047 + random(), 2), '0.504300', '0.504300',
        'NULL', filename, 'FITS', 'NULL', 'NULL', 'NULL', 'NULL', `/data/sdoss/${filename}`,
        `http://vso.example.org/cgi-bin/netdrms/drms_export.cgi?series=hmi__${drms}_45s;compress=rice;record=${record}-${record}`,
        'NULL', qclk,
      ];
    });
    return csvText([...OBSERVATIONS, 'FILE_SIZE', 'DATA_TYPE', 'PROCESSING_LVL', ...OBSERVATIONS_TAIL], rows);
  },
  feat({ random, count, featName, runDate, seed }) {
    const spots = [];
    const rows = range(count).map((i) => {
      const f = discFeature(random, { size: 4096, cdelt: 0.5043, carringtonOffset: seed % 360 });
      spots.push(f);
      const mm2 = f.areaDeg2 * 147.7;
      const diamDeg = 2 * Math.sqrt(f.areaDeg2 / Math.PI);
      const mean = 20_000 + random() * 20_000;
      const umbrae = Math.floor(random() * 3);
      const umbra = umbrae === 0
        ? Array(13).fill('NULL')
        : [String(Math.floor(f.areaPix / 4)), fixed(mm2 / 4, 3), fixed(f.areaDeg2 / 4, 5), fixed(diamDeg / 2, 4), fixed(diamDeg * 6, 3),
            fixed(mean * 0.6, 1), fixed(mean * 0.3, 1), fixed(mean * 0.45, 1), (-random() * 1e4).toExponential(4), (random() * 1e4).toExponential(4),
            fixed(random() * 500, 2), fixed(-2000 - random() * 1000, 2), fixed(-1200 - random() * 500, 2)];
      const runs = Array.from({ length: 2 + Math.floor(random() * 6) }, () => Math.floor(random() * 8));
      return [
        String(i + 1), '1', '1', '2', ...f.position, ...f.brPix, ...f.brArcsec, ...f.brHg, ...f.brCarr,
        String(f.areaPix), fixed(f.areaDeg2, 5), fixed(mm2, 3), fixed(diamDeg, 4), fixed(diamDeg * 12.15, 3), fixed(0.4 + random() * 0.4, 4),
        fixed(mean * 1.2, 1), fixed(mean * 0.3, 1), fixed(mean, 1), (-random() * 1e5).toExponential(4), (random() * 1e5).toExponential(4),
        fixed(random() * 800, 2), fixed(-1500 - random() * 1000, 2), fixed(-600 - random() * 300, 2), String(umbrae), ...umbra,
        ...f.ccStart, runs.join(','), String(runs.length), 'NULL', 'NULL', '0', featName, runDate,
      ];
    });
    return { text: csvText(SUNSPOTS, rows), spots };
  },
};

const ACTIVEREGIONS = [
  'ID_AR', 'FRC_INFO_ID', 'OBSERVATIONS_ID', 'OBSERVATIONS_ID_T', 'FEAT_DATE', 'FEAT_DATE_PREV', ...FEAT_POSITION,
  'FEAT_AREA_PIX', 'FEAT_AREA_MM2', 'FEAT_AREA_DEG2', ...BR_ARCSEC, ...BR_HG, ...BR_CARR, ...BR_PIX,
  'FEAT_MAX_INT', 'FEAT_MIN_INT', 'FEAT_MEAN_INT', 'FEAT_MEAN2QSUN', 'FEAT_MAX_BZ', 'FEAT_MIN_BZ', 'FEAT_MEAN_BZ', 'FEAT_LENGTH_NL',
  'FEAT_LENGTH_SG', 'FEAT_MAX_GRAD', 'FEAT_MEAN_GRAD', 'FEAT_MEDIAN_GRAD', 'FEAT_RVAL', 'FEAT_WLSG', ...CC_START, 'SNAPSHOT_FN',
  'SNAPSHOT_PATH', 'FEAT_FILENAME', 'HELIO_ID', 'HELIO_AR_NUMBER', 'RUN_DATE',
];
const AR_TRACK = ['ID_AR', 'TRACK_ID', 'DATE_OBS', 'FEAT_X_PIX', 'FEAT_Y_PIX', 'PHENOM', 'REF_FEAT', 'LVL_TRUST', 'TRACK_FILENAME', 'FEAT_FILENAME', 'RUN_DATE'];

/** SPoCA (Python): empty fields for missing values, AIA times with milliseconds and Z. */
const spocaAr = {
  frcInfo: (code, version) => csvText(FRC_INFO, [
    ['1', 'ROB', code.toUpperCase(), version, 'ACTIVE REGIONS', 'SUN', 'STAR', 'CHAINCODE', 'John Roe', 'john.roe@example.org',
      'DOI: 10.1051/0004-6361/000000000', 'http://example.org/spoca/'],
  ]),
  observatory: () => csvText(OBSERVATORY, [
    ['1', 'SDO', 'AIA', 'AIA_3', 'SDO__AIA', 'DN/s', '17.1', '17.1', 'Fe IX', 'nm', '', '', '', 'EUV', 'REMOTE-SENSING', 'SPACEBORNE', ''],
  ]),
  init({ ms, quicklook, random, featName }) {
    const { jdint, jdfrac, rotation } = julian(ms);
    const filename = `aia.lev1.171A_${hfcTime(ms).replaceAll(':', '_')}.34Z.image_lev1.fits`;
    return csvText([...OBSERVATIONS, ...OBSERVATIONS_TAIL, 'SOLAR_B0', 'D_SUN', 'FEAT_FILENAME'], [[
      '1', '1', `${hfcTime(ms)}.34`, `${hfcTime(ms + 2000)}.34`, String(jdint), jdfrac, '2.000', String(rotation), '1.0', '0.0',
      '16', '4096', '4096', fixed(1600 + random() * 10, 3), fixed(2048 + random(), 3), fixed(2048 + random(), 3), '0.6', '0.6',
      '', filename, 'FITS', '', `/data/spoca/${filename}`, `http://jsoc.example.org/data/aia/${filename}`,
      'ftp://ftp.example.org/pub/hfc/spoca-ar/images', quicklook, fixed(-7 + random() * 14, 4), '1.4960e+11', featName ?? '',
    ]]);
  },
  feat({ random, count, featName, runDate, seed, ms }) {
    const spots = [];
    const rows = range(count).map((i) => {
      const f = discFeature(random, { size: 4096, cdelt: 0.6, carringtonOffset: seed % 360 });
      spots.push(f);
      const mean = 300 + random() * 900;
      return [
        String(i + 1), '1', '1', '', `${hfcTime(ms)}.340Z`, '', ...f.position, String(f.areaPix), fixed(f.areaDeg2 * 147.7, 3),
        fixed(f.areaDeg2, 5), ...f.brArcsec, ...f.brHg, ...f.brCarr, ...f.brPix, fixed(mean * 3, 2), fixed(mean / 3, 2), fixed(mean, 2),
        fixed(2 + random() * 3, 4), '', '', '', '', '', '', '', '', '', '', ...f.ccStart, '', '', featName, '', '', runDate,
      ];
    });
    return { text: csvText(ACTIVEREGIONS, rows), spots };
  },
  track({ spots, featName, trackName, runDate, seed, ms }) {
    return csvText(AR_TRACK, spots.map((f, i) => [
      String(i + 1), String(seed * 10 + i + 1), hfcTime(ms), f.position[2], f.position[3], '0', '', '', trackName, featName, runDate,
    ]));
  },
};

const TYPE_III = [
  'ID_TYPE_III', 'FRC_INFO_ID', 'OBSERVATIONS_ID', 'TIME_START', 'FREQ_START', 'TIME_END', 'FREQ_END', 'CC', 'CC_LENGTH', 'CC_X_PIX',
  'CC_Y_PIX', 'CC_X_UTC', 'CC_Y_MHZ', 'SKE_CC', 'SKE_CC_LENGTH', 'SKE_CC_X_PIX', 'SKE_CC_Y_PIX', 'SKE_CC_X_UTC', 'SKE_CC_Y_MHZ', ...BR_PIX,
  ...corners((i) => [`BR_X${i}_UTC`, `BR_Y${i}_MHZ`]), 'FEAT_MEAN_INT', 'FEAT_MAX_INT', 'DRIFT_START', 'DRIFT_END', 'FIT_A0', 'FIT_A1',
  'LVL_TRUST', 'RUN_DATE',
];
const NDA_MHZ = [10, 40];
/** One dynamic spectrum: 1 pixel = 1 minute (x) by 0.125 MHz (y) from NDA_MHZ[0]. */
const mhzOf = (pix) => NDA_MHZ[0] + pix * 0.125;

/**
 * RABAT3 (Python): "" for missing values, the observatory's local id headed ID_OBSERVAT,
 * a daily spectrum per observation, the frc_info file in Latin-1 (an accented name).
 */
const rabat3 = {
  encoding: { frcInfo: 'latin1' },
  frcInfo: (code, version) => csvText(FRC_INFO, [
    ['1', 'OBSPM', code.toUpperCase(), version, 'TYPE III', 'SUN', 'STAR', 'CHAINCODE', 'Zoé Exemple', 'zoe.exemple@example.org',
      'DOI: 10.1007/s11207-000-0000-0', ''],
  ]),
  observatory: () => csvText(['ID_OBSERVAT', ...OBSERVATORY.slice(1)], [
    ['1', 'NANCAY', 'DAM', 'NDA', 'NANCAY__DAM', 'dB above background', '7.4948', '29.9792', 'Decametric', 'm', '10.000', '40.000', 'MHz',
      'RADIO', 'REMOTE-SENSING', 'GROUND-BASED', ''],
  ]),
  init({ ms, quicklook }) {
    const { jdint, jdfrac, rotation } = julian(ms);
    const day = hfcTime(ms).slice(0, 10).replaceAll('-', '');
    const filename = `S${day.slice(2)}.RT1`;
    // The daily spectrum ends 24 h later; its end is written as the database writes times (no T).
    return csvText([...OBSERVATIONS, ...OBSERVATIONS_TAIL], [[
      '1', '1', hfcTime(ms), hfcTime(ms + DAY_MS - 60_000).replace('T', ' '), String(jdint), jdfrac, '', String(rotation), '', '',
      '', '1440', '240', '', '', '', '60.0', '0.125', '', filename, 'RT1', '', `/data/nda/${filename}`, '',
      'ftp://ftp.example.org/pub/hfc/rabat3/images', quicklook,
    ]]);
  },
  feat({ random, count, runDate, ms }) {
    const spots = [];
    const at = (minute) => hfcTime(ms + minute * 60_000);
    const rows = range(count).map((i) => {
      const x0 = Math.floor(random() * 1400);
      const width = 2 + Math.floor(random() * 20);
      const y0 = Math.floor(random() * 40);
      const y1 = 200 + Math.floor(random() * 39);
      const ccLength = 20 + Math.floor(random() * 60);
      const skeLength = 10 + Math.floor(random() * 30);
      const drift = -(0.01 + random() * 0.5);
      spots.push({ x: ((x0 / 1440) - 0.5) * 1800, y: (((y0 + y1) / 480) - 0.5) * 1800, area: width });
      // A type III drifts from high to low frequency: it starts at y1 and ends at y0.
      const br = [[x0, y0], [x0, y1], [x0 + width, y0], [x0 + width, y1]];
      return [
        String(i + 1), '1', '1', at(x0), fixed(mhzOf(y1), 3), at(x0 + width), fixed(mhzOf(y0), 3), chainCode(random, ccLength),
        String(ccLength), String(x0), String(y1), at(x0), fixed(mhzOf(y1), 3), chainCode(random, skeLength), String(skeLength),
        String(x0), String(y1), at(x0), fixed(mhzOf(y1), 3), ...br.flatMap(([x, y]) => [String(x), String(y)]),
        ...br.flatMap(([x, y]) => [at(x), fixed(mhzOf(y), 3)]), fixed(3 + random() * 10, 3), fixed(12 + random() * 20, 3),
        fixed(drift, 4), fixed(drift / 3, 4), fixed(mhzOf(y1), 4), fixed(drift, 5), fixed(0.5 + random() / 2, 2), runDate,
      ];
    });
    return { text: csvText(TYPE_III, rows), spots };
  },
};

const BY_SHAPE = { sdoss, 'spoca-ar': spocaAr, rabat3 };

/** code_version-without-dots, e.g. sdoss_106. */
const rootOf = (code, version) => `${code}_${version.replaceAll('.', '')}`;

/**
 * The files of one observation's set, deterministic from `seed`: `features` features (0:
 * the init only, as a code that found nothing writes). `obs` goes into the file names with
 * "_" written "-" ({obs} of a set name has no "_"). Returns the files (name, text, encoding)
 * and the quicklooks to draw (name, features with x, y in arcsec from disc centre, area).
 */
export function observationSet({ code, version, obs, dateObs, seed, features }) {
  const shape = BY_SHAPE[code] ?? sdoss;
  const random = generator(seed);
  const ms = Date.parse(`${dateObs}Z`);
  const stamp = dateObs.replaceAll('-', '').replaceAll(':', '');
  const root = rootOf(code, version);
  const obsName = obs.replaceAll('_', '-');
  const stem = shape === rabat3 ? `${root}_${obsName}_${stamp}` : `${root}_${stamp}_${obsName}`;
  const name = (role) => `${stem}_${role}.csv`;
  const quicklook = `${stem}.jpg`;
  const count = features ?? Math.floor(random() * 6);
  // The run date is derived, not read from the clock: a re-run writes the same bytes.
  const runDate = `${hfcTime(ms + DAY_MS).slice(0, 10)}T02:00:00`;
  const featName = count > 0 ? name('feat') : undefined;
  const context = { ms, seed, random, count, featName, runDate, quicklook };
  const files = [{ name: name('init'), text: shape.init(context) }];
  let spots = [];
  if (featName) {
    const feat = shape.feat(context);
    spots = feat.spots;
    files.push({ name: featName, text: feat.text });
    if (shape.track) files.push({ name: name('track'), text: shape.track({ ...context, spots, trackName: name('track') }) });
  }
  return { files, quicklooks: [{ name: quicklook, spots: spots.map(({ x, y, areaDeg2, area }) => ({ x, y, area: area ?? areaDeg2 })) }] };
}

/** The per-code metadata files, <root>_frc_info.csv and <root>_observatory.csv. */
export function metadataFiles({ code, version }) {
  const shape = BY_SHAPE[code] ?? sdoss;
  const root = rootOf(code, version);
  return [
    { name: `${root}_frc_info.csv`, text: shape.frcInfo(code, version), encoding: shape.encoding?.frcInfo ?? 'utf8' },
    { name: `${root}_observatory.csv`, text: shape.observatory(code, version), encoding: 'utf8' },
  ];
}
