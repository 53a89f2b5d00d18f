/**
 * One AWS call as every adapter makes it: what the SDK threw becomes an {@link AwsCallError} naming the
 * service, the operation and the AWS code, with `retryable` decided by the SDK's own error classification
 * (`@smithy/core/retry`, the same test its retry strategy applies: throttling, transient errors such as
 * timeouts and dropped or refused connections, server faults), so the list of codes stays the SDK's.
 * {@link callWithRetries} adds the retries above the SDK of lib/aws-retry.ts.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { isRetryableAnswer, type RetryOptions, retry } from './aws-retry.ts';
import { AwsCallError, type AwsService, CallTimeoutError, errorCodeOf } from './errors.ts';

type SdkError = Parameters<typeof isTransientError>[0];

/** What the SDK throws: an `Error` whose `cause`, if any, is an `Error` too. */
function isSdkError(error: unknown): error is SdkError {
  return error instanceof Error && (error.cause === undefined || error.cause instanceof Error);
}

/**
 * Worth another attempt later: what the SDK's retry strategy would retry, and a call past its time limit
 * (lib/call-limits.ts; redelivered later, though nothing retries it at once). A translated error keeps
 * its own answer.
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (error instanceof AwsCallError) return error.retryable;
  if (error instanceof CallTimeoutError) return true;
  if (!isSdkError(error)) return false;
  return isThrottlingError(error) || isTransientError(error) || isServerError(error);
}

/** Translates anything an SDK call threw into an {@link AwsCallError}; one already translated stays as it is. */
export function translateAwsError(service: AwsService, operation: string, error: unknown): AwsCallError {
  if (error instanceof AwsCallError) return error;
  return new AwsCallError(service, operation, errorCodeOf(error), isRetryableAwsError(error), {
    cause: error,
  });
}

/**
 * Runs `call` and translates its failure into an {@link AwsCallError}; retryable answers (throttling,
 * server faults) are retried first, as lib/aws-retry.ts {@link retry} does.
 */
export function callWithRetries<T>(
  service: AwsService,
  operation: string,
  call: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  return retry(
    async () => {
      try {
        return await call();
      } catch (caught) {
        throw translateAwsError(service, operation, caught);
      }
    },
    { ...options, isRetryable: isRetryableAnswer },
  );
}
