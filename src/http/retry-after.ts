/**
 * Retry-After, read once for every service the tool calls (ARM, Teams): delta-seconds or an HTTP
 * date (RFC 9110 §10.2.3).
 */

/** Retry-After in milliseconds; null if absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
