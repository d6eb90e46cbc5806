import { keyText, type IncidentKey } from './kinds.js';
import { localText, spanText } from './local-time.js';
import type { EvaluationContext } from './evaluate-stages.js';
import { unwatchedBecause } from './evaluate-unwatched.js';
import type { FailedItem, FailedNight, StateSnapshot } from './snapshot.js';
import { noVerdicts, type Verdicts } from './verdicts.js';

const ITEM_NOUNS: Record<FailedItem['type'], [string, string]> = {
  observation: ['failed observation', 'failed observations'],
  file: ['rejected file', 'rejected files'],
  set: ['rejected set', 'rejected sets'],
  rows: ['file with rows set aside', 'files with rows set aside'],
  quicklook: ['quarantined quicklook', 'quarantined quicklooks'],
};

/**
 * work_failed: one digest per pipeline, stage and night, however many items failed (its
 * first message waits digestDelay for the night's items to gather, later ones updateEvery); work_stuck: one per
 * pipeline and stage. Both judged by every host, from the ledgers alone.
 */
export function workVerdicts(snapshot: StateSnapshot, ctx: EvaluationContext): Verdicts {
  const verdicts = noVerdicts();
  const settled = new Set<string>();

  for (const night of snapshot.failed) {
    const thresholds = ctx.settings.pipelines.get(night.pipeline);
    if (!thresholds?.workFailed.enabled) continue;
    const key: IncidentKey = { kind: 'work_failed', pipeline: night.pipeline, stage: night.stage, subject: night.night };
    settled.add(keyText(key));
    verdicts.open.push({
      ...key,
      summary: `${night.pipeline}/${night.stage}, night of ${night.night}: ${countText(night)}`,
      details: { night: night.night, count: night.count, listed: night.items.length, items: night.items },
      size: night.count,
      notifyDelayMs: thresholds.workFailed.digestDelayMs,
    });
  }
  for (const work of snapshot.waiting) {
    const thresholds = ctx.settings.pipelines.get(work.pipeline);
    if (!thresholds?.workStuck.enabled) continue;
    const { afterMs } = thresholds.workStuck;
    const limit = snapshot.observedAt.getTime() - afterMs;
    const stuck = work.items.filter((i) => i.since.getTime() <= limit);
    if (stuck.length === 0) continue;
    const key: IncidentKey = { kind: 'work_stuck', pipeline: work.pipeline, stage: work.stage, subject: '' };
    settled.add(keyText(key));
    // Only the oldest items are read: when all of them are stuck, more may be.
    const count = stuck.length === work.items.length && work.total > work.items.length ? `at least ${stuck.length}` : String(stuck.length);
    const one = stuck.length === 1 && count === '1';
    const what =
      work.stage === 'upload'
        ? `${one ? 'file has' : 'files have'} waited for upload`
        : `${one ? 'set has' : 'sets have'} waited for a member (their init file)`;
    verdicts.open.push({
      ...key,
      summary: `${work.pipeline}/${work.stage}: ${count} ${what} longer than ${spanText(afterMs)}, the oldest since ${localText(stuck[0]!.since, ctx.settings.timezone)}`,
      details: {
        afterMs,
        count: stuck.length,
        waiting: work.total,
        items: stuck.map((i) => ({ name: i.name, since: i.since.toISOString(), state: i.state })),
      },
      size: stuck.length,
      notifyDelayMs: 0,
    });
  }
  for (const incident of snapshot.open) {
    const text = keyText(incident);
    // Another host may run a pipeline this one does not know; what the configuration no
    // longer watches is resolved as such by unwatchedVerdicts.
    if (settled.has(text) || !ctx.settings.pipelines.has(incident.pipeline) || unwatchedBecause(incident, ctx) !== null) continue;
    if (incident.kind === 'work_failed') {
      verdicts.resolve.push({
        ...incident,
        resolution: 'every item of the digest was made good since (loaded, archived or no longer failed)',
      });
    } else if (incident.kind === 'work_stuck') {
      verdicts.resolve.push({ ...incident, resolution: 'nothing waits longer than the threshold any more' });
    }
  }
  return verdicts;
}

/** "200 rejected files, 1 rejected set". */
export function countText(night: Pick<FailedNight, 'count' | 'items'>): string {
  const byType = new Map<FailedItem['type'], number>();
  for (const item of night.items) byType.set(item.type, (byType.get(item.type) ?? 0) + 1);
  const listed = night.items.length;
  const parts = [...byType].map(([type, n]) => {
    const [one, many] = ITEM_NOUNS[type];
    return `${n} ${n === 1 ? one : many}`;
  });
  return listed < night.count ? `${night.count} items failed for good (${parts.join(', ')} among the first ${listed})` : parts.join(', ');
}
