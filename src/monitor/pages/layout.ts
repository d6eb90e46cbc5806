import { html, type SafeHtml } from '../html.js';

export interface Page {
  title: string;
  /** The JSON endpoint this page shows (linked, and named for scripts). */
  api: string;
  main: SafeHtml;
  /** Whether the page refreshes itself on live events. @default true */
  live?: boolean;
}

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/nights', 'Nights'],
  ['/quarantine', 'Quarantine'],
  ['/quicklooks', 'Quicklooks'],
  ['/lineage', 'Lineage'],
  ['/campaigns', 'Campaigns'],
];

/**
 * The page shell. The content is complete without script: live.js (deferred, same
 * origin) only refreshes <main> when an event comes.
 */
export function layout(page: Page, current: string, now: Date): string {
  const section = current === '/' ? '/' : `/${current.split('/')[1]}`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark light">
<title>${page.title} · nocturne</title>
<link rel="stylesheet" href="/assets/monitor.css">
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="alternate" type="application/json" href="${page.api}">
<script type="module" src="/assets/live.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">nocturne</span>
<nav aria-label="Monitor">${NAV.map(
    ([path, label]) => html`<a href="${path}"${section === path ? html` aria-current="page"` : ''}>${label}</a>`,
  )}</nav>
<span id="live" role="status" aria-live="polite">${page.live === false ? '' : 'static'}</span>
</header>
<main id="main" tabindex="-1"${page.live === false ? '' : html` data-live`}>
<h1>${page.title}</h1>
${page.main}
</main>
<footer>Data: <a href="${page.api}">${page.api}</a> (JSON; described by <a href="/api/openapi.json">/api/openapi.json</a>) · rendered ${now.toISOString().slice(0, 19)}Z</footer>
</body>
</html>
`.text;
}
