import { isJournalStream } from './journal.js';
import { createLogger } from './logger.js';

/**
 * A command's last word about why it failed, on stderr: the text as it is, or, when
 * stderr is the journal (ExecStartPre=, a daemon that cannot start), one JSON record at
 * priority err, so that a message of several lines (every problem of a configuration)
 * stays one record, which `journalctl -p err` shows.
 */
export function printFailure(text: string): void {
  if (isJournalStream(2)) createLogger({ fd: 2, pretty: false }).error(text);
  else process.stderr.write(`${text}\n`);
}
