/**
 * Imported just before pg-promise (see pg-promise.ts): hides the global Response while pg
 * loads. Where there is no `navigator` (Node 20), pg probes for Cloudflare Workers when
 * it loads by constructing a Response, which loads Node's whole fetch implementation
 * (undici): ~40 ms of CPU and a few MiB at every start of every command, for an answer
 * that is always no here. fetch itself is left alone: it loads when first called (a
 * webhook alert, `nocturne reload`).
 */
const response = Object.getOwnPropertyDescriptor(globalThis, 'Response');
const hidden = !('navigator' in globalThis) && response?.configurable === true;
if (hidden) Object.defineProperty(globalThis, 'Response', { value: undefined, configurable: true, writable: true });

/** Puts the global Response back, once pg has loaded. */
export function restoreResponse(): void {
  if (hidden && response) Object.defineProperty(globalThis, 'Response', response);
}
