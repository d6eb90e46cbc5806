// Types of hfc-shapes.mjs, for the TypeScript that imports it (test/helpers/hfc-sets.ts).

/** A deterministic generator of numbers in [0, 1) from a seed. */
export declare function generator(seed: number): () => number;

export interface ShapeFile {
  name: string;
  text: string;
  /** How to write `text`: utf8 unless the code writes Latin-1. */
  encoding?: 'utf8' | 'latin1';
}

export interface QuicklookSpec {
  name: string;
  /** Features to draw: centre in arcsec from disc centre, area. */
  spots: { x: number; y: number; area: number }[];
}

export interface ObservationSetOptions {
  code: string;
  version: string;
  /** Observation name: goes into the file names, "_" written "-". */
  obs: string;
  /** YYYY-MM-DDTHH:MM:SS, UTC. */
  dateObs: string;
  seed: number;
  /** Number of features (0: the init file only); drawn 0..5 from the seed when absent. */
  features?: number | undefined;
}

export declare function observationSet(options: ObservationSetOptions): { files: ShapeFile[]; quicklooks: QuicklookSpec[] };

/** The code's metadata files as its run leaves them beside its sets (RABAT3: per instrument, `obs`). */
export declare function metadataFiles(options: { code: string; version: string; obs?: string }): ShapeFile[];
/** The solar radius, in arcsec, the shapes are drawn with. */
export declare const SOLAR_RADIUS_ARCSEC: number;
