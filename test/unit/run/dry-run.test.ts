import { describe, expect, it } from 'vitest';
import { SlurmExecutor } from '../../../src/executors/slurm/slurm-executor.js';
import { printDryRun, shellLine } from '../../../src/stages/run/dry-run.js';
import { planJobs } from '../../../src/stages/run/plan.js';
import { resolveRunSettings } from '../../../src/stages/run/settings.js';
import { fakeRunner, silent } from '../executors/fakes.js';
import { testConfig } from './config.js';

describe('dry run', () => {
  it('prints the sbatch argv, the generated script and every task, per job', () => {
    const settings = resolveRunSettings(testConfig({ array: { throttle: 2 }, executor: 'slurm', slurm: { partition: 'debug' } }));
    const runner = fakeRunner(() => ({}));
    const executor = new SlurmExecutor({ runner, logger: silent, lostAfterMs: 1 });
    const observations = [
      { input: '/data/hmi/a.obs', obs: 'a', night: '2026-11-20', failures: 0, retryAt: null },
      { input: "/data/hmi/it's b.obs", obs: "it's b", night: '2026-11-20', failures: 1, retryAt: null },
    ];
    const plans = planJobs(settings, observations, '2026-11-20', () => 'abcdef0123');
    const lines: string[] = [];
    printDryRun((l) => lines.push(l), settings, executor, '2026-11-20', plans, {
      found: 3,
      skipped: 1,
      setAside: 0,
      earlier: 0,
      reattach: 1,
    });
    expect(runner.calls).toEqual([]);
    expect(lines.join('\n')).toBe(
      [
        'sdoss/run for 2026-11-20 (dry run, nothing changed): 3 observations found, 1 done earlier, 0 failed earlier and set aside, 0 pending from earlier runs, 1 live job(s) to re-attach; 1 job(s) to submit with the slurm executor',
        'job noc-sdoss-abcdef0123: job array of 2 tasks, at most 2 at once',
        '  submit: sbatch --parsable --job-name=noc-sdoss-abcdef0123 --array=0-1%2 --partition=debug --time=01:00:00 --mem=1G --cpus-per-task=1 --output=/var/log/nocturne/sdoss/2026-11-20/noc-sdoss-abcdef0123.%a.log --no-requeue --export=ALL /var/lib/nocturne/work/run/sdoss/abcdef0123/job.sh /var/lib/nocturne/work/run/sdoss/abcdef0123',
        `  script: /var/lib/nocturne/work/run/sdoss/abcdef0123/job.sh (generated, ${plans[0]!.script.length} bytes): runs each task in /var/lib/nocturne/work/run/sdoss/abcdef0123/task-<task>/out and lists what it wrote in /var/lib/nocturne/work/run/sdoss/abcdef0123/task-<task>.exit; nocturne then moves *.jpg and *.csv into /var/lib/nocturne/outbox/sdoss`,
        "  task 0: a (night 2026-11-20, attempt 1): /etc/nocturne/bin/detect --input /data/hmi/a.obs --obs=a --night 2026-11-20 --outdir /var/lib/nocturne/work/run/sdoss/abcdef0123/task-0/out '{other}'",
        '    log: /var/log/nocturne/sdoss/2026-11-20/noc-sdoss-abcdef0123.0.log',
        "  task 1: it's b (night 2026-11-20, attempt 2): /etc/nocturne/bin/detect --input '/data/hmi/it'\\''s b.obs' '--obs=it'\\''s b' --night 2026-11-20 --outdir /var/lib/nocturne/work/run/sdoss/abcdef0123/task-1/out '{other}'",
        '    log: /var/log/nocturne/sdoss/2026-11-20/noc-sdoss-abcdef0123.1.log',
      ].join('\n'),
    );
  });

  it('quotes for a shell only what needs it', () => {
    expect(shellLine(['a', 'b c', '--x=%a', ''])).toBe("a 'b c' --x=%a ''");
  });
});
