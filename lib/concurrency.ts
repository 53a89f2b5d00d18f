/**
 * The sweep's adaptive concurrency (docs/architecture.md, "Sweep"): how many repositories are decided
 * at once. Pure: a counter, no clock, no I/O.
 */

/**
 * Additive-increase / multiplicative-decrease limit on concurrent repositories: halves on a
 * throttling error that outlasted the SDK's adaptive retries, grows by one after a run of successes.
 */
export class ConcurrencyLimit {
  readonly max: number;
  current: number;
  #successes = 0;

  constructor(max: number) {
    this.max = Math.max(1, max);
    this.current = this.max;
  }

  onThrottled(): void {
    this.current = Math.max(1, Math.floor(this.current / 2));
    this.#successes = 0;
  }

  onSuccess(): void {
    this.#successes += 1;
    if (this.current < this.max && this.#successes >= this.current * 4) {
      this.current += 1;
      this.#successes = 0;
    }
  }
}
