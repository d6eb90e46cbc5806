/**
 * Watches the outboxes during the night: each time an output disappears from one, its
 * archived copy (or, for a rejected quicklook, its quarantined copy) must already hold
 * exactly the bytes the detection code wrote. Nothing re-uploads a file once its local
 * copy is gone, so a check made just after the disappearance is as good as one made at it.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256, type NightObs, type World } from './world.js';

const INTERVAL_MS = 250;

export interface DeletionWatch {
  /** Outputs seen leaving an outbox. */
  readonly vanished: number;
  readonly violations: string[];
  stop(): Promise<void>;
}

async function fileHash(file: string): Promise<string | null> {
  return readFile(file).then(sha256, () => null);
}

export function watchDeletions(world: World): DeletionWatch {
  const expected = new Map<string, { obs: NightObs; hash: string }>();
  for (const o of world.observations) {
    expected.set(`${o.pipeline}/${o.obs}.csv`, { obs: o, hash: sha256(world.expectedCsv(o)) });
    expected.set(`${o.pipeline}/${o.obs}.jpg`, { obs: o, hash: sha256(world.expectedJpeg(o)) });
  }
  const present = new Set<string>();
  const violations: string[] = [];
  let vanished = 0;
  let running = true;

  const check = async (key: string) => {
    const want = expected.get(key);
    const [pipeline = '', name = ''] = key.split('/');
    const p = world.pipelines.find((x) => x.name === pipeline)!;
    if (!want) {
      violations.push(`outbox ${p.outbox}: unexpected file ${name} appeared and went`);
      return;
    }
    if ((await fileHash(path.join(p.archiveDir, name))) === want.hash) return;
    if (want.obs.kind === 'badjpeg' && name.endsWith('.jpg')) {
      if ((await fileHash(path.join(world.quarantineDir, pipeline, name))) === want.hash) return;
    }
    violations.push(`${path.join(p.outbox, name)} left the outbox without a complete archived or quarantined copy`);
  };

  const loop = (async () => {
    while (running) {
      for (const p of world.pipelines) {
        const names = await readdir(p.outbox).catch(() => [] as string[]);
        const now = new Set(names.filter((n) => !n.startsWith('.')).map((n) => `${p.name}/${n}`));
        for (const key of present) {
          if (!key.startsWith(`${p.name}/`) || now.has(key)) continue;
          present.delete(key);
          vanished++;
          await check(key);
        }
        for (const key of now) present.add(key);
      }
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
  })();

  return {
    get vanished() {
      return vanished;
    },
    violations,
    async stop() {
      running = false;
      await loop;
    },
  };
}
