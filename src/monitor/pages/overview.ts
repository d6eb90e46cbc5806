import type { Overview, OverviewStage } from '../data/overview.js';
import { html, type SafeHtml } from '../html.js';
import { duration, minute, outcome, time } from './format.js';
import type { Page } from './layout.js';

function now(stage: OverviewStage): SafeHtml {
  const running = stage.running;
  const waiting = (stage.waiting ?? []).map(
    (w) =>
      html`<div class="detail"><span class="o o-interrupted">${w.tasks} task(s) waiting</span> since ${time(w.since)}: ${w.explained}</div>`,
  );
  if (stage.stale) {
    return html`<a href="/runs/${stage.stale.run.id}">${outcome('interrupted', 'not running')}</a>: ${stage.stale.why}; the next run takes it over`;
  }
  const paused =
    stage.paused &&
    html`<div class="detail">${outcome('skipped', 'paused')} by ${stage.paused.by} since ${time(stage.paused.since)}${stage.paused.reason ? `: ${stage.paused.reason}` : ''}</div>`;
  if (!running) return paused || html`<span class="muted">idle</span>`;
  const progress = stage.progress;
  return html`<a href="/runs/${running.id}">${outcome('running')}</a> on ${running.host} since ${time(running.startedAt)}
${progress ? html`<br><progress max="${progress.total}" value="${progress.done}" aria-label="${progress.unit} done">${progress.done}/${progress.total}</progress> ${progress.done}/${progress.total} ${progress.unit}` : ''}${waiting}${paused || ''}`;
}

function last(stage: OverviewStage): SafeHtml {
  const run = stage.last;
  if (!run) return html`<span class="muted">never ran</span>`;
  return html`<a href="/runs/${run.id}">${outcome(run.state)}</a> ${run.trigger}, ${time(run.startedAt)}, ${duration(stage.lastDurationSeconds)}
${run.state !== 'succeeded' && run.detail ? html`<div class="detail">${run.detail}</div>` : ''}`;
}

function pending(stage: OverviewStage): SafeHtml | string {
  if (stage.pendingError) return html`<span class="o o-failed">? ${stage.pendingError}</span>`;
  const entries = Object.entries(stage.pending).filter(([, n]) => n > 0);
  return entries.length === 0 ? '–' : entries.map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`).join(', ');
}

export function overviewPage(data: Overview): Page {
  const rows = data.stages.map(
    (s) => html`<tr data-pipeline="${s.pipeline}" data-stage="${s.stage}">
<th scope="row"><a href="/nights?pipeline=${encodeURIComponent(s.pipeline)}">${s.pipeline}</a></th>
<td>${s.stage}${s.onThisHost ? '' : html` <span class="muted">(other host)</span>`}</td>
<td>${s.scheduleText} <span class="muted">(${s.timezone})</span><br><span class="muted">next</span> ${time(s.next)}</td>
<td class="last">${last(s)}</td>
<td class="now">${now(s)}</td>
<td>${pending(s)}</td>
</tr>`,
  );
  const attention = data.attention.length
    ? html`<ul class="attention">${data.attention.map(
        (a) =>
          html`<li><span class="o o-failed"><span aria-hidden="true">⚠</span> ${a.pipeline}</span> <a href="${a.link}">${a.text}</a></li>`,
      )}</ul>`
    : html`<p class="o o-succeeded"><span aria-hidden="true">✓</span> nothing set aside or stuck</p>`;
  return {
    title: 'Overview',
    api: '/api/overview',
    main: html`<section aria-labelledby="attention-h">
<h2 id="attention-h">Needs attention <span class="muted">(since ${minute(data.attentionSince)})</span></h2>
${attention}
</section>
<section aria-labelledby="stages-h">
<h2 id="stages-h">Pipelines and stages</h2>
<div class="scroll"><table class="stages">
<thead><tr><th scope="col">Pipeline</th><th scope="col">Stage</th><th scope="col">Schedule</th><th scope="col">Last run</th><th scope="col">Now</th><th scope="col">Waiting</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>
${data.stages.length === 0 ? html`<p>No pipelines configured.</p>` : ''}
</section>`,
  };
}
