import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { NocturneError } from '../core/errors.js';
import type { HttpResponse } from '../http/router.js';

/**
 * The monitor's static files. The script is compiled by `npm run build` into
 * dist/monitor/client/ (the same place from src/ and dist/: the package's dist).
 */
const CLIENT_SCRIPT = fileURLToPath(new URL('../../dist/monitor/client/live.js', import.meta.url));

/**
 * Dark by default (the night), light when the reader's system asks for it. Colours meet
 * WCAG AA (4.5:1) against their background in both schemes; an outcome never relies on
 * colour alone (symbol and word beside it).
 */
const CSS = `
:root { --bg: #0e1217; --panel: #161c24; --fg: #e8ecf1; --muted: #a9b4c0; --line: #2c3643; --link: #8ab8ff;
  --ok: #5fd38d; --bad: #ff8a80; --run: #7cc4ff; --warn: #ffcc66; --other: #c9b8ff; color-scheme: dark; }
@media (prefers-color-scheme: light) {
  :root { --bg: #ffffff; --panel: #f3f5f8; --fg: #14181d; --muted: #4f5b67; --line: #c9d1da; --link: #0b57c2;
    --ok: #11703b; --bad: #b3261e; --run: #0b57c2; --warn: #8a5a00; --other: #5b3fb0; color-scheme: light; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, sans-serif; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, select:focus-visible, input:focus-visible, summary:focus-visible, main:focus-visible { outline: 3px solid var(--warn); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--panel); padding: 4px 8px; z-index: 1; }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1rem; background: var(--panel); border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.brand { font-weight: 700; letter-spacing: .04em; }
nav a { margin-right: 1rem; text-decoration: none; } nav a[aria-current="page"] { text-decoration: underline; font-weight: 600; }
#live { margin-left: auto; color: var(--muted); font-size: .85rem; } #live[data-state="live"] { color: var(--ok); } #live[data-state="stale"] { color: var(--bad); }
main { padding: 0 1rem 2rem; } h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; } h3 { font-size: 1rem; }
footer { padding: 1rem; color: var(--muted); border-top: 1px solid var(--line); font-size: .85rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
thead th { background: var(--panel); position: sticky; top: 0; }
.scroll { overflow-x: auto; }
.muted { color: var(--muted); }
.o { font-weight: 600; white-space: nowrap; }
.o-succeeded { color: var(--ok); } .o-failed { color: var(--bad); } .o-running { color: var(--run); }
.o-interrupted { color: var(--warn); } .o-skipped, .o-none { color: var(--muted); } .o-other { color: var(--other); }
.detail { max-width: 40rem; overflow-wrap: anywhere; }
.path, code { font-family: ui-monospace, monospace; font-size: .9em; overflow-wrap: anywhere; white-space: pre-wrap; }
pre { white-space: pre-wrap; max-height: 20rem; overflow: auto; background: var(--panel); padding: .5rem; }
.grid td { padding: .2rem .4rem; } .grid .cell { display: flex; gap: .6rem; text-decoration: none; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.attention { padding-left: 1.2rem; } .attention li { margin: .2rem 0; }
progress { width: 8rem; vertical-align: middle; }
.record { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } .record dt { color: var(--muted); } .record dd { margin: 0; }
.filter { display: flex; gap: 1rem; align-items: end; flex-wrap: wrap; margin: .5rem 0; }
select, input, button { background: var(--panel); color: var(--fg); border: 1px solid var(--line); padding: .25rem .4rem; font: inherit; }
.gallery { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem; } .gallery figure { margin: 0; width: 240px; }
.gallery img, .thumb { display: block; max-width: 100%; height: auto; background: var(--panel); }
.issues { margin: .2rem 0; padding-left: 1rem; }
.lineage li { margin: .3rem 0; }
`;

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#0e1217"/><path d="M10.5 3a5 5 0 1 0 2.5 8.5A4 4 0 0 1 10.5 3z" fill="#ffcc66"/></svg>`;
/** Shown where no thumbnail can be made (an image that cannot be decoded at all). */
const NO_THUMBNAIL = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 160" width="240" height="160"><rect width="240" height="160" fill="#161c24"/><path d="M80 50l80 60M160 50l-80 60" stroke="#ff8a80" stroke-width="6"/><text x="120" y="145" fill="#e8ecf1" font-family="sans-serif" font-size="14" text-anchor="middle">no thumbnail could be made</text></svg>`;

const cached = (contentType: string, body: string | Buffer): HttpResponse => ({
  status: 200,
  contentType,
  body,
  headers: { 'cache-control': 'max-age=300' },
});

let script: Buffer | null = null;

export const ASSETS: Record<string, () => Promise<HttpResponse>> = {
  '/assets/monitor.css': async () => cached('text/css; charset=utf-8', CSS),
  '/assets/icon.svg': async () => cached('image/svg+xml', ICON),
  '/assets/no-thumbnail.svg': async () => cached('image/svg+xml', NO_THUMBNAIL),
  '/assets/live.js': async () => {
    script ??= await readFile(CLIENT_SCRIPT).catch((err: unknown) => {
      throw new NocturneError('INTERNAL', `the monitor's script ${CLIENT_SCRIPT} is missing: run npm run build`, { cause: err });
    });
    return cached('text/javascript; charset=utf-8', script);
  },
};
