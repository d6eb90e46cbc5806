import { describe, expect, it } from 'vitest';
import { daemonProblems } from '../../../src/config/cross-checks.js';
import { formatIssue, sortIssues } from '../../../src/config/issues.js';
import { locate, parseYaml } from '../../../src/config/locate.js';
import { compileDaemon } from '../../../src/config/resolve.js';
import { daemonConfigSchema } from '../../../src/config/schema.js';
import { zodProblems } from '../../../src/config/zod-issues.js';

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

  // 3000000d passed, then every prune failed: "timestamp out of range"; 101% kept the run stage from ever running.
  it('refuses, at file:line:col, an age beyond a century and a free-space threshold beyond the whole disk', () => {
    const text = `database: {url: "postgres://nocturne@db/nocturne"}
retention:
  runs: 3000000d
  quarantine: 36500d
  minFreeDisk: 101%
alerts:
  diskLow: {minFree: 9000TiB}
`;
    const source = parseYaml('config/nocturne.yaml', text);
    const parsed = daemonConfigSchema.safeParse(source.data);
    const issues = parsed.success ? [] : zodProblems(daemonConfigSchema, source.data, parsed.error.issues).map((p) => locate(source, p));
    expect(sortIssues(issues).map(formatIssue)).toEqual([
      'config/nocturne.yaml:3:9: retention.runs: must be at most 36500d (100 years)',
      'config/nocturne.yaml:5:16: retention.minFreeDisk: must be at most 100%',
      'config/nocturne.yaml:7:22: alerts.diskLow.minFree: must be at most 8192TiB (no disk is larger)',
    ]);
    const bounds = { database: { url: 'postgres://db/n' }, retention: { runs: '36500d', minFreeDisk: '100%' } };
    expect(daemonConfigSchema.safeParse({ ...bounds, alerts: { diskLow: { minFree: '8192TiB' } } }).success).toBe(true);
  });
});
