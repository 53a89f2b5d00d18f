/**
 * Retrying the control-plane calls of organisation scope (Organizations listings, STS AssumeRole) on top
 * of the SDK's own retry strategy: the clients are built with `retryMode: 'adaptive'`
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html); an error that outlasts
 * those attempts is retried here a few more times with full-jitter exponential backoff
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), as the sweep does for ECR,
 * and then translated into an {@link AwsCallError} at the adapter boundary.
 */
import { AwsCallError, errorCodeOf } from './errors.ts';

/** Throttling and server-side codes of Organizations (JSON) and STS (Query) worth another attempt. */
const RETRYABLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'IDPCommunicationError',
  'IDPCommunicationErrorException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** True for throttling, server faults (5xx) and connection errors; false for access denied and bad input. */
export function isRetryableAwsError(error: unknown): boolean {
  if (error instanceof AwsCallError) return error.retryable;
  if (RETRYABLE_CODES.has(errorCodeOf(error))) return true;
  if (typeof error !== 'object' || error === null) return false;
  const fault = '$fault' in error ? error.$fault : undefined;
  const metadata = '$metadata' in error ? error.$metadata : undefined;
  const status =
    typeof metadata === 'object' && metadata !== null && 'httpStatusCode' in metadata
      ? metadata.httpStatusCode
      : undefined;
  return fault === 'server' || (typeof status === 'number' && (status === 429 || status >= 500));
}

/** Translates anything an SDK call threw into an {@link AwsCallError} naming the service and operation. */
export function translateAwsError(service: string, operation: string, error: unknown): AwsCallError {
  if (error instanceof AwsCallError) return error;
  return new AwsCallError(service, operation, errorCodeOf(error), isRetryableAwsError(error), {
    cause: error,
  });
}

export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
}

/**
 * Runs `call` and translates its failure into an {@link AwsCallError}; retryable failures are retried
 * `retries` times first, each after a random delay up to `min(maxDelayMs, baseDelayMs × 2^attempt)`.
 */
export async function callWithRetries<T>(
  service: string,
  operation: string,
  call: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const retries = options.retries ?? 3;
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 20_000;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (caught) {
      const error = translateAwsError(service, operation, caught);
      if (!error.retryable || attempt >= retries) throw error;
      await sleep(random() * Math.min(cap, base * 2 ** attempt));
    }
  }
}
