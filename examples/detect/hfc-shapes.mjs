// The file sets the HFC detection codes write, with invented values: what
// examples/detect/detect.mjs emits and test/helpers/hfc-sets.ts generates. The shapes
// follow what each code's own writer does (docs/ingest-sets.md says which rule of the
// loader each quirk needs):
// - SDOSS, IDL hfc_write_csv run under GDL: "NULL" for an empty value, a blank at the end
//   of every data row, FILE_SIZE in kB as a float, FEAT_FILENAME never set (NULL), a
//   field quoted only when it holds ";" (the JSOC URL); its metadata files are copied
//   from its repository (examples/detect/metadata).
// - SPoCA, Python csv.DictWriter: \r\n, "" for a missing value, full float precision
//   (FEAT_X_PIX is the centroid), TIME_ORIGIN... in the init file, full paths in
//   FEAT_FILENAME and QCLK_FNAME; ID_AR numbers every region of the map while the feat
//   file leaves out limb regions; the tracker's file is spoca_<ver>_<date>_<obs>_track.csv,
//   its FEAT_FILENAME the map, its PHENOM, REF_FEAT, LVL_TRUST the literal NULL. Its
//   metadata files are the repository's spoca_300_*.csv.
// - RABAT3, Python csv.DictWriter: "NULL" for BSCALE, BZERO, BITPIX, EXP_TIME, R_SUN,
//   QUALITY, "" for what the wrapper never sets (FILE_FORMAT, CC_Y_MHZ, MULTIPLE...),
//   MULTIPLE, SNAPSHOT_*, HELIO_ID in the feat file, ID_TYPE_III skipping bursts without a
//   contour, OBSERVATORY_ID always 1, and metadata per instrument:
//   rabat3_<ver>_<obs>_observatory.csv, _frc_info.csv. The observatory comes before the
//   date in its names.
// root = code + "_" + version without dots.
import { readFileSync } from 'node:fs';

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
/** A field is double-quoted only when it holds the separator (IDL /DOUBLE_QUOTES, Python csv QUOTE_MINIMAL). */
const csvField = (value) => (/[;"\r\n]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value));
/** IDL under GDL: header as is, each data row ending with a blank, \n. */
const idlText = (header, rows) => [header.join(';'), ...rows.map((row) => `${row.map(csvField).join(';')} `)].join('\n') + '\n';
/** Python csv.DictWriter: the header's keys, "" for a key the row lacks, \r\n. */
const pythonText = (header, rows) =>
  [header, ...rows.map((row) => header.map((k) => (row[k] === undefined ? '' : String(row[k]))))]
    .map((row) => row.map(csvField).join(';'))
    .join('\r\n') + '\r\n';
/** IDL's default print of a float (6 significant digits) or a double (8). */
const idlFloat = (n, digits = 6) => {
  if (n === 0) return digits === 6 ? '0.00000' : '0.0000000';
  const e = Math.floor(Math.log10(Math.abs(n)));
  if (e < -4 || e >= digits) return n.toExponential(digits - 1).replace(/e([+-])(\d)$/, 'e$10$2');
  return n.toFixed(Math.max(0, digits - 1 - e));
};
const idlDouble = (n) => idlFloat(n, 8);
/** HFC_TFORMAT, %Y-%m-%dT%H:%M:%S, UTC. */
const hfcTime = (ms) => new Date(ms).toISOString().slice(0, 19);
const chainCode = (random, length) => Array.from({ length }, () => Math.floor(random() * 8)).join('');
const range = (n) => Array.from({ length: n }, (_, i) => i);
const corners = (names) => range(4).flatMap((i) => names(i));
/** The metadata files the codes ship in their repositories (data, copied as their runs copy them). */
const repositoryFile = (name) => readFileSync(new URL(`metadata/${name}`, import.meta.url), 'latin1');

const FEAT_POSITION = [
  'FEAT_X_ARCSEC',
  'FEAT_Y_ARCSEC',
  'FEAT_X_PIX',
  'FEAT_Y_PIX',
  'FEAT_HG_LONG_DEG',
  'FEAT_HG_LAT_DEG',
  'FEAT_CARR_LONG_DEG',
  'FEAT_CARR_LAT_DEG',
];
const BR_PIX = corners((i) => [`BR_X${i}_PIX`, `BR_Y${i}_PIX`]);
const BR_ARCSEC = corners((i) => [`BR_X${i}_ARCSEC`, `BR_Y${i}_ARCSEC`]);
const BR_HG = corners((i) => [`BR_HG_LONG${i}_DEG`, `BR_HG_LAT${i}_DEG`]);
const BR_CARR = corners((i) => [`BR_CARR_LONG${i}_DEG`, `BR_CARR_LAT${i}_DEG`]);

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
function discFeature(random, { size, cdelt, carringtonOffset, at }) {
  // Drawn even when `at` places the feature: the rest of the map stays as the seed makes it.
  const drawn = { lat: (random() - 0.5) * 70, lon: (random() - 0.5) * 140 };
  const { lat, lon } = at ?? drawn;
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
    x,
    y,
    half,
    lat,
    lon,
    position: [fixed(x, 3), fixed(y, 3), int(xp), int(yp), fixed(lon, 4), fixed(lat, 4), fixed(carrLon, 4), fixed(lat, 4)],
    brPix: corners((i) => [int(xp + sign(i, 'x') * half), int(yp + sign(i, 'y') * half)]),
    brArcsec: corners((i) => [
      fixed((xp + sign(i, 'x') * half - size / 2) * cdelt, 3),
      fixed((yp + sign(i, 'y') * half - size / 2) * cdelt, 3),
    ]),
    brHg: corners((i) => [fixed(lon + sign(i, 'x') * span, 4), fixed(lat + sign(i, 'y') * span, 4)]),
    brCarr: corners((i) => [fixed(carrLon + sign(i, 'x') * span, 4), fixed(lat + sign(i, 'y') * span, 4)]),
    ccStart: [
      int(xp - half),
      int(yp),
      fixed((xp - half - size / 2) * cdelt, 3),
      fixed((yp - size / 2) * cdelt, 3),
      chainCode(random, ccLength),
      String(ccLength),
    ],
    areaPix,
    areaDeg2: areaPix * (cdelt / (SOLAR_RADIUS_ARCSEC * RAD)) ** 2,
  };
}

/** sdoss_observations__define.pro, in its order. */
const SDOSS_OBSERVATIONS = [
  'ID_OBSERVATIONS',
  'OBSERVATORY_ID',
  'DATE_OBS',
  'DATE_END',
  'JDINT',
  'JDFRAC',
  'EXP_TIME',
  'C_ROTATION',
  'BSCALE',
  'BZERO',
  'BITPIX',
  'NAXIS1',
  'NAXIS2',
  'R_SUN',
  'CENTER_X',
  'CENTER_Y',
  'CDELT1',
  'CDELT2',
  'QUALITY',
  'FILENAME',
  'FILE_FORMAT',
  'FILE_SIZE',
  'DATA_TYPE',
  'PROCESSING_LVL',
  'COMMENT',
  'LOC_FILENAME',
  'URL',
  'QCLK_URL',
  'QCLK_FNAME',
];
/** sdoss_sunspots__define.pro, in its order. */
const SUNSPOTS = [
  'ID_SUNSPOT',
  'FRC_INFO_ID',
  'OBSERVATIONS_ID_IC',
  'OBSERVATIONS_ID_M',
  ...FEAT_POSITION,
  ...BR_PIX,
  ...BR_ARCSEC,
  ...BR_HG,
  ...BR_CARR,
  'FEAT_AREA_PIX',
  'FEAT_AREA_DEG2',
  'FEAT_AREA_MM2',
  'FEAT_DIAM_DEG',
  'FEAT_DIAM_MM',
  'FEAT_MEAN2QSUN',
  'FEAT_MAX_INT',
  'FEAT_MIN_INT',
  'FEAT_MEAN_INT',
  'FEAT_TOT_BZ',
  'FEAT_ABS_BZ',
  'FEAT_MAX_BZ',
  'FEAT_MIN_BZ',
  'FEAT_MEAN_BZ',
  'UMBRA_NUMBER',
  'UMBRA_AREA_PIX',
  'UMBRA_AREA_MM2',
  'UMBRA_AREA_DEG2',
  'UMBRA_DIAM_DEG',
  'UMBRA_DIAM_MM',
  'UMBRA_MAX_INT',
  'UMBRA_MIN_INT',
  'UMBRA_MEAN_INT',
  'UMBRA_TOT_BZ',
  'UMBRA_ABS_BZ',
  'UMBRA_MAX_BZ',
  'UMBRA_MIN_BZ',
  'UMBRA_MEAN_BZ',
  'CC_X_PIX',
  'CC_Y_PIX',
  'CC_X_ARCSEC',
  'CC_Y_ARCSEC',
  'CC',
  'CC_LENGTH',
  'RS',
  'RS_LENGTH',
  'SNAPSHOT_FN',
  'SNAPSHOT_PATH',
  'HELIO_SS_NUMBER',
  'FEAT_FILENAME',
  'RUN_DATE',
];

/** SDOSS: two observations (HMI continuum and magnetogram) per set; IDL's text forms. */
const sdoss = {
  metadata: (root) => [
    { name: `${root}_frc_info.csv`, text: repositoryFile('sdoss_106_frc_info.csv') },
    { name: `${root}_observatory.csv`, text: repositoryFile('sdoss_106_observatory.csv') },
  ],
  init({ ms, quicklook, random }) {
    const { jdint, jdfrac, rotation } = julian(ms);
    const jsoc = new Date(ms).toISOString().slice(0, 19).replaceAll('-', '').replace('T', '_').replaceAll(':', '');
    const when = new Date(ms).toISOString().slice(0, 19).replaceAll('-', '.').replace('T', '_');
    const rows = [
      ['ic', 'Ic', 1, quicklook, 'continuum'],
      ['m', 'M', 2, '', 'magnetogram'],
    ].map(([series, drms, id, qclk, kind]) => {
      const filename = `hmi.${series}_45s.${jsoc}_TAI.${kind}.fits`;
      const size = 11_000_000 + Math.floor(random() * 3_000_000);
      return [
        String(id),
        String(id),
        hfcTime(ms),
        hfcTime(ms + 45_000),
        String(jdint),
        idlDouble(Number(jdfrac)),
        '45.0000',
        String(rotation),
        '1.0000000',
        '0.0000000',
        '-32',
        '4096',
        '4096',
        idlDouble(1920 + random() * 10),
        idlDouble(2047 + random()),
        idlDouble(2047 + random()),
        '0.50428400',
        '0.50428400',
        id === 1 ? '0' : '1024',
        filename,
        'FITS',
        idlFloat(size / 1000),
        'IMAGE',
        '0',
        id === 1 ? 'NULL' : 'Magnetogram, LOS field, HMI level 1.5',
        `/data/sdoss/${filename}`,
        `http://jsoc.stanford.edu/cgi-bin/ajax/jsoc_fetch?op=exp_request&ds=hmi.${drms}_45s[${when}_TAI];method=url_quick;protocol=as-is`,
        'NULL',
        qclk || 'NULL',
      ];
    });
    return idlText(SDOSS_OBSERVATIONS, rows);
  },
  feat({ random, count, runDate, seed }) {
    const spots = [];
    const rows = range(count).map((i) => {
      const f = discFeature(random, { size: 4096, cdelt: 0.5043, carringtonOffset: seed % 360 });
      spots.push(f);
      const mm2 = f.areaDeg2 * 147.7;
      const diamDeg = 2 * Math.sqrt(f.areaDeg2 / Math.PI);
      const mean = 20_000 + random() * 20_000;
      const umbrae = Math.floor(random() * 3);
      // IDL writes the zeros of a struct never filled, not NULL.
      const umbra =
        umbrae === 0
          ? ['0', ...Array(12).fill('0.00000')]
          : [
              String(Math.floor(f.areaPix / 4)),
              idlFloat(mm2 / 4),
              idlFloat(f.areaDeg2 / 4),
              idlFloat(diamDeg / 2),
              idlFloat(diamDeg * 6),
              idlFloat(mean * 0.6),
              idlFloat(mean * 0.3),
              idlFloat(mean * 0.45),
              idlFloat(-random() * 1e4),
              idlFloat(random() * 1e4),
              idlFloat(random() * 500),
              idlFloat(-2000 - random() * 1000),
              idlFloat(-1200 - random() * 500),
            ];
      const runs = Array.from({ length: 2 + Math.floor(random() * 6) }, () => Math.floor(random() * 8)).join(',');
      const [x, y, xp, yp, ...angles] = f.position;
      return [
        String(i + 1),
        '1',
        '1',
        '2',
        idlDouble(Number(x)),
        idlDouble(Number(y)),
        xp,
        yp,
        ...angles.map((a) => idlFloat(Number(a))),
        ...f.brPix,
        ...f.brArcsec.map((a) => idlDouble(Number(a))),
        ...f.brHg.map((a) => idlFloat(Number(a))),
        ...f.brCarr.map((a) => idlFloat(Number(a))),
        String(f.areaPix),
        idlFloat(f.areaDeg2),
        idlFloat(mm2),
        idlFloat(diamDeg),
        idlFloat(diamDeg * 12.15),
        idlFloat(0.4 + random() * 0.4),
        idlFloat(mean * 1.2),
        idlFloat(mean * 0.3),
        idlFloat(mean),
        idlFloat(-random() * 1e5),
        idlFloat(random() * 1e5),
        idlFloat(random() * 800),
        idlFloat(-1500 - random() * 1000),
        idlFloat(-600 - random() * 300),
        String(umbrae),
        ...umbra,
        f.ccStart[0],
        f.ccStart[1],
        idlDouble(Number(f.ccStart[2])),
        idlDouble(Number(f.ccStart[3])),
        f.ccStart[4],
        f.ccStart[5],
        runs,
        String(runs.length),
        'NULL',
        'NULL',
        '0',
        'NULL',
        runDate,
      ];
    });
    return { text: idlText(SUNSPOTS, rows), spots };
  },
};

/** The order spoca_hfc_classes.map2feat fills a region's entry in. */
const ACTIVEREGIONS = [
  'ID_AR',
  'OBSERVATIONS_ID',
  'OBSERVATIONS_ID_T',
  'FEAT_DATE',
  'FEAT_DATE_PREV',
  'HELIO_ID',
  'FEAT_LENGTH_NL',
  'FEAT_LENGTH_SG',
  'FEAT_MAX_GRAD',
  'FEAT_MEAN_GRAD',
  'FEAT_MEDIAN_GRAD',
  'FEAT_RVAL',
  'FEAT_WLSG',
  'FRC_INFO_ID',
  'FEAT_X_PIX',
  'FEAT_Y_PIX',
  'FEAT_X_ARCSEC',
  'FEAT_Y_ARCSEC',
  'FEAT_HG_LONG_DEG',
  'FEAT_HG_LAT_DEG',
  'FEAT_CARR_LONG_DEG',
  'FEAT_CARR_LAT_DEG',
  ...BR_PIX,
  ...BR_ARCSEC,
  ...BR_HG,
  ...BR_CARR,
  'FEAT_AREA_PIX',
  'FEAT_AREA_DEG2',
  'FEAT_AREA_MM2',
  'FEAT_MIN_INT',
  'FEAT_MAX_INT',
  'FEAT_MEAN_INT',
  'FEAT_MEAN2QSUN',
  'FEAT_MIN_BZ',
  'FEAT_MAX_BZ',
  'FEAT_MEAN_BZ',
  'CC',
  'CC_LENGTH',
  'CC_X_PIX',
  'CC_Y_PIX',
  'CC_X_ARCSEC',
  'CC_Y_ARCSEC',
  'SNAPSHOT_FN',
  'SNAPSHOT_PATH',
  'FEAT_FILENAME',
  'RUN_DATE',
];
/** The order spoca_hfc_classes.run gives its init entry (FEAT_FILENAME added last). */
const SPOCA_OBSERVATIONS = [
  'ID_OBSERVATIONS',
  'OBSERVATORY_ID',
  'DATE_OBS',
  'DATE_END',
  'JDINT',
  'JDFRAC',
  'C_ROTATION',
  'BSCALE',
  'BZERO',
  'BITPIX',
  'EXP_TIME',
  'NAXIS1',
  'NAXIS2',
  'CDELT1',
  'CDELT2',
  'R_SUN',
  'CENTER_X',
  'CENTER_Y',
  'QUALITY',
  'FILENAME',
  'FILE_FORMAT',
  'DATA_TYPE',
  'TIME_ORIGIN',
  'TIME_SCALE',
  'SPATIAL_FRAME_DESC',
  'SPATIAL_FRAME_TYPE',
  'SPATIAL_ORIGIN',
  'PROCESSING_LVL',
  'LOC_FILENAME',
  'URL',
  'QCLK_FNAME',
  'QCLK_URL',
  'SOLAR_B0',
  'D_SUN',
  'FEAT_FILENAME',
];
const AR_TRACK = [
  'ID_AR',
  'TRACK_ID',
  'DATE_OBS',
  'FEAT_X_PIX',
  'FEAT_Y_PIX',
  'PHENOM',
  'REF_FEAT',
  'LVL_TRUST',
  'TRACK_FILENAME',
  'FEAT_FILENAME',
  'RUN_DATE',
];
const SPOCA_RESULTS = '/obs/helio/hfc/frc/spoca/results';
/** Where the tracker reads the maps; FEAT_FILENAME of its rows. */
const SPOCA_MAPS = '/obs/helio/hfc/frc/spoca/maps';

/**
 * A long-lived active region, as a tracker follows one from map to map: a fixed
 * Carrington position carried across the disc by the solar rotation. It crosses the
 * central meridian at the start of the night of the bundled sample observations
 * (2026-11-21), so the demo's SPoCA maps of both nights see it under one TRACK_ID.
 */
const LONG_LIVED = { lat: 14, carrLon: 250, meridianMs: Date.UTC(2026, 10, 21), track: 9001 };
const CARRINGTON_DEG_PER_DAY = 360 / 27.2753;

/** Where the long-lived region is at `ms`, while it is well on the disc (not at the limb). */
function longLivedAt(ms) {
  const lon = ((ms - LONG_LIVED.meridianMs) / DAY_MS) * CARRINGTON_DEG_PER_DAY;
  return Math.abs(lon) < 70 ? { lat: LONG_LIVED.lat, lon } : undefined;
}

/** SPoCA (Python csv): CRLF, "" for missing values, floats as Python writes them. */
const spocaAr = {
  metadata: () => [
    { name: 'spoca_300_frc_info.csv', text: repositoryFile('spoca_300_frc_info.csv') },
    { name: 'spoca_300_observatory.csv', text: repositoryFile('spoca_300_observatory.csv') },
  ],
  init({ ms, quicklook, random, name }) {
    const { jdint, jdfrac, rotation } = julian(ms);
    const filename = `aia.lev1.171A_${hfcTime(ms).replaceAll(':', '_')}.34Z.image_lev1.fits`;
    return pythonText(SPOCA_OBSERVATIONS, [
      {
        ID_OBSERVATIONS: 1,
        OBSERVATORY_ID: 3,
        DATE_OBS: hfcTime(ms),
        DATE_END: hfcTime(ms + 2000),
        JDINT: jdint,
        JDFRAC: Number(jdfrac),
        C_ROTATION: rotation,
        BSCALE: (1.0).toFixed(1),
        BZERO: '0.0',
        BITPIX: -32,
        EXP_TIME: 1.999803,
        NAXIS1: 4096,
        NAXIS2: 4096,
        CDELT1: 0.599489,
        CDELT2: 0.599489,
        R_SUN: 1600 + random() * 10,
        CENTER_X: 2048.5,
        CENTER_Y: 2048.5,
        QUALITY: 0,
        FILENAME: filename,
        FILE_FORMAT: 'FITS',
        DATA_TYPE: 'IMAGE',
        TIME_ORIGIN: 'SDO',
        TIME_SCALE: 'UTC',
        SPATIAL_FRAME_DESC: 'See JSOC_Keywords_for_metadata.pdf document',
        SPATIAL_FRAME_TYPE: 'helioprojective-cartesian coordinates',
        SPATIAL_ORIGIN: 'SDO',
        PROCESSING_LVL: '3',
        LOC_FILENAME: `/data/spoca/${filename}`,
        URL: `http://jsoc.stanford.edu/data/aia/${filename}`,
        QCLK_FNAME: `${SPOCA_RESULTS}/${quicklook}`,
        QCLK_URL: '',
        SOLAR_B0: -7 + random() * 14,
        D_SUN: (147851296563.0).toFixed(1),
        FEAT_FILENAME: `${SPOCA_RESULTS}/${name('init')}`,
      },
    ]);
  },
  /** `count` regions kept in the feat file, out of more on the map: about one in four is on the limb and left out. */
  feat({ random, count, runDate, seed, ms, name }) {
    const spots = [];
    const regions = [];
    for (let id = 1; spots.length < count; id++) {
      // The first region of the map is the long-lived one while it is on the disc.
      const at = id === 1 ? longLivedAt(ms) : undefined;
      const f = discFeature(random, { size: 4096, cdelt: 0.6, carringtonOffset: at ? LONG_LIVED.carrLon - at.lon : seed % 360, at });
      const kept = random() >= 0.25 || at !== undefined;
      regions.push({ id, f, kept, track: at ? LONG_LIVED.track : undefined });
      if (!kept) continue;
      spots.push(f);
    }
    const rows = regions
      .filter((r) => r.kept)
      .map(({ id, f }) => {
        const mean = 300 + random() * 900;
        const [x, y, , , ...angles] = f.position;
        const xp = 2048.5 + Number(x) / 0.6 + random() - 0.5;
        const yp = 2048.5 + Number(y) / 0.6 + random() - 0.5;
        const row = {
          ID_AR: id,
          OBSERVATIONS_ID: 1,
          FEAT_DATE: `${hfcTime(ms)}.340`,
          FRC_INFO_ID: 3,
          FEAT_X_PIX: xp,
          FEAT_Y_PIX: yp,
          FEAT_X_ARCSEC: Number(x),
          FEAT_Y_ARCSEC: Number(y),
          FEAT_AREA_PIX: f.areaPix,
          FEAT_AREA_DEG2: f.areaDeg2,
          FEAT_AREA_MM2: f.areaDeg2 * 147.7,
          FEAT_MIN_INT: mean / 3,
          FEAT_MAX_INT: mean * 3,
          FEAT_MEAN_INT: mean,
          CC: f.ccStart[4],
          CC_LENGTH: Number(f.ccStart[5]),
          CC_X_PIX: Number(f.ccStart[0]),
          CC_Y_PIX: Number(f.ccStart[1]),
          CC_X_ARCSEC: Number(f.ccStart[2]),
          CC_Y_ARCSEC: Number(f.ccStart[3]),
          FEAT_FILENAME: `${SPOCA_RESULTS}/${name('feat')}`,
          RUN_DATE: runDate,
        };
        ['FEAT_HG_LONG_DEG', 'FEAT_HG_LAT_DEG', 'FEAT_CARR_LONG_DEG', 'FEAT_CARR_LAT_DEG'].forEach((k, i) => (row[k] = Number(angles[i])));
        [BR_PIX, BR_ARCSEC, BR_HG, BR_CARR].forEach((names, n) =>
          names.forEach((k, i) => (row[k] = Number([f.brPix, f.brArcsec, f.brHg, f.brCarr][n][i]))),
        );
        return row;
      });
    // The tracker numbers every region of the map (ID_AR = i + 1), at integer pixels (int()).
    const track = ({ trackName, mapName, seed: s }) =>
      pythonText(
        AR_TRACK,
        regions.map(({ id, f, track: known }) => ({
          ID_AR: id,
          TRACK_ID: known ?? s * 10 + id,
          DATE_OBS: hfcTime(ms),
          FEAT_X_PIX: Math.trunc(2048.5 + Number(f.position[0]) / 0.6),
          FEAT_Y_PIX: Math.trunc(2048.5 + Number(f.position[1]) / 0.6),
          PHENOM: 'NULL',
          REF_FEAT: 'NULL',
          LVL_TRUST: 'NULL',
          TRACK_FILENAME: trackName,
          FEAT_FILENAME: `${SPOCA_MAPS}/${mapName}`,
          RUN_DATE: runDate,
        })),
      );
    return { text: pythonText(ACTIVEREGIONS, rows), spots, track };
  },
};

const RABAT3_OBSERVATIONS = [
  'ID_OBSERVATIONS',
  'OBSERVATORY_ID',
  'DATE_OBS',
  'DATE_END',
  'JDINT',
  'JDFRAC',
  'C_ROTATION',
  'BSCALE',
  'BZERO',
  'BITPIX',
  'EXP_TIME',
  'NAXIS1',
  'NAXIS2',
  'CDELT1',
  'CDELT2',
  'R_SUN',
  'CENTER_X',
  'CENTER_Y',
  'QUALITY',
  'FILENAME',
  'FILE_FORMAT',
  'COMMENT',
  'LOC_FILENAME',
  'URL',
  'QCLK_FNAME',
  'QCLK_URL',
];
const TYPE_III = [
  'ID_TYPE_III',
  'FRC_INFO_ID',
  'OBSERVATIONS_ID',
  'CC_X_PIX',
  'CC_Y_PIX',
  'CC_X_UTC',
  'CC_Y_MHZ',
  'CC',
  'CC_LENGTH',
  'SKE_CC_X_PIX',
  'SKE_CC_Y_PIX',
  'SKE_CC_X_UTC',
  'SKE_CC_Y_MHZ',
  'SKE_CC',
  'SKE_CC_LENGTH',
  ...BR_PIX,
  ...corners((i) => [`BR_X${i}_UTC`, `BR_Y${i}_MHZ`]),
  'TIME_START',
  'TIME_END',
  'FEAT_MAX_INT',
  'FEAT_MEAN_INT',
  'FIT_A0',
  'FIT_A1',
  'DRIFT_START',
  'DRIFT_END',
  'LVL_TRUST',
  'MULTIPLE',
  'SNAPSHOT_FN',
  'SNAPSHOT_PATH',
  'FEAT_FILENAME',
  'HELIO_ID',
  'RUN_DATE',
];
/** One dynamic spectrum of Wind/Waves Rad2: 1 pixel = 1 minute (x) by 0.05 MHz (y) from 1.075 MHz. */
const mhzOf = (pix) => Number((1.075 + pix * 0.05).toFixed(3));

/** RABAT3 (Python csv): per-instrument metadata, literal NULLs beside "" for keys never set. */
const rabat3 = {
  metadata: (root, obs) => [
    {
      name: `${root}_${obs}_observatory.csv`,
      text: pythonText(
        [
          'ID_OBSERVATORY',
          'OBSERVAT',
          'INSTRUME',
          'TELESCOP',
          'UNITS',
          'WAVEMIN',
          'WAVEMAX',
          'WAVENAME',
          'WAVEUNIT',
          'SPECTRAL_NAME',
          'OBS_TYPE',
          'COMMENT',
        ],
        [
          {
            ID_OBSERVATORY: 1,
            OBSERVAT: 'Wind',
            INSTRUME: 'Waves',
            TELESCOP: 'Rad2',
            UNITS: 'dB above background',
            WAVEMIN: '1.075',
            WAVEMAX: '13.825',
            WAVENAME: 'Decametric/Hectometric',
            WAVEUNIT: 'MHz',
            SPECTRAL_NAME: 'Radio',
            OBS_TYPE: 'Remote-sensing',
            COMMENT: 'NULL',
          },
        ],
      ),
    },
    {
      name: `${root}_${obs}_frc_info.csv`,
      text: pythonText(
        ['ID_FRC_INFO', 'INSTITUT', 'CODE', 'VERSION', 'FEATURE_NAME', 'ENC_MET', 'PERSON', 'CONTACT', 'REFERENCE'],
        [
          {
            ID_FRC_INFO: 1,
            INSTITUT: 'OBSPM',
            CODE: 'RABAT3',
            VERSION: '2.03',
            FEATURE_NAME: 'TYPE III',
            ENC_MET: 'CHAINCODE',
            PERSON: 'Jane Roe',
            CONTACT: 'jane.roe@example.org',
            REFERENCE: 'doi:10.1029/2008SW000425',
          },
        ],
      ),
    },
  ],
  init({ ms, quicklook }) {
    const { jdint, jdfrac, rotation } = julian(ms);
    const day = hfcTime(ms).slice(0, 10).replaceAll('-', '');
    const filename = `wi_wa_rad2_l2_60s_v01_${day}.dat`;
    return pythonText(RABAT3_OBSERVATIONS, [
      {
        ID_OBSERVATIONS: 1,
        OBSERVATORY_ID: 1,
        DATE_OBS: hfcTime(ms),
        DATE_END: hfcTime(ms + DAY_MS - 60_000),
        JDINT: jdint,
        JDFRAC: Number(jdfrac),
        C_ROTATION: rotation,
        BSCALE: 'NULL',
        BZERO: 'NULL',
        BITPIX: 'NULL',
        EXP_TIME: 'NULL',
        NAXIS1: 1440,
        NAXIS2: 256,
        CDELT1: '60.0',
        CDELT2: 0.05,
        R_SUN: 'NULL',
        CENTER_X: 720,
        CENTER_Y: 128,
        QUALITY: 'NULL',
        FILENAME: filename,
        COMMENT: 'Wind/Waves Rad2 60 sec. averaged data',
        LOC_FILENAME: `/data/rabat3/${filename}`,
        URL: `ftp://cdaweb.gsfc.nasa.gov/pub/data/wind/waves/${filename}`,
        QCLK_FNAME: quicklook,
      },
    ]);
  },
  feat({ random, count, runDate, ms, name }) {
    const spots = [];
    const at = (minute) => hfcTime(ms + minute * 60_000);
    const rows = [];
    // The IDL code's rows without a contour are skipped: ID_TYPE_III keeps counting.
    for (let id = 1; rows.length < count; id++) {
      const x0 = Math.floor(random() * 1400);
      const width = 2 + Math.floor(random() * 20);
      const y0 = Math.floor(random() * 40);
      const y1 = 180 + Math.floor(random() * 60);
      const ccLength = 20 + Math.floor(random() * 60);
      const skeLength = 10 + Math.floor(random() * 30);
      const drift = -(0.01 + random() * 0.5);
      if (random() < 0.2) continue;
      spots.push({ x: (x0 / 1440 - 0.5) * 1800, y: ((y0 + y1) / 512 - 0.5) * 1800, area: width });
      const cc = chainCode(random, ccLength);
      const ske = chainCode(random, skeLength);
      const row = {
        ID_TYPE_III: id,
        FRC_INFO_ID: 1,
        OBSERVATIONS_ID: 1,
        CC_X_PIX: String(x0),
        CC_Y_PIX: String(y1),
        CC_X_UTC: at(x0),
        CC: cc,
        CC_LENGTH: cc.length,
        SKE_CC_X_PIX: String(x0),
        SKE_CC_Y_PIX: String(y1),
        SKE_CC_X_UTC: at(x0),
        SKE_CC: ske,
        SKE_CC_LENGTH: ske.length,
        TIME_START: at(x0),
        TIME_END: at(x0 + width),
        FEAT_MAX_INT: fixed(12 + random() * 20, 3),
        FEAT_MEAN_INT: fixed(3 + random() * 10, 3),
        FIT_A0: fixed(mhzOf(y1), 4),
        FIT_A1: (drift / 3).toExponential(4),
        DRIFT_START: fixed(drift, 4),
        DRIFT_END: fixed(drift / 3, 4),
        LVL_TRUST: String(50 + Math.floor(random() * 50)),
        SNAPSHOT_FN: 'NULL',
        SNAPSHOT_PATH: 'NULL',
        FEAT_FILENAME: `/obs/helio/hfc/frc/rabat3/results/${name('feat')}`,
        HELIO_ID: 'NULL',
        RUN_DATE: runDate,
      };
      // The wrapper's own remapping of the corners, and its misspelt keys (cc_y_utc, mulitple): never written.
      const br = [
        [x0, y0],
        [x0, y1],
        [x0 + width, y0],
        [x0 + width, y1],
      ];
      br.forEach(([x, y], i) =>
        Object.assign(row, {
          [`BR_X${i}_PIX`]: String(x),
          [`BR_Y${i}_PIX`]: String(y),
          [`BR_X${i}_UTC`]: at(x),
          [`BR_Y${i}_MHZ`]: String(mhzOf(y)),
        }),
      );
      rows.push(row);
    }
    return { text: pythonText(TYPE_III, rows), spots };
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
  const context = { ms, seed, random, count, runDate, quicklook, name };
  const files = [{ name: name('init'), text: shape.init(context) }];
  let spots = [];
  if (count > 0) {
    const feat = shape.feat(context);
    spots = feat.spots;
    files.push({ name: name('feat'), text: feat.text });
    if (feat.track) {
      // The tracker's own code name and the map of the observation.
      const trackName = `spoca_${version.replaceAll('.', '')}_${stamp}_${obsName}_track.csv`;
      files.push({ name: trackName, text: feat.track({ trackName, mapName: `${stem}.armap.fits`, seed }) });
    }
  }
  return { files, quicklooks: [{ name: quicklook, spots: spots.map(({ x, y, areaDeg2, area }) => ({ x, y, area: area ?? areaDeg2 })) }] };
}

/** The code's metadata files as its run leaves them beside its sets (RABAT3: per instrument, `obs`). */
export function metadataFiles({ code, version, obs }) {
  const shape = BY_SHAPE[code] ?? sdoss;
  return shape.metadata(rootOf(code, version), (obs ?? '').replaceAll('_', '-')).map((f) => ({ ...f, encoding: 'latin1' }));
}
