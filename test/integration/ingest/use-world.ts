import { afterEach } from 'vitest';
import { createIngestWorld, type IngestWorld, type WorldOptions } from './world.js';

/**
 * For a test file: returns a factory of worlds, each closed (schemas dropped, files
 * removed) after the test that made it.
 */
export function useWorlds(): (label: string, options?: WorldOptions) => Promise<IngestWorld> {
  const open: IngestWorld[] = [];
  afterEach(async () => {
    for (const world of open.splice(0)) await world.close();
  });
  return async (label, options) => {
    const world = await createIngestWorld(label, options);
    open.push(world);
    return world;
  };
}
