/**
 * The period of an NCRONTAB schedule (six fields, seconds first), as far as staleness needs it:
 * a cluster not scanned for two periods is stale. Exact for the schedules people use (daily,
 * every N hours, hourly, weekly); a conservative upper bound for the rest.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

function values(field: string): number | null {
  if (field === '*') return null;
  if (/^\*\/\d+$/.test(field)) return -Number(field.slice(2)); // a step: "every n"
  return field.split(',').length; // a list or a single value: n times a cycle
}

export function schedulePeriodMs(ncrontab: string): number {
  const f = ncrontab.trim().split(/\s+/);
  if (f.length !== 6) throw new Error(`"${ncrontab}" is not an NCRONTAB expression with six fields`);
  const [, min, hour, dom, month, dow] = f as [string, string, string, string, string, string];
  if (month !== '*') return 365 * DAY;
  if (dom !== '*') return 31 * DAY;
  if (dow !== '*') {
    const n = values(dow);
    return n !== null && n > 0 ? (7 * DAY) / n : 7 * DAY;
  }
  const h = values(hour);
  if (h !== null) return h < 0 ? -h * HOUR : DAY / h;
  const m = values(min);
  if (m !== null) return m < 0 ? -m * MINUTE : HOUR / m;
  return MINUTE;
}
