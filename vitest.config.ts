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
        },
      },
    ],
  },
});
