import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { HttpAuthConfig } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import { NocturneError } from '../core/errors.js';
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
  identify(headers: Headers | undefined): Promise<Identity | null>;
}

/** The header a trusted proxy proves itself with. */
export const PROXY_SECRET_HEADER = 'x-nocturne-proxy-secret';

/** Upper bounds on scrypt parameters read from a hash: a hash must not make one request cost seconds. */
const MAX_SCRYPT_N = 2 ** 20;
/** Proven Authorization headers are remembered this long, so each page load does not pay a scrypt. */
const REMEMBER_MS = 5 * 60_000;

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
  const remembered = new Map<string, { identity: Identity; until: number }>();
  const proven = async (authorization: string, prove: () => Promise<Identity | null>): Promise<Identity | null> => {
    const key = createHash('sha256').update(authorization).digest('hex');
    const known = remembered.get(key);
    if (known && known.until > Date.now()) return known.identity;
    const identity = await prove();
    if (identity) {
      if (remembered.size > 1000) remembered.clear();
      remembered.set(key, { identity, until: Date.now() + REMEMBER_MS });
    }
    return identity;
  };
  return {
    required: config !== undefined,
    challenge: config && 'user' in config ? 'Basic realm="nocturne", charset="UTF-8"' : undefined,
    async identify(headers) {
      const authorization = header(headers, 'authorization') ?? '';
      if (localToken && authorization.startsWith('Bearer ') && sameSecret(authorization.slice(7), localToken)) {
        return { user: 'local', how: 'local' };
      }
      if (!config) return null;
      if ('trustedProxy' in config) {
        const secret = header(headers, PROXY_SECRET_HEADER);
        const user = header(headers, config.trustedProxy.userHeader.toLowerCase());
        if (!secret || !user) return null;
        return sameSecret(secret, await resolve(config.trustedProxy.secret)) ? { user, how: 'proxy' } : null;
      }
      if (!authorization.startsWith('Basic ')) return null;
      return proven(authorization, async () => {
        const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0 || decoded.slice(0, colon) !== config.user) return null;
        const ok = await verifyPassword(decoded.slice(colon + 1), await resolve(config.passwordHash));
        return ok ? { user: config.user, how: 'password' } : null;
      });
    },
  };
}
