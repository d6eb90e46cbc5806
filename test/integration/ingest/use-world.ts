import { closedAfterEach } from '../../helpers/closed-after-each.js';
import { createIngestWorld, type IngestWorld, type WorldOptions } from './world.js';

/** For a test file: a factory of worlds, each closed after the test that made it. */
export function useWorlds(): (label: string, options?: WorldOptions) => Promise<IngestWorld> {
  return closedAfterEach(createIngestWorld);
}
