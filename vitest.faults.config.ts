import { defineConfig } from 'vitest/config';

// The fault suite (test/faults): one long test against the real rig, which it disturbs
// (it restarts PostgreSQL, vsftpd and sshd and drains the SLURM node), so it runs alone,
// after the other suites: `npm run test:faults`.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    // The faults (about 150 s in CI), the rest of the night's budget (night.test.ts), setup,
    // stop, audit and teardown, with a margin for a slower machine.
    testTimeout: 360_000,
    hookTimeout: 60_000,
  },
});
