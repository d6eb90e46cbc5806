import type { NightRun, NightsGrid } from '../data/nights.js';
import { href, html } from '../html.js';
import { duration, outcome, time } from './format.js';
import type { Page } from './layout.js';

const WORDS: Record<string, string> = {
  succeeded: 'ok',
  failed: 'failed',
  running: 'running',
  interrupted: 'interrupted',
  skipped: 'skipped',
  none: 'no run',
};
const SYMBOLS: Record<string, string> = { succeeded: '✓', failed: '✗', running: '◐', interrupted: '!', skipped: '–', none: '·' };

export function nightsPage(grid: NightsGrid, pipeline: string | undefined): Page {
  const names = grid.pipelines.map((p) => p.pipeline);
  const rows = grid.nights.map((night, i) => {
    const cells = grid.pipelines.map((p) => {
      const stages = p.nights[i]!.stages;
      return html`<td><a class="cell" href="${href(`/nights/${night}`, { pipeline: p.pipeline })}">${stages.map((c) => {
        const counts = Object.entries(c.runs)
          .map(([state, n]) => `${n} ${WORDS[state]}`)
          .join(', ');
        return html`<span class="o o-${c.outcome}" title="${c.stage}: ${counts || 'no run'}">${c.stage} <span aria-hidden="true">${SYMBOLS[c.outcome]}</span><span class="vh"> ${WORDS[c.outcome]}</span></span>`;
      })}</a></td>`;
    });
    return html`<tr><th scope="row"><a href="/nights/${night}">${night}</a></th>${cells}</tr>`;
  });
  return {
    title: 'Nights',
    api: href('/api/nights', { pipeline, nights: grid.nights.length }),
    main: html`<p class="legend">${Object.keys(WORDS).map((state) => html`${outcome(state)} `)}— a night shows its worst outcome per stage; open it for every run.</p>
<div class="scroll"><table class="grid">
<thead><tr><th scope="col">Night</th>${names.map((n) => html`<th scope="col"><a href="${href('/nights', { pipeline: n })}">${n}</a></th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>`,
  };
}

export function nightPage(night: string, runs: NightRun[], pipeline: string | undefined): Page {
  const shown = pipeline ? runs.filter((r) => r.pipeline === pipeline) : runs;
  return {
    title: `Night ${night}${pipeline ? ` — ${pipeline}` : ''}`,
    api: href(`/api/nights/${night}`, { pipeline }),
    main: html`<p><a href="${href('/quarantine', { night, pipeline })}">What this night set aside</a> · <a href="${href('/quicklooks', { night, pipeline })}">its quicklooks</a>${pipeline ? html` · <a href="/nights/${night}">every pipeline</a>` : ''}</p>
<div class="scroll"><table>
<thead><tr><th scope="col">Run</th><th scope="col">Pipeline</th><th scope="col">Stage</th><th scope="col">Outcome</th><th scope="col">Trigger</th><th scope="col">Slot</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Summary</th></tr></thead>
<tbody>${shown.map(
      (r) =>
        html`<tr><th scope="row"><a href="/runs/${r.id}">${r.id}</a></th><td>${r.pipeline}</td><td>${r.stage}</td><td>${outcome(r.state)}</td><td>${r.trigger}</td><td>${time(r.slot)}</td><td>${time(r.startedAt)}</td><td>${duration(r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000 : null)}</td><td class="detail">${r.summary}</td></tr>`,
    )}</tbody>
</table></div>
${shown.length === 0 ? html`<p>No run this night.</p>` : ''}`,
  };
}
