/**
 * The monitor's only script: it keeps <main data-live> current. The server renders
 * every page complete; on each event of /api/events this fetches the same page again
 * and swaps its <main>, so nothing is rendered twice and nothing from the API is ever
 * put into the page as markup. EventSource reconnects by itself, after a daemon restart
 * too; when a reconnection succeeds the page is refreshed, since events were missed.
 */
const main = document.querySelector<HTMLElement>('main[data-live]');
const indicator = document.getElementById('live');

/** What the indicator says: live, the event stream lost, or the page's content no longer current (why). */
function show(state: 'live' | 'reconnecting' | 'stale', why = ''): void {
  if (!indicator) return;
  indicator.textContent = state === 'live' ? 'live' : state === 'reconnecting' ? 'reconnecting…' : `not current: ${why}`;
  indicator.dataset['state'] = state;
}

/** A refresh that failed is tried again this much later, without waiting for an event. */
const RETRY_MS = 10_000;

if (main) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy = false;
  let again = false;
  let connected = false;
  let stale = false;

  const refresh = async (): Promise<void> => {
    // A person typing in a filter form keeps what they typed.
    if (document.activeElement?.closest('form')) {
      again = true;
      return;
    }
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const response = await fetch(location.href, { headers: { accept: 'text/html' }, cache: 'no-store' }).catch(() => null);
      // A body cut off on its way counts as no answer.
      const body = response?.ok ? await response.text().catch(() => null) : null;
      // The content shown is older than the daemon's state: say so, and try again.
      if (body === null) {
        stale = true;
        show(
          'stale',
          response && !response.ok ? `the daemon answered ${response.status} ${response.statusText}`.trim() : 'the daemon did not answer',
        );
        clearTimeout(timer);
        timer = setTimeout(() => void refresh(), RETRY_MS);
        return;
      }
      const next = new DOMParser().parseFromString(body, 'text/html').querySelector('main');
      const current = document.querySelector('main');
      if (next && current) current.replaceChildren(...Array.from(next.childNodes, (node) => document.importNode(node, true)));
      document.body.dataset['refreshed'] = String(Number(document.body.dataset['refreshed'] ?? '0') + 1);
      stale = false;
      show(connected ? 'live' : 'reconnecting');
    } finally {
      busy = false;
      if (again) {
        again = false;
        soon();
      }
    }
  };
  const soon = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh(), 200);
  };
  document.addEventListener('focusout', () => {
    if (again) soon();
  });

  const connect = (): void => {
    let missed = false;
    const source = new EventSource('/api/events');
    source.onopen = () => {
      connected = true;
      if (!stale) show('live');
      if (missed || stale) soon();
      missed = false;
    };
    source.onmessage = soon;
    source.onerror = () => {
      connected = false;
      show('reconnecting');
      missed = true;
      // A refused answer (not a dropped connection) ends an EventSource: start a new one.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  };
  connect();
}
