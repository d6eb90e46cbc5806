/**
 * The monitor's only script: it keeps <main data-live> current. The server renders
 * every page complete; on each event of /api/events this fetches the same page again
 * and swaps its <main>, so nothing is rendered twice and nothing from the API is ever
 * put into the page as markup. EventSource reconnects by itself, after a daemon restart
 * too; when a reconnection succeeds the page is refreshed, since events were missed.
 */
const main = document.querySelector<HTMLElement>('main[data-live]');
const indicator = document.getElementById('live');

function show(state: 'live' | 'reconnecting'): void {
  if (!indicator) return;
  indicator.textContent = state === 'live' ? 'live' : 'reconnecting…';
  indicator.dataset['state'] = state;
}

if (main) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy = false;
  let again = false;

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
      const response = await fetch(location.href, { headers: { accept: 'text/html' }, cache: 'no-store' });
      if (!response.ok) return;
      const next = new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('main');
      const current = document.querySelector('main');
      if (next && current) current.replaceChildren(...Array.from(next.childNodes, (node) => document.importNode(node, true)));
      document.body.dataset['refreshed'] = String(Number(document.body.dataset['refreshed'] ?? '0') + 1);
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
      show('live');
      if (missed) soon();
      missed = false;
    };
    source.onmessage = soon;
    source.onerror = () => {
      show('reconnecting');
      missed = true;
      // A refused answer (not a dropped connection) ends an EventSource: start a new one.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  };
  connect();
}
