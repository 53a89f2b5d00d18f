import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../lib/concurrency.ts';

describe('ConcurrencyLimit', () => {
  it('halves on throttling and grows back by one after successes', () => {
    const limit = new ConcurrencyLimit(8);
    limit.onThrottled();
    expect(limit.current).toBe(4);
    limit.onThrottled();
    limit.onThrottled();
    limit.onThrottled();
    expect(limit.current).toBe(1);
    for (let i = 0; i < 4; i++) limit.onSuccess();
    expect(limit.current).toBe(2);
  });
});
