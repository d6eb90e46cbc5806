/**
 * Watches the outboxes during the night (inotify, through fs.watch): each time an output
 * disappears from one, its archived copy (or, for a rejected quicklook, its quarantined
 * copy) must already hold exactly the bytes the detection code wrote. Nothing re-uploads
 * a file once its local copy is gone, so a check made just after the disappearance is as
 * good as one made at it. A watch that missed deletions would prove nothing: at least
 * MIN_COVERAGE of the outputs that left the outboxes must have been checked.
 */
import { watch, type FSWatcher } from 'node:fs';
import { access, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { quarantinedJpeg, sha256, type NightObs, type NightPipeline, type World } from './world.js';

const MIN_COVERAGE = 0.9;

export interface DeletionWatch {
  /** Outputs checked when they left an outbox. */
  readonly checked: number;
  /** Outputs that have left the outboxes, by the transfer ledger (known after stop()). */
  readonly left: number;
  readonly violations: string[];
  /** Stops watching; then counts what left and says whether enough of it was checked. */
  stop(): Promise<void>;
  /** Stops watching, nothing more: for teardown, whatever state the night is in. */
  close(): Promise<void>;
}

async function fileHash(file: string): Promise<string | null> {
  return readFile(file).then(sha256, () => null);
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

export async function watchDeletions(world: World): Promise<DeletionWatch> {
  const expected = new Map<string, { obs: NightObs; hash: string }>();
  for (const o of world.observations) {
    expected.set(`${o.pipeline}/${o.obs}.csv`, { obs: o, hash: sha256(world.expectedCsv(o)) });
    expected.set(`${o.pipeline}/${o.obs}.jpg`, { obs: o, hash: sha256(world.expectedJpeg(o)) });
  }
  const present = new Set<string>();
  const checked = new Set<string>();
  const violations: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let left = 0;

  const check = async (p: NightPipeline, name: string) => {
    const want = expected.get(`${p.name}/${name}`);
    if (!want) {
      violations.push(`outbox ${p.outbox}: unexpected file ${name} appeared and went`);
      return;
    }
    if ((await fileHash(path.join(p.archiveDir, name))) === want.hash) return;
    if (quarantinedJpeg(want.obs) && name.endsWith('.jpg')) {
      if ((await fileHash(path.join(world.quarantineDir, p.name, name))) === want.hash) return;
    }
    violations.push(`${path.join(p.outbox, name)} left the outbox without a complete archived or quarantined copy`);
  };

  // An event says "this name changed"; whether it came or went, the file system says.
  const changed = async (p: NightPipeline, name: string) => {
    const key = `${p.name}/${name}`;
    if (await exists(path.join(p.outbox, name))) {
      present.add(key);
      return;
    }
    if (checked.has(key) && !present.has(key)) return;
    present.delete(key);
    checked.add(key);
    await check(p, name);
  };

  const watchers: FSWatcher[] = [];
  for (const p of world.pipelines) {
    // The daemon creates its outboxes on demand; made here first, so the watch sees every file.
    await mkdir(p.outbox, { recursive: true });
    const w = watch(p.outbox, (_event, name) => {
      if (!name || name.startsWith('.')) return;
      const job = changed(p, name).catch((err: unknown) => void violations.push(`deletion watch: ${p.outbox}/${name}: ${String(err)}`));
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
    });
    w.on('error', (err) => violations.push(`deletion watch on ${p.outbox} failed: ${err.message}`));
    watchers.push(w);
  }

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const w of watchers) w.close();
    await Promise.all(inFlight);
  };
  return {
    get checked() {
      return checked.size;
    },
    get left() {
      return left;
    },
    violations,
    close,
    async stop() {
      await close();
      // What left, by the transfer ledger: the watch must not be its own reference.
      const outboxes = world.pipelines.map((p) => `${p.outbox}/%`);
      ({ left } = await world.t.db.one<{ left: number }>(
        `SELECT count(DISTINCT local_path)::int AS left FROM transfers
          WHERE state IN ('deleted', 'quarantined') AND local_path LIKE ANY ($1)`,
        [outboxes],
      ));
      if (checked.size < MIN_COVERAGE * left) {
        violations.push(
          `deletion watch: only ${checked.size} of the ${left} outputs that left the outboxes were checked (at least ${MIN_COVERAGE * 100}% needed)`,
        );
      }
    },
  };
}
