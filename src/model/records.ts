/** Schemas for records whose keys come from outside (ARM tags), where any key must survive. */
import { z } from 'zod';

/**
 * A record of strings, validated without being rebuilt. z.record copies into a fresh object with
 * plain assignment, and a key named `__proto__` (a tag ARM accepts) then sets the prototype and
 * vanishes: a cluster owner could hide a tag from the stored copy. JSON.parse and object spread keep
 * it as an own property, so the parsed object is returned as it is.
 */
export const stringRecord = z.custom<Record<string, string>>(
  (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string'),
  'must be an object whose values are strings',
);
