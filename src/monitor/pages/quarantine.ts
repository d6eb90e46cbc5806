import type { QuarantineEntry, QuarantineFilter } from '../data/quarantine.js';
import { href, html, type SafeHtml } from '../html.js';
import { time } from './format.js';
import type { Page } from './layout.js';

const KINDS: Record<QuarantineEntry['kind'], string> = {
  quicklook: 'bad quicklook',
  'csv-file': 'refused CSV file',
  'csv-row': 'refused CSV row',
  'file-set': 'refused file set',
  observation: 'failed observation',
};

/** GET filters: a plain form, so it works without script and keeps the URL shareable. */
export function filterForm(action: string, pipelines: readonly string[], filter: QuarantineFilter): SafeHtml {
  return html`<form class="filter" method="get" action="${action}">
<label>Pipeline <select name="pipeline"><option value="">all</option>${pipelines.map(
    (p) => html`<option${p === filter.pipeline ? html` selected` : ''}>${p}</option>`,
  )}</select></label>
<label>Night <input type="date" name="night" value="${filter.night ?? ''}"></label>
<button type="submit">Show</button>
</form>`;
}

export function quarantinePage(entries: QuarantineEntry[], pipelines: readonly string[], filter: QuarantineFilter, days: number): Page {
  return {
    title: 'Quarantine',
    api: href('/api/quarantine', { pipeline: filter.pipeline, night: filter.night }),
    main: html`${filterForm('/quarantine', pipelines, filter)}
<p class="muted">${entries.length} item(s) set aside${filter.night ? html` by the runs of the night ${filter.night}` : ` in the last ${days} days`}${filter.pipeline ? html` for ${filter.pipeline}` : ''}.</p>
<div class="scroll"><table class="quarantine">
<thead><tr><th scope="col">What</th><th scope="col">Name</th><th scope="col">Pipeline</th><th scope="col">Night</th><th scope="col">Reason</th><th scope="col">Where it lies</th><th scope="col">Run</th></tr></thead>
<tbody>${entries.map(
      (
        e,
      ) => html`<tr class="q-${e.kind}"><td>${KINDS[e.kind]}${e.thumbnail ? html`<br><img class="thumb" src="${e.thumbnail}" alt="thumbnail made from ${e.name}" width="120" loading="lazy">` : ''}</td>
<th scope="row"><span class="path">${e.name}</span>${e.location ? html`<br><code>${e.location}</code>` : ''}</th>
<td>${e.pipeline}</td><td>${e.night ? html`<a href="${href(`/nights/${e.night}`, { pipeline: e.pipeline })}">${e.night}</a>` : '–'}<br>${time(e.at)}</td>
<td class="detail reason">${e.reason}</td><td><span class="path">${e.place ?? '–'}</span></td><td>${e.runId !== null ? html`<a href="/runs/${e.runId}">${e.runId}</a>` : '–'}</td></tr>`,
    )}</tbody>
</table></div>`,
  };
}
