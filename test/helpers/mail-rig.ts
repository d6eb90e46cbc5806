/**
 * The rig's private postfix (scripts/rig/postfix.sh) and promtool, read from the rig's
 * env file like test/helpers/rig.ts does; a missing value is an error with the hint,
 * never a skip.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile, rigDir } from '../../harness/rig.js';

export interface MailRig {
  host: string;
  /** STARTTLS offered, no authentication. */
  port: number;
  /** TLS and SMTP AUTH required. */
  authPort: number;
  user: string;
  password: string;
  /** PEM of the server's self-signed certificate. */
  ca: string;
  /** Every address @domain is delivered (catch-all Maildir). */
  domain: string;
  /** Maildirs by box: <maildir>/catchall, <maildir>/ops. */
  maildir: string;
}

function env(key: string): string {
  const fromEnv = process.env[key];
  if (fromEnv) return fromEnv;
  // The service's own fragment too: an up.sh of an older checkout rewrites env without it.
  const files = ['env', 'env.d/postfix', 'env.d/promtool'].map((f) => join(rigDir(), f));
  for (const file of files) {
    let value: string | undefined;
    try {
      value = parseEnvFile(readFileSync(file, 'utf8')).get(key);
    } catch {
      value = undefined;
    }
    if (value) return value;
  }
  throw new Error(
    `test rig: ${key} is not set (in the environment or ${files.join(', ')}): run \`bash scripts/rig/up.sh postfix promtool\` (as root)`,
  );
}

export function mailRig(): MailRig {
  return {
    host: env('NOCTURNE_TEST_SMTP_HOST'),
    port: Number(env('NOCTURNE_TEST_SMTP_PORT')),
    authPort: Number(env('NOCTURNE_TEST_SMTP_AUTH_PORT')),
    user: env('NOCTURNE_TEST_SMTP_USER'),
    password: env('NOCTURNE_TEST_SMTP_PASSWORD'),
    ca: env('NOCTURNE_TEST_SMTP_CA'),
    domain: env('NOCTURNE_TEST_SMTP_DOMAIN'),
    maildir: env('NOCTURNE_TEST_MAILDIR'),
  };
}

/** The promtool binary the rig extracted. */
export function promtool(): string {
  return env('NOCTURNE_TEST_PROMTOOL');
}

/** An address of the rig's mail domain that no other test uses: its messages are the test's own. */
export function uniqueAddress(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}@${mailRig().domain}`;
}
