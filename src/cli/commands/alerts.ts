import { defaultChannels } from '../../alerts/alerting.js';
import { splitDestination } from '../../alerts/channels/channel.js';
import { testMessage } from '../../alerts/messages.js';
import { alertSettings } from '../../alerts/settings.js';
import { suggestion } from '../../config/did-you-mean.js';
import { coerceError } from '../../core/errors.js';
import { EXIT } from '../../core/exit-codes.js';
import { CliExit, loadOrExit, type CliOptions } from '../runtime.js';

/**
 * `nocturne alerts test [route]`: sends a test message to every destination of the
 * route (default: of every route), through the channels the daemon uses, and says for
 * each whether it was accepted. Exit 0 when all were, 1 otherwise. Needs no database.
 */
export async function alertsTestCommand(route: string | undefined, options: CliOptions, version: string): Promise<void> {
  const config = await loadOrExit(options);
  const settings = alertSettings(config);
  if (!settings) throw new CliExit(EXIT.config, `${config.dir}/config/nocturne.yaml has no alerts section: nothing to test`);
  const names = settings.routes.map((r) => r.name);
  if (route !== undefined && !names.includes(route)) {
    throw new CliExit(
      EXIT.usage,
      `no route "${route}"${suggestion(route, names, 'routes of alerts.routes', 'alerts.routes defines none')}`,
    );
  }
  const routes = settings.routes.filter((r) => route === undefined || r.name === route);
  if (routes.length === 0) throw new CliExit(EXIT.config, 'alerts.routes defines no route: nothing to test');
  const channels = defaultChannels(settings, version);
  const at = new Date();
  let failures = 0;
  for (const r of routes) {
    const message = testMessage(r.name, settings, at);
    for (const destination of r.destinations) {
      const [kind, address] = splitDestination(destination);
      try {
        const channel = channels[kind];
        if (!channel) throw new Error(`no ${kind} channel is configured`);
        await channel.send(address, { delivery: `test-${at.getTime()}-${r.name}`, event: 'test', incident: null, ...message });
        process.stdout.write(`ok    ${destination} (route ${r.name})\n`);
      } catch (err) {
        failures++;
        process.stdout.write(`FAIL  ${destination} (route ${r.name}): ${coerceError(err).message}\n`);
      }
    }
  }
  if (failures > 0) throw new CliExit(EXIT.failure, `${failures} destination(s) did not accept the test message`);
}
