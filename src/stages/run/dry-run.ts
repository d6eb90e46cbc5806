import { taskOutDir } from '../../executors/job-files.js';
import type { Executor } from '../../executors/types.js';
import { bashQuote } from '../../executors/wrapper-script.js';
import type { PlannedJob } from './plan.js';
import type { RunSettings } from './settings.js';

export interface DryRunCounts {
  found: number;
  skipped: number;
  setAside: number;
  earlier: number;
  reattach: number;
}

/** An argv as a person would type it in a shell. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : bashQuote(a))).join(' ');
}

/** What a live run would submit, job by job and observation by observation. */
export function printDryRun(
  print: (line: string) => void,
  settings: RunSettings,
  executor: Executor,
  date: string,
  plans: readonly PlannedJob[],
  counts: DryRunCounts,
): void {
  print(
    `${settings.pipeline}/run for ${date} (dry run, nothing changed): ${counts.found} observations found, ` +
      `${counts.skipped} done earlier, ${counts.setAside} failed earlier and set aside, ${counts.earlier} pending from earlier runs, ` +
      `${counts.reattach} live job(s) to re-attach; ${plans.length} job(s) to submit with the ${executor.kind} executor`,
  );
  for (const plan of plans) {
    const { spec } = plan;
    const shape = spec.array ? `job array of ${spec.taskCount} tasks, at most ${spec.array.throttle} at once` : 'single job';
    print(`job ${spec.name}: ${shape}`);
    print(`  submit: ${shellLine(executor.describe(spec))}`);
    print(
      `  script: ${spec.scriptPath} (generated, ${plan.script.length} bytes): runs each task in ` +
        `${taskOutDir(spec.jobDir, 0).replace('task-0', 'task-<task>')} and lists what it wrote in ${spec.jobDir}/task-<task>.exit; ` +
        `nocturne then moves ${settings.quicklookGlob} and ${settings.csvGlob} into ${settings.outbox}`,
    );
    for (const task of plan.tasks) {
      print(`  task ${task.index}: ${task.obs} (night ${task.night}, attempt ${task.attempt}): ${shellLine(task.argv)}`);
      print(`    log: ${task.logPath}`);
    }
  }
}
