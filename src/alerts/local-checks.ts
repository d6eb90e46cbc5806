import { stat, statfs } from 'node:fs/promises';
import { withDeadline } from '../core/abort.js';
import { coerceError } from '../core/errors.js';
import type { NocturneConfig, ResolvedTarget } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { DiskReading, LocalState } from './evaluate-local.js';
import { stageSpecs } from './stage-specs.js';

/** The disks under the watched directories; a directory this host does not have is skipped. */
export async function readDisks(dirs: readonly { path: string; pipeline: string | null }[]): Promise<DiskReading[]> {
  const readings: DiskReading[] = [];
  for (const dir of dirs) {
    try {
      const [info, fs] = await Promise.all([stat(dir.path), statfs(dir.path)]);
      readings.push({ ...dir, device: info.dev, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw coerceError(err, 'INTERNAL', `disk space under ${dir.path}`);
    }
  }
  return readings;
}

/** Opens a session to a target and closes it again: throws when the target cannot be reached. */
export type TargetProbe = (name: string, target: ResolvedTarget) => Promise<void>;

const PROBE_DEADLINE_MS = 120_000;
/** Probes are spaced by a third of the threshold, and never more than this. */
const MAX_PROBE_INTERVAL_MS = 5 * 60_000;

async function openAndClose(name: string, target: ResolvedTarget): Promise<void> {
  // The transfer libraries are loaded only by a host that has targets to watch.
  const { createRemoteStore } = await import('../adapters/transfer/create-remote-store.js');
  const session = await createRemoteStore(name, target).open();
  await session.close();
}

interface TargetWatch {
  stages: string[];
  downSince: Date | null;
  error: string | null;
  lastProbe: number;
  /** A probe has ended: until then the target's state is unknown. */
  probed: boolean;
  probing: Promise<void> | null;
}

/**
 * Whether the targets this host's stages use can be reached, found by opening a session
 * now and then (every third of the threshold, at most every 5 minutes). Unreachable means
 * the attempt failed in a way worth retrying (no connection, no answer); a server that
 * refuses the login or whose certificate is refused has answered. Probes run in the
 * background; the evaluation reads their last outcome.
 */
export class TargetProbes {
  readonly #probe: TargetProbe;
  readonly #logger: Logger;
  readonly #watches = new Map<string, TargetWatch>();

  constructor(logger: Logger, probe: TargetProbe = openAndClose) {
    this.#probe = probe;
    this.#logger = logger;
  }

  /** Starts the probes that are due; targets no longer used are forgotten. */
  refresh(config: NocturneConfig, afterMs: number, nowMs: number): void {
    const used = new Map<string, string[]>();
    for (const spec of stageSpecs(config)) {
      if (spec.here && spec.target !== null) used.set(spec.target, [...(used.get(spec.target) ?? []), `${spec.pipeline}/${spec.stage}`]);
    }
    for (const name of this.#watches.keys()) if (!used.has(name)) this.#watches.delete(name);
    const interval = Math.min(afterMs / 3, MAX_PROBE_INTERVAL_MS);
    for (const [name, stages] of used) {
      const target = config.daemon.targets[name];
      if (!target) continue;
      let watch = this.#watches.get(name);
      if (!watch) {
        this.#watches.set(name, (watch = { stages, downSince: null, error: null, lastProbe: -Infinity, probed: false, probing: null }));
      }
      watch.stages = stages;
      if (watch.probing || nowMs - watch.lastProbe < interval) continue;
      watch.lastProbe = nowMs;
      const w = watch;
      w.probing = this.#run(name, target, w, nowMs).finally(() => {
        w.probed = true;
        w.probing = null;
      });
    }
  }

  states(): LocalState['targets'] {
    return [...this.#watches].map(([name, w]) => ({ name, probed: w.probed, downSince: w.downSince, error: w.error, stages: w.stages }));
  }

  /** Waits for the probes in flight (tests, stop). */
  async settle(): Promise<void> {
    await Promise.all([...this.#watches.values()].flatMap((w) => (w.probing ? [w.probing] : [])));
  }

  async #run(name: string, target: ResolvedTarget, watch: TargetWatch, startedMs: number): Promise<void> {
    try {
      await withDeadline(this.#probe(name, target), PROBE_DEADLINE_MS, `probing target "${name}"`);
      if (watch.downSince) this.#logger.info({ target: name }, 'target reachable again');
      watch.downSince = null;
      watch.error = null;
    } catch (err) {
      const error = coerceError(err, 'TRANSFER_FAILED', `target "${name}"`);
      // A refused login or certificate is an answer: the stages' failures tell that story.
      if (!error.retryable) {
        watch.downSince = null;
        watch.error = null;
        return;
      }
      if (!watch.downSince) this.#logger.warn({ err: error, target: name }, 'target unreachable');
      watch.downSince ??= new Date(startedMs);
      watch.error = error.message;
    }
  }
}
