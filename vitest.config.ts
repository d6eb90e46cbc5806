import { defineConfig } from 'vitest/config';

// Two projects: unit tests do no I/O and run in parallel; integration tests
// talk to the real servers of the rig (scripts/rig/up.sh) and run one file at a time
// so that SLURM, vsftpd and sshd are not fought over.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // expect.poll waits for what must happen (a page drawn, a stream open, a row): on a
          // loaded 2-core machine that can take longer than its default second.
          expect: { poll: { timeout: 20_000 } },
        },
      },
    ],
  },
});
