import type { JobDetail, LoadDetail, RunDetail } from '../data/run.js';
import { href, html, type SafeHtml } from '../html.js';
import { bytes, duration, outcome, stateBadge, time } from './format.js';
import type { Page } from './layout.js';

/** SLURM's own id for a job; a local job by its name. */
const slurmId = (job: JobDetail) => (job.executor === 'slurm' && job.schedulerId ? job.schedulerId : null);

/** A finished job as its tasks came out: failed when every one failed, else how many did. */
function jobState(job: JobDetail): SafeHtml {
  const failed = job.tasks.filter((t) => t.state === 'failed' || t.state === 'lost').length;
  if (job.state !== 'finished' || failed === 0) return stateBadge(job.state);
  if (failed === job.tasks.length) return html`<span class="o o-failed">failed</span> <span class="muted">(every task)</span>`;
  return html`${stateBadge(job.state)} <span class="o o-failed">${failed} of ${job.tasks.length} tasks failed</span>`;
}

function jobSection(job: JobDetail): SafeHtml {
  const id = slurmId(job);
  // A task as sacct -j names it: 1234_0 in an array, 1234 alone.
  const taskId = (index: number) => (id === null ? String(index) : job.isArray ? `${id}_${index}` : id);
  return html`<section aria-label="Job ${job.name}">
<h3>${id ? `SLURM job ${id}` : `Job ${job.name}`} ${jobState(job)}</h3>
<p class="muted">${job.name} · ${job.executor} · code version ${job.codeVersion ?? 'not recorded'} · submitted ${time(job.submittedAt)} · finished ${time(job.finishedAt)}${job.error ? html` · <span class="o o-failed">${job.error}</span>` : ''}</p>
<div class="scroll"><table>
<thead><tr><th scope="col">Task</th><th scope="col">Observation</th><th scope="col">State</th><th scope="col">Exit</th><th scope="col">Node</th><th scope="col">Elapsed</th><th scope="col">Attempt</th><th scope="col">Reason</th><th scope="col">Log</th></tr></thead>
<tbody>${job.tasks.map(
    (
      t,
    ) => html`<tr id="task-${job.id}-${t.index}"><th scope="row">${taskId(t.index)}</th><td><span class="path">${t.obs}</span></td><td>${stateBadge(t.state)}${t.schedulerState ? html` <span class="muted">${t.schedulerState}</span>` : ''}</td><td>${t.exitCode ?? (t.signal ? `signal ${t.signal}` : '–')}</td><td>${t.node ?? '–'}</td><td>${duration(t.elapsedSeconds)}</td><td>${t.attempt}</td><td class="detail">${t.reason ?? ''}</td>
<td><details><summary>${t.logTail ? 'tail' : 'path'}</summary><p class="path">${t.logPath}</p>${t.logTail ? html`<pre>${t.logTail}</pre>` : ''}</details></td></tr>`,
  )}</tbody>
</table></div>
</section>`;
}

function loadRow(load: LoadDetail): SafeHtml {
  const lineage = load.kind === 'set' ? html` <a href="${href('/lineage', { load: load.id })}">lineage</a>` : '';
  return html`<tr><th scope="row"><span class="path">${load.name}</span>${lineage}</th><td>${load.kind}</td><td>${stateBadge(load.status)}</td><td>${load.rowsLoaded}</td><td>${load.rowsRejected}</td>
<td class="detail">${load.error ?? ''}${
    load.issues.length > 0
      ? html`<ul class="issues">${load.issues.map(
          (i) =>
            html`<li><code>${[i.file, i.line, i.column].filter((v) => v !== null).join(':')}</code> ${i.reason}${i.value !== null ? html` <q>${i.value}</q>` : ''}</li>`,
        )}</ul>`
      : ''
  }</td></tr>`;
}

export function runPage(detail: RunDetail): Page {
  const { run } = detail;
  const stats = Object.entries(run.stats)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return {
    title: `Run ${run.id}: ${run.pipeline}/${run.stage}`,
    api: `/api/runs/${run.id}`,
    main: html`<dl class="record">
<dt>Outcome</dt><dd>${outcome(run.state)}${run.errorCode ? html` <code>${run.errorCode}</code>` : ''}</dd>
<dt>Night</dt><dd><a href="${href(`/nights/${run.night}`, { pipeline: run.pipeline })}">${run.night}</a></dd>
<dt>Slot</dt><dd>${time(run.slot)} (${run.trigger}, attempt ${run.attempt})</dd>
<dt>Host</dt><dd>${run.host}</dd>
<dt>Started</dt><dd>${time(run.startedAt)}</dd>
<dt>Took</dt><dd>${run.finishedAt ? duration(run.durationSeconds) : run.state === 'running' ? 'still running' : 'did not finish'}</dd>
<dt>Counters</dt><dd>${stats || '–'}</dd>
${run.error ? html`<dt>Error</dt><dd class="detail">${run.error}</dd>` : ''}
</dl>
${detail.jobs.length > 0 ? html`<h2>Jobs and tasks</h2>${detail.jobs.map(jobSection)}` : ''}
${
  detail.files.length > 0
    ? html`<h2>Files</h2><div class="scroll"><table>
<thead><tr><th scope="col">File</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Verified by</th><th scope="col">Size</th><th scope="col">Archive path</th><th scope="col">Problem</th></tr></thead>
<tbody>${detail.files.map(
        (f) =>
          html`<tr><th scope="row"><span class="path">${f.localPath}</span></th><td>${f.kind}</td><td>${stateBadge(f.state)}</td><td>${f.verifyMethod ?? '–'}</td><td>${bytes(f.sizeBytes)}</td><td><span class="path">${f.target}:${f.remotePath}</span></td><td class="detail">${f.error ?? ''}${f.quarantinePath ? html`<br>set aside at <span class="path">${f.quarantinePath}</span>` : ''}</td></tr>`,
      )}</tbody></table></div>`
    : ''
}
${
  detail.loads.length > 0
    ? html`<h2>Loads</h2><div class="scroll"><table>
<thead><tr><th scope="col">Set or file</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Rows loaded</th><th scope="col">Rows refused</th><th scope="col">Problems (file:line:column)</th></tr></thead>
<tbody>${detail.loads.map(loadRow)}</tbody></table></div>`
    : ''
}
${
  detail.rows.length > 0
    ? html`<h2>Refused rows</h2><div class="scroll"><table>
<thead><tr><th scope="col">Where</th><th scope="col">Reason</th><th scope="col">Row as read</th></tr></thead>
<tbody>${detail.rows.map((r) => html`<tr><th scope="row"><code>${r.file}:${r.line}</code></th><td>${r.reason}</td><td><code>${r.raw}</code></td></tr>`)}</tbody></table></div>`
    : ''
}`,
  };
}
