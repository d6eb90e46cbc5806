import { formatIssues } from '../../config/issues.js';
import { localAuthorization, readDaemonYamlLeniently } from '../../http/local-token.js';
import type { ReloadResult } from '../../http/router.js';
import { EXIT } from '../../core/exit-codes.js';
import { CliExit, configDir, type CliOptions } from '../runtime.js';

interface ReloadOptions extends CliOptions {
  listen?: string;
}

const DEFAULT_LISTEN = '127.0.0.1:9464';

/**
 * `nocturne reload` (systemd ExecReload): asks the running daemon to reload and waits
 * for the outcome. Exit 0 when applied, 78 with every problem when refused (the daemon
 * keeps its previous configuration), 69 when no daemon answers.
 */
export async function reloadCommand(options: ReloadOptions): Promise<void> {
  const dir = configDir(options);
  const daemonFile = await readDaemonYamlLeniently(dir);
  const listen = options.listen ?? daemonListen(daemonFile);
  const url = `http://${listen}/api/reload`;
  let response: Response;
  try {
    // The daemon's token file proves we are its user: loopback is open to every user of the host.
    response = await fetch(url, {
      method: 'POST',
      headers: await localAuthorization(dir, daemonFile.data),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    const why = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new CliExit(EXIT.unavailable, `no nocturne daemon answers on ${url} (${why}): is it running?`);
  }
  const result = (await response.json().catch(() => null)) as ReloadResult | { error?: string; message?: string } | null;
  // Anything but a reload's outcome (a token refused, a daemon starting or stopping) is said as the daemon said it.
  if (result === null || !('ok' in result) || (!result.ok && result.unavailable)) {
    const said = (result && 'error' in result ? result.error : result?.message) ?? `HTTP ${response.status}`;
    throw new CliExit(EXIT.unavailable, `the daemon on ${url} did not take the reload: ${said}`);
  }
  if (!result.ok) {
    const issues = result.issues.length > 0 ? `\n${formatIssues(result.issues)}` : '';
    throw new CliExit(EXIT.config, `reload refused: ${result.message}${issues}`);
  }
  const changes = (['added', 'removed', 'changed'] as const).filter((k) => result[k].length > 0).map((k) => `${k} ${result[k].join(', ')}`);
  process.stdout.write(`configuration reloaded${changes.length > 0 ? `: ${changes.join('; ')}` : ' (no schedule changes)'}\n`);
  for (const note of result.restartNeeded) process.stdout.write(`note: ${note}\n`);
  if (result.warnings?.length) process.stderr.write(`${formatIssues(result.warnings)}\n`);
}

/** The daemon's HTTP address, from config/nocturne.yaml as read leniently (the daemon validates it). */
function daemonListen({ file, data, error }: Awaited<ReturnType<typeof readDaemonYamlLeniently>>): string {
  if (error !== undefined) {
    // The daemon will say what is wrong with the file; meanwhile try the default address.
    process.stderr.write(`nocturne: ${file}: ${error}; trying ${DEFAULT_LISTEN}\n`);
    return DEFAULT_LISTEN;
  }
  const http = data?.http;
  if (http?.enabled === false) {
    throw new CliExit(EXIT.unavailable, `${file}: http.enabled is false, so the daemon takes no reload request; send it SIGHUP`);
  }
  if (typeof http?.listen !== 'string') return DEFAULT_LISTEN;
  // Port 0: the daemon took a port of the kernel's choosing, which only its log says.
  if (/:0+$/.test(http.listen)) {
    throw new CliExit(
      EXIT.unavailable,
      `${file}: http.listen ${http.listen} has port 0, so the daemon listens on a port chosen at its start (its log's "ready" line names it): give it with --listen, or send the daemon SIGHUP`,
    );
  }
  return http.listen;
}
