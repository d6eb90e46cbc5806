import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailRig, uniqueAddress } from '../../helpers/mail-rig.js';
import { waitForMail } from '../../helpers/maildir.js';
import { freePort, nocturne, writeDaemonConfig } from '../daemon/daemon-process.js';
import { rigEmail } from './world.js';
import { WebhookReceiver } from './webhook-receiver.js';

describe('nocturne alerts test [route] (needs npm run build)', () => {
  const rig = mailRig();
  const ops = uniqueAddress('alerts-test-ops');
  const science = uniqueAddress('alerts-test-science');
  const hook = new WebhookReceiver('cli-secret');
  let dir: string;

  beforeAll(async () => {
    await hook.start();
    process.env['NOCTURNE_TEST_CLI_HOOK'] = 'cli-secret';
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-alerts-test-'));
    await writeDaemonConfig(dir, {
      // The command needs no database: this one does not exist.
      pgUrl: 'postgres://nobody@127.0.0.1:1/none',
      schema: 'unused',
      port: await freePort(),
      pipelines: {},
      extra: {
        alerts: {
          email: rigEmail(),
          webhooks: {
            chat: { url: hook.url, secret: { env: 'NOCTURNE_TEST_CLI_HOOK' } },
            gone: { url: `http://127.0.0.1:${await freePort()}/hook`, timeout: '2s' },
          },
          routes: {
            sysadmins: { email: [ops], webhooks: ['chat'] },
            science: { email: [science] },
            broken: { webhooks: ['gone'] },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await hook.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends a test message through each destination of the route, and says so', async () => {
    const { code, stdout, stderr } = await nocturne(['alerts', 'test', 'sysadmins', '--config', dir]);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe(`ok    email:${ops} (route sysadmins)\nok    webhook:chat (route sysadmins)\n`);
    const [mail] = await waitForMail(rig.maildir, ops, 1);
    expect(mail!.subject).toBe('[nocturne] test of route sysadmins');
    expect(hook.received.map((r) => [r.json['event'], r.signed])).toEqual([['test', true]]);
  });

  it('without a route, tests every route; a destination that fails makes it exit 1, naming it', async () => {
    const { code, stdout, stderr } = await nocturne(['alerts', 'test', '--config', dir]);
    expect(code).toBe(1);
    expect(stdout).toContain(`ok    email:${science} (route science)\n`);
    expect(stdout).toMatch(/^FAIL {2}webhook:gone \(route broken\): webhook:gone: POST http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/m);
    expect(stderr).toContain('1 destination(s) did not accept the test message');
  });

  it('an unknown route is a usage error with a suggestion', async () => {
    const { code, stderr } = await nocturne(['alerts', 'test', 'sysadmin', '--config', dir]);
    expect(code).toBe(64);
    expect(stderr).toContain('no route "sysadmin"; did you mean "sysadmins"?');
  });
});
