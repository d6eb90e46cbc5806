import type { IncidentKey } from './kinds.js';

/** An incident that is (still) the case: opened, or its summary and details refreshed. */
export interface Opening extends IncidentKey {
  summary: string;
  details: Record<string, unknown>;
  /** How many items it is about (a digest's items); 1 for most kinds. */
  size: number;
  /** How long after opening its first message may be written (a digest collects first). */
  notifyDelayMs: number;
}

/** An open incident found to be over. */
export interface Resolution extends IncidentKey {
  resolution: string;
}

/**
 * What an evaluation concludes. An incident that is neither opened nor resolved is left
 * as it is: the evaluating host could not judge it (not its stage, not enough history).
 */
export interface Verdicts {
  open: Opening[];
  resolve: Resolution[];
}

export function noVerdicts(): Verdicts {
  return { open: [], resolve: [] };
}

export function mergeVerdicts(...parts: Verdicts[]): Verdicts {
  return { open: parts.flatMap((p) => p.open), resolve: parts.flatMap((p) => p.resolve) };
}
