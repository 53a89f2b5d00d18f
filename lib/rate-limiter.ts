/**
 * A client-side limiter for APIs with a documented request rate per account and Region (CloudTrail
 * LookupEvents, Security Hub GetFindings and BatchUpdateFindings): call starts are spaced evenly at the
 * sustained rate, retries included, so the quota is never the one that says no. Pure: the clock is passed.
 */
import type { Sleep } from './aws-retry.ts';

/** Waits until a call may start so that no more than `perSecond` start in any second. */
export interface RateLimiter {
  acquire(): Promise<void>;
}

/** A limiter spacing call starts `1000 / perSecond` ms apart on an injectable clock. */
export function createRateLimiter(
  perSecond: number,
  clock: { readonly now: () => number; readonly sleep: Sleep },
): RateLimiter {
  const interval = 1000 / perSecond;
  let next = Number.NEGATIVE_INFINITY;
  return {
    async acquire() {
      const now = clock.now();
      const slot = Math.max(now, next);
      next = slot + interval;
      if (slot > now) await clock.sleep(slot - now);
    },
  };
}
