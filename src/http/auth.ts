import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { HttpAuthConfig } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import { NocturneError } from '../core/errors.js';
import { Permits } from '../core/permits.js';
import { header, type Headers } from './security.js';

/** Who a request comes from, once proven. */
export interface Identity {
  user: string;
  /** local: the daemon's token file (same Unix user); password or proxy: http.auth. */
  how: 'local' | 'password' | 'proxy';
}

export interface Authenticator {
  /** Whether http.auth is configured: then every request but /healthz and /readyz needs an identity. */
  readonly required: boolean;
  /** For a 401: the WWW-Authenticate challenge, when a browser can answer one. */
  readonly challenge: string | undefined;
  /** null: not proven; busy: too many passwords being checked at once, ask again shortly. */
  identify(headers: Headers | undefined): Promise<Identity | null | 'busy'>;
}

/** The header a trusted proxy proves itself with. */
export const PROXY_SECRET_HEADER = 'x-nocturne-proxy-secret';

/** Upper bounds on scrypt parameters read from a hash: a hash must not make one request cost seconds. */
const MAX_SCRYPT_N = 2 ** 20;
/**
 * Authorization headers checked are remembered this long, so each page load does not pay
 * a scrypt, nor does a wrong password tried again.
 */
const REMEMBER_MS = 5 * 60_000;
const REMEMBERED = 1000;
/**
 * Passwords waiting for their scrypt, which runs one at a time: it takes one of libuv's 4
 * threads, which the stages' file I/O needs too, so a flood of wrong passwords must not
 * hold them all. Past this, a request is told to come back (busy).
 */
const SCRYPT_WAITING = 4;
/** Seconds a request told the password checks are busy waits (Retry-After). */
export const AUTH_BUSY_RETRY_S = 1;

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** "scrypt:N:r:p:salt:hash" (salt and hash in base64), the form http.auth.passwordHash holds. */
export async function hashPassword(password: string, N = 2 ** 15, r = 8, p = 1): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { N, r, p, maxmem: 256 * N * r });
  return `scrypt:${N}:${r}:${p}:${salt.toString('base64')}:${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.trim().split(':');
  const [kind, n, r, p, salt, hash] = parts;
  const [N, R, P] = [Number(n), Number(r), Number(p)];
  if (
    parts.length !== 6 ||
    kind !== 'scrypt' ||
    !salt ||
    !hash ||
    !(N >= 2 && N <= MAX_SCRYPT_N) ||
    !(R >= 1 && R <= 32) ||
    !(P >= 1 && P <= 16)
  ) {
    throw new NocturneError('CONFIG_INVALID', 'http.auth.passwordHash is not of the form scrypt:N:r:p:salt:hash (docs/operating.md)');
  }
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N, r: R, p: P, maxmem: 256 * N * R });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Proves who a request comes from: the local token (`Authorization: Bearer`, written by
 * the daemon to a file only its user can read), or what http.auth configures.
 */
export function createAuthenticator(
  config: HttpAuthConfig | undefined,
  localToken: string | null,
  resolve: typeof resolveSecret = resolveSecret,
): Authenticator {
  const remembered = new Map<string, { identity: Identity | null; until: number }>();
  const scrypts = new Permits(1);
  let checking = 0;
  const known = (key: string) => {
    const entry = remembered.get(key);
    return entry && entry.until > Date.now() ? entry : undefined;
  };
  const proven = async (authorization: string, prove: () => Promise<Identity | null>): Promise<Identity | null | 'busy'> => {
    const key = createHash('sha256').update(authorization).digest('hex');
    const before = known(key);
    if (before) return before.identity;
    if (checking >= 1 + SCRYPT_WAITING) return 'busy';
    checking += 1;
    try {
      return await scrypts.with(async () => {
        // The same header may have been checked while this one waited.
        const meanwhile = known(key);
        if (meanwhile) return meanwhile.identity;
        const identity = await prove();
        remembered.delete(key);
        if (remembered.size >= REMEMBERED) remembered.delete(remembered.keys().next().value!);
        remembered.set(key, { identity, until: Date.now() + REMEMBER_MS });
        return identity;
      });
    } finally {
      checking -= 1;
    }
  };
  return {
    required: config !== undefined,
    challenge: config && 'user' in config ? 'Basic realm="nocturne", charset="UTF-8"' : undefined,
    async identify(headers) {
      const authorization = header(headers, 'authorization') ?? '';
      // The scheme is case-insensitive (RFC 7235): "bearer" and "basic" are "Bearer" and "Basic".
      const [scheme = '', credentials = ''] = authorization.split(/ +(.*)/s);
      if (localToken && scheme.toLowerCase() === 'bearer' && sameSecret(credentials, localToken)) {
        return { user: 'local', how: 'local' };
      }
      if (!config) return null;
      if ('trustedProxy' in config) {
        const secret = header(headers, PROXY_SECRET_HEADER);
        const user = header(headers, config.trustedProxy.userHeader.toLowerCase());
        if (!secret || !user) return null;
        return sameSecret(secret, await resolve(config.trustedProxy.secret)) ? { user, how: 'proxy' } : null;
      }
      if (scheme.toLowerCase() !== 'basic') return null;
      return proven(credentials, async () => {
        const decoded = Buffer.from(credentials, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0 || decoded.slice(0, colon) !== config.user) return null;
        const ok = await verifyPassword(decoded.slice(colon + 1), await resolve(config.passwordHash));
        return ok ? { user: config.user, how: 'password' } : null;
      });
    },
  };
}
