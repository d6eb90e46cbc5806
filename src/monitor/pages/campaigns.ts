import type { CampaignView } from '../../campaigns/describe.js';
import { html, type SafeHtml } from '../html.js';
import { stateBadge, time } from './format.js';
import type { Page } from './layout.js';

function bar(done: number, total: number, unit: string): SafeHtml {
  return html`<progress max="${total}" value="${done}" aria-label="${unit} done">${done}/${total}</progress> ${done}/${total} ${unit}`;
}

function driver(c: CampaignView): SafeHtml {
  if (c.driver) return html`pid ${c.driver.pid} on ${c.driver.host}<br><span class="muted">heartbeat</span> ${time(c.driver.heartbeatAt)}`;
  // Only a running campaign needs one; the daemon of a host with its run stage takes it.
  return c.state === 'running' ? html`<span class="o o-interrupted">none</span>` : html`<span class="muted">–</span>`;
}

/** /campaigns: each reprocessing campaign (nocturne backfill) with its progress, as /api/campaigns gives it. */
export function campaignsPage(campaigns: CampaignView[]): Page {
  const rows = campaigns.map((c) => {
    const o = c.observations;
    return html`<tr data-campaign="${c.id}">
<th scope="row">${c.id}</th>
<td><a href="/nights?pipeline=${encodeURIComponent(c.pipeline)}">${c.pipeline}</a></td>
<td>${c.from} – ${c.to}<br><span class="muted">${c.stages.join(', ')}</span></td>
<td class="state">${stateBadge(c.state)}${c.error ? html`<div class="detail">${c.error}</div>` : ''}</td>
<td class="nights">${bar(c.nightsDone, c.nights, 'nights')}</td>
<td class="observations">${bar(o.done + o.failed, o.done + o.failed + o.active + o.pending, 'observations')}
<div class="detail">${o.done} done, ${o.failed} failed, ${o.active} in SLURM, ${o.pending} waiting</div></td>
<td>code ${c.codeVersion}<br><span class="muted">max ${c.maxRunning} running, nice ${c.nice}${c.qos ? `, qos ${c.qos}` : ''}</span></td>
<td class="driver">${driver(c)}</td>
<td>${c.createdBy}<br>${time(c.createdAt)}</td>
</tr>`;
  });
  return {
    title: 'Campaigns',
    api: '/api/campaigns',
    main:
      campaigns.length === 0
        ? html`<p>No campaigns. <code>nocturne backfill &lt;pipeline&gt; --from DATE --to DATE</code> starts one.</p>`
        : html`<div class="scroll"><table class="campaigns">
<thead><tr><th scope="col">#</th><th scope="col">Pipeline</th><th scope="col">Nights</th><th scope="col">State</th><th scope="col">Nights done</th><th scope="col">Observations ended</th><th scope="col">Code and throttle</th><th scope="col">Driver</th><th scope="col">Created</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`,
  };
}
