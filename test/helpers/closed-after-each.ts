import { afterEach } from 'vitest';

/**
 * For a test file: wraps a factory so that everything it makes is closed (schemas
 * dropped, files removed) after the test that made it.
 */
export function closedAfterEach<A extends unknown[], T extends { close(): Promise<void> }>(
  create: (...args: A) => Promise<T>,
): (...args: A) => Promise<T> {
  const open: T[] = [];
  afterEach(async () => {
    for (const made of open.splice(0)) await made.close();
  });
  return async (...args) => {
    const made = await create(...args);
    open.push(made);
    return made;
  };
}
