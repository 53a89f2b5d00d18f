/**
 * Retrying above the SDK, with nothing of the SDK in it (a pure module): the clients are built with
 * `retryMode: 'adaptive'` (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html);
 * an error that outlasts those attempts is retried here a few more times with full-jitter exponential
 * backoff (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/). {@link retry} is the
 * loop, used by the sweep for ECR (lib/sweep.ts) and by the adapters through lib/aws-call.ts;
 * {@link isRetryableAnswer} says which translated call errors are worth it.
 */
import { setTimeout } from 'node:timers/promises';
import { AwsCallError } from './errors.ts';

/**
 * Codes of a call that got no answer: a timed-out attempt, a connection that could not be made or was
 * dropped, the call's time limit (lib/call-limits.ts). The SDK retries these itself within the call's one
 * time limit; retrying them again above the SDK would multiply that limit by the retries, so
 * {@link isRetryableAnswer} leaves them out.
 */
// Stryker disable StringLiteral: static, the set is built once at import, before Stryker activates a mutant (stryker-js issues 6144, 6209), so an emptied code reports surviving whatever the tests do; `a call that went unanswered (%s) is left to the SDK’s retries within its time limit` fails on each.
const UNANSWERED_CODES = new Set([
  'TimeoutError',
  'CallTimeoutError',
  'EndpointConnectionError',
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// Stryker restore StringLiteral

/**
 * Worth retrying above the SDK: a translated call error that is retryable and was an answer (throttling,
 * a server fault), not a call that went unanswered (see {@link UNANSWERED_CODES}).
 */
export function isRetryableAnswer(error: unknown): boolean {
  return error instanceof AwsCallError && error.retryable && !UNANSWERED_CODES.has(error.code);
}

export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => setTimeout(ms);

export interface RetryOptions {
  /** Extra attempts after a retryable error outlasted the SDK's own retries (default 3). */
  readonly retries?: number;
  /** First backoff ceiling in milliseconds, doubled per attempt (default 500). */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling in milliseconds (default 20,000). */
  readonly maxDelayMs?: number;
  readonly sleep?: Sleep;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  readonly random?: () => number;
  /** Asked before each retry: false rethrows at once (a Lambda deadline near, for example). */
  readonly canRetry?: (() => boolean) | undefined;
}

export interface RetryPolicy extends RetryOptions {
  /** Which failures are worth another attempt (throttling, server faults). */
  readonly isRetryable: (error: unknown) => boolean;
  /** Called before each retry's backoff (to count retries, or to slow down). */
  readonly onRetry?: ((error: unknown) => void) | undefined;
}

/**
 * Runs `call`; a failure `isRetryable` accepts is retried `retries` times, each after a random delay up to
 * `min(maxDelayMs, baseDelayMs × 2^attempt)`. Anything else, or the last failure, is rethrown as it is.
 */
export async function retry<T>(call: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const retries = policy.retries ?? 3;
  const base = policy.baseDelayMs ?? 500;
  const cap = policy.maxDelayMs ?? 20_000;
  const sleep = policy.sleep ?? realSleep;
  const random = policy.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!policy.isRetryable(error) || attempt >= retries || policy.canRetry?.() === false) throw error;
      policy.onRetry?.(error);
      await sleep(random() * Math.min(cap, base * 2 ** attempt));
    }
  }
}
