/** A threshold of free space: bytes, or a share of the filesystem. */
export type FreeSpace = { bytes: number } | { percent: number };

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

/** "5%" → {percent: 5}; "10GB" → {bytes: 1e10}. The schema has checked the shape. */
export function parseFreeSpace(text: string): FreeSpace {
  if (text.endsWith('%')) return { percent: Number(text.slice(0, -1)) };
  const match = /^(\d+)([A-Za-z]+)$/.exec(text);
  if (!match) throw new Error(`not a free-space threshold: ${JSON.stringify(text)}`);
  return { bytes: Number(match[1]) * (SIZE_UNITS[match[2]!] ?? Number.NaN) };
}
