/**
 * A cron pattern in words for the overview ("every day at 02:00"), for the common
 * shapes; anything else is shown as the pattern itself, which is always exact.
 */
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const two = (n: string) => n.padStart(2, '0');
const isNumber = (field: string) => /^\d+$/.test(field);

export function scheduleInWords(pattern: string): string {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length !== 5) return `cron "${pattern}"`;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const everyDay = dom === '*' && month === '*';
  const step = /^\*\/(\d+)$/;
  if (everyDay && dow === '*') {
    if (minute === '*' && hour === '*') return 'every minute';
    const minuteStep = step.exec(minute);
    if (minuteStep && hour === '*') return `every ${minuteStep[1]} minutes`;
    if (isNumber(minute) && hour === '*') return `every hour at minute ${minute}`;
    if (isNumber(minute) && isNumber(hour)) return `every day at ${two(hour)}:${two(minute)}`;
    const hourStep = step.exec(hour);
    if (isNumber(minute) && hourStep) return `every ${hourStep[1]} hours at minute ${minute}`;
    if (isNumber(minute) && /^\d+(,\d+)+$/.test(hour)) {
      return `every day at ${hour
        .split(',')
        .map((h) => `${two(h)}:${two(minute)}`)
        .join(', ')}`;
    }
  }
  if (everyDay && isNumber(minute) && isNumber(hour) && /^[0-7]$/.test(dow)) {
    return `every ${DAYS[Number(dow) % 7]} at ${two(hour)}:${two(minute)}`;
  }
  return `cron "${pattern}"`;
}
