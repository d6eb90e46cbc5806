import type { LineageMember, LineageTask, LineageView } from '../data/lineage.js';
import { href, html, type SafeHtml } from '../html.js';
import { duration, stateBadge, time } from './format.js';
import type { Page } from './layout.js';

/** `SLURM job 1234_5 on node07`: the task as sacct names it, and where it ran. */
function taskName(t: LineageTask): string {
  const job = t.slurmJob ? `SLURM job ${t.slurmJob}` : `${t.executor} job ${t.jobId}, task ${t.taskIndex}`;
  return t.node ? `${job} on ${t.node}` : job;
}

function member(m: LineageMember): SafeHtml {
  const x = m.transfer;
  const t = m.task;
  return html`<tr>
<th scope="row">${m.role}<br><span class="path">${m.path}</span><br><code class="sha">sha256 ${m.sha256}</code></th>
<td>${x ? html`<span class="path">${x.target}:${x.remotePath}</span>${x.url !== `${x.target}:${x.remotePath}` ? html`<br>seen at <span class="path">${x.url}</span>` : ''}<br>${stateBadge(x.state)}, verified ${time(x.verifiedAt)} by ${x.verifyMethod ?? '–'}<br>from <span class="path">${x.localPath}</span>${x.runId !== null ? html` · <a href="/runs/${x.runId}">upload run ${x.runId}</a>` : ''}` : html`<span class="muted">no transfer recorded (a file not uploaded by nocturne)</span>`}</td>
<td class="task">${
    t
      ? html`<span class="o o-succeeded">${taskName(t)}</span>, ${stateBadge(t.state)} exit ${t.exitCode ?? '–'}, ${duration(t.elapsedSeconds)}, attempt ${t.attempt}, code version ${t.codeVersion ?? 'not recorded'}<br>observation <span class="path">${t.obs}</span> (<span class="path">${t.input}</span>)${t.runId !== null ? html`<br><a href="/runs/${t.runId}#task-${t.jobId}-${t.taskIndex}">run ${t.runId}</a>` : ''}
<details><summary>log</summary><p class="path">${t.logPath}</p>${t.logTail ? html`<pre>${t.logTail}</pre>` : html`<p class="muted">no tail kept (the task succeeded); the log is at the path above</p>`}</details>`
      : html`<span class="muted">no task found</span>`
  }</td>
</tr>`;
}

export function lineagePage(view: LineageView): Page {
  const q = view.query;
  const value = (key: 'load' | 'set' | 'path') => (q && key in q ? String((q as Record<string, unknown>)[key]) : '');
  const form = html`<form class="filter" method="get" action="/lineage">
<label>Load id <input name="load" inputmode="numeric" value="${value('load')}" size="8"></label>
<label>or set key <input name="set" value="${value('set')}" size="36"></label>
<label>or archive path <input name="path" value="${value('path')}" size="40"></label>
<button type="submit">Follow</button>
</form>`;
  const api = q ? href('/api/lineage', { load: value('load'), set: value('set'), path: value('path') }) : '/api/lineage';
  const chain = view.chain;
  let body: SafeHtml;
  if (view.problem) body = html`<p class="o o-failed">${view.problem}</p>`;
  else if (!q) body = html`<p>Where does a catalogue row come from? Give its <code>load_id</code>, its set key or an archive path.</p>`;
  else if (!chain) body = html`<p class="o o-failed">No load matches.</p>`;
  else {
    const l = chain.load;
    body = html`<ol class="lineage">
<li><h2>Catalogue load ${l.id}</h2>
<p>${stateBadge(l.status)} ${l.kind} <span class="path">${l.setKey}</span> of ${l.pipeline} (code ${l.code} version ${l.codeVersion}), night ${l.night ?? 'unknown'}, ${time(l.finishedAt)}${l.runId !== null ? html` by <a href="/runs/${l.runId}">ingest run ${l.runId}</a>` : ''}; read from <span class="path">${l.source}</span>.</p>
<p>Rows: ${
      Object.entries(l.rows)
        .map(([table, n]) => `${table} ${n}`)
        .join(', ') || 'none'
    } (each carries load_id ${l.id}). Analysts get this chain with <code>SELECT * FROM ${chain.catalogue}.lineage(${l.id})</code>.</p></li>
<li><h2>Member files, their transfer and the task that made them</h2>
<div class="scroll"><table>
<thead><tr><th scope="col">File and sha256</th><th scope="col">Transfer to the archive</th><th scope="col">Produced by</th></tr></thead>
<tbody>${chain.members.map(member)}</tbody>
</table></div></li>
</ol>`;
  }
  return { title: 'Lineage', api, main: html`${form}${body}`, live: false };
}
