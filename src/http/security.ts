/**
 * What every answer carries, and the checks every request passes before a route sees
 * it. The pages load nothing but their own stylesheet and script: no inline script, no
 * other origin, no framing.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** A header's single value (the first, if sent several times). */
export function header(headers: Headers | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether the Host header names this daemon: a loopback name (any port), or one of
 * http.publicNames. A page of another site whose name was re-pointed at 127.0.0.1 (DNS
 * rebinding) sends its own name, and is refused.
 */
export function hostAllowed(host: string | undefined, publicNames: readonly string[]): boolean {
  if (!host) return false;
  const name = host.toLowerCase();
  const withoutPort = name.replace(/:\d+$/, '');
  if (LOOPBACK_HOSTS.has(withoutPort) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(withoutPort)) return true;
  return publicNames.some((allowed) => allowed.toLowerCase() === name);
}

/**
 * Why a state-changing request is not from our own pages, or null when it may be: a
 * browser names the page's origin (Origin) and its relation to us (Sec-Fetch-Site); a
 * command-line client sends neither.
 */
export function crossOriginReason(headers: Headers | undefined): string | null {
  const origin = header(headers, 'origin');
  const host = header(headers, 'host');
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Origin "${origin}" is not a URL`;
    }
    if (originHost.toLowerCase() !== host?.toLowerCase()) return `Origin ${origin} is not this site (${host ?? 'no Host'})`;
  }
  const site = header(headers, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`;
  return null;
}
