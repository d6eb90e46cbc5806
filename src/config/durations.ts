const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90s" → 90000. The schema has already checked the shape. */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** 90000 → "90s": a duration in the largest unit that writes it whole, for messages. */
export function formatDuration(ms: number): string {
  const units = ['d', 'h', 'm', 's'] as const;
  const unit = units.find((u) => ms > 0 && ms % UNIT_MS[u] === 0);
  return unit === undefined ? `${ms}ms` : `${ms / UNIT_MS[unit]}${unit}`;
}
