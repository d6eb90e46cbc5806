/**
 * Another process sending the due alert messages, which SIGKILLs itself at a chosen
 * point of a send: right after the server accepted the message (before the record), or
 * right before sending. Arguments: JSON {url, schema, server, kill: 'after-send' | 'before-send'}.
 */
import { EmailChannel } from '../../../src/alerts/channels/email.js';
import type { Channel } from '../../../src/alerts/channels/channel.js';
import { MessageSender } from '../../../src/alerts/sender.js';
import type { AlertSettings, EmailServer } from '../../../src/alerts/settings.js';
import { openDb } from '../../../src/db/database.js';
import { createLogger } from '../../../src/log/logger.js';

const { url, schema, server, kill } = JSON.parse(process.argv[2]!) as { url: string; schema: string; server: EmailServer; kill: string };
const email = new EmailChannel(server);
const dying: Channel = {
  async send(address, message) {
    if (kill === 'before-send') process.kill(process.pid, 'SIGKILL');
    await email.send(address, message);
    if (kill === 'after-send') process.kill(process.pid, 'SIGKILL');
  },
};
const settings = { host: 'dying-host', retry: { attempts: 8, firstMs: 30_000, maxMs: 1_800_000 } } as AlertSettings;
const sender = new MessageSender(openDb({ url, schema, poolSize: 2 }), settings, { email: dying }, createLogger({ level: 'silent' }));
await sender.sendDue();
process.stderr.write('the child was meant to die before finishing\n');
process.exit(3);
