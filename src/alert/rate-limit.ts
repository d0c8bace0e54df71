/**
 * A sliding-window limit on requests per second. Teams Workflows throttles more than 4 requests a
 * second with 429 (shared/reference/peers.md), and one run may alert for many clusters at once, so
 * every send in the process waits its turn on one shared limiter instead of collecting 429s.
 */

export interface RateLimiter {
  /** Resolves when one more request may start. Grants are first come, first served. */
  acquire(): Promise<void>;
}

export interface RateLimiterOptions {
  perSecond: number;
  /** Milliseconds; injectable so tests need not wait. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  if (!Number.isInteger(opts.perSecond) || opts.perSecond < 1) throw new RangeError(`perSecond must be a positive integer, got ${opts.perSecond}`);
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const windowMs = 1000;
  const granted: number[] = [];
  // A promise chain makes callers take turns, so concurrent acquires cannot both see a free slot.
  let tail: Promise<void> = Promise.resolve();
  const take = async (): Promise<void> => {
    for (;;) {
      const t = now();
      while (granted.length > 0 && (granted[0] as number) <= t - windowMs) granted.shift();
      if (granted.length < opts.perSecond) {
        granted.push(t);
        return;
      }
      await sleep((granted[0] as number) + windowMs - t);
    }
  };
  return {
    acquire(): Promise<void> {
      const turn = tail.then(take);
      tail = turn.catch(() => undefined);
      return turn;
    },
  };
}

/** The process-wide limiter every Teams send uses unless told otherwise. */
export const teamsRateLimiter: RateLimiter = createRateLimiter({ perSecond: 4 });
