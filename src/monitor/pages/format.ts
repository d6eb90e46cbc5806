import { html, type SafeHtml } from '../html.js';

/** "2026-11-24T01:30:05.123Z" → "2026-11-24 01:30Z". */
export function minute(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : '–';
}

/** A time element: the instant for machines, the minute for people. */
export function time(iso: string | null | undefined): SafeHtml {
  return iso ? html`<time datetime="${iso}">${minute(iso)}</time>` : html`–`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Outcome of a run or cell: a colour, a symbol and a word, never the colour alone. */
const OUTCOMES: Record<string, [string, string]> = {
  succeeded: ['✓', 'ok'],
  failed: ['✗', 'failed'],
  running: ['◐', 'running'],
  interrupted: ['!', 'interrupted'],
  skipped: ['–', 'skipped'],
  none: ['·', 'no run'],
};

export function outcome(state: string, label?: string): SafeHtml {
  const [symbol, word] = OUTCOMES[state] ?? ['?', state];
  return html`<span class="o o-${OUTCOMES[state] ? state : 'other'}"><span aria-hidden="true">${symbol}</span> ${label ?? word}</span>`;
}

/** A state word with the outcome's colour when it is one (tasks, files, loads). */
export function stateBadge(state: string): SafeHtml {
  const kind = ['completed', 'succeeded', 'loaded', 'deleted', 'kept', 'done'].includes(state)
    ? 'succeeded'
    : ['failed', 'rejected', 'refused', 'quarantined', 'lost'].includes(state)
      ? 'failed'
      : ['running', 'uploading', 'submitted', 'waiting'].includes(state)
        ? 'running'
        : 'other';
  return html`<span class="o o-${kind}">${state}</span>`;
}
