import type { QuicklookGallery } from '../data/quicklooks.js';
import { href, html } from '../html.js';
import type { Page } from './layout.js';
import { filterForm } from './quarantine.js';

const day = (night: string, delta: number) => new Date(Date.parse(`${night}T00:00:00Z`) + delta * 86_400_000).toISOString().slice(0, 10);

export function quicklooksPage(gallery: QuicklookGallery, pipelines: readonly string[], pipeline: string | undefined): Page {
  const { night } = gallery;
  return {
    title: `Quicklooks of ${night}`,
    api: href('/api/quicklooks', { night, pipeline }),
    main: html`${filterForm('/quicklooks', pipelines, { night, ...(pipeline ? { pipeline } : {}) })}
<p><a href="${href('/quicklooks', { night: day(night, -1), pipeline })}" rel="prev">← ${day(night, -1)}</a> · <a href="${href('/quicklooks', { night: day(night, 1), pipeline })}" rel="next">${day(night, 1)} →</a></p>
${gallery.pipelines.map(
  (p) => html`<section aria-labelledby="ql-${p.pipeline}">
<h2 id="ql-${p.pipeline}">${p.pipeline} <span class="muted">(${p.quicklooks.length})</span></h2>
${
  p.quicklooks.length === 0
    ? html`<p class="muted">No quicklook uploaded by this night's runs.</p>`
    : html`<ul class="gallery">${p.quicklooks.map(
        (q) =>
          html`<li><figure><img src="${q.thumbnail}" alt="quicklook ${q.name}" width="240" loading="lazy"><figcaption><span class="path">${q.name}</span>${q.runId !== null ? html` · <a href="/runs/${q.runId}">run ${q.runId}</a>` : ''}</figcaption></figure></li>`,
      )}</ul>`
}
</section>`,
)}`,
  };
}
