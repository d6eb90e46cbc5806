import { describe, expect, it } from 'vitest';
import { daemonProblems } from '../../../src/config/cross-checks.js';
import { compileDaemon } from '../../../src/config/resolve.js';
import { daemonConfigSchema } from '../../../src/config/schema.js';

const DAY = 86_400_000;

describe('the retention section', () => {
  it('compiles its ages to milliseconds, with the documented defaults', () => {
    const daemon = compileDaemon(
      daemonConfigSchema.parse({ database: { url: 'postgres://db/n' }, retention: { runs: '2d', minFreeDisk: '10GB' } }),
    );
    expect(daemon.retention).toEqual({
      schedule: '30 12 * * *',
      timezone: 'UTC',
      jobsMs: 30 * DAY,
      runsMs: 2 * DAY,
      transferEventsMs: 90 * DAY,
      goneFilesMs: 180 * DAY,
      operatorActionsMs: 400 * DAY,
      thumbnailsMs: 30 * DAY,
      quarantineMs: 90 * DAY,
      batchSize: 1000,
      minFreeDisk: '10GB',
    });
  });

  it("checks the housekeeping schedule and its time zone like a stage's", () => {
    const problems = daemonProblems({
      database: { url: 'postgres://db/n' },
      retention: { schedule: '61 * * * *', timezone: 'Europe/Pari' },
    });
    expect(problems.map((p) => [p.path.join('.'), p.message])).toEqual([
      ['retention.timezone', 'unknown IANA time zone "Europe/Pari"; did you mean "Europe/Paris"?'],
      ['retention.schedule', expect.stringMatching(/^invalid cron expression "61 \* \* \* \*"/)],
    ]);
  });
});
