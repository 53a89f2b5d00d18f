/**
 * Retrying AWS calls: the one classifier of what is worth another attempt (lib/aws-call.ts, the SDK's own
 * classification for every service), the translation into AwsCallError, and the backoff loop above the SDK
 * (lib/aws-retry.ts).
 */
import { IDPCommunicationErrorException } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callWithRetries, isRetryableAwsError, translateAwsError } from '../../lib/aws-call.ts';
import { isRetryableAnswer, retry } from '../../lib/aws-retry.ts';
import { AwsCallError, CallTimeoutError, errorCodeOf } from '../../lib/errors.ts';
import { sdkError } from '../helpers/sdk-error.ts';

describe('isRetryableAwsError, the one classifier of every service (the SDK retry strategy’s own)', () => {
  it.each([
    ['ECR throttling', sdkError('ThrottlingException', 400), true],
    ['an ECR server fault', sdkError('ServerException', 500, 'server'), true],
    ['STS throttling', sdkError('Throttling', 400), true],
    [
      'an STS identity provider error, retryable by its modelled trait',
      new IDPCommunicationErrorException({ message: 'try again', $metadata: { httpStatusCode: 400 } }),
      true,
    ],
    ['Organizations throttling', sdkError('TooManyRequestsException', 400), true],
    ['an Organizations server fault', sdkError('ServiceException', 500, 'server'), true],
    ['an unmodelled 503', sdkError('SomethingNew', 503, 'server'), true],
    ['a bare 429', sdkError('SlowDown', 429), true],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['a call past its time limit', new CallTimeoutError('no answer within 1 s', undefined, 1000), true],
    ['a translated retryable error', new AwsCallError('ecr', 'DescribeRepositories', 'Whatever', true), true],
    ['an ECR access denied', sdkError('AccessDeniedException', 400), false],
    ['an ECR missing repository', sdkError('RepositoryNotFoundException', 400), false],
    ['access denied', sdkError('AccessDenied', 403), false],
    ['an Organizations access denied', sdkError('AccessDeniedException', 400), false],
    ['a region not enabled', sdkError('RegionDisabledException', 403), false],
    ['a string', 'boom', false],
    [
      'a thrown object shaped like throttling that is not an Error',
      { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 429 } },
      false,
    ],
    [
      'throttling whose cause is not an Error (not what the SDK throws)',
      Object.assign(sdkError('ThrottlingException', 429), { cause: 'slow down' }),
      false,
    ],
    [
      'throttling with an Error as its cause',
      Object.assign(sdkError('ThrottlingException', 429), { cause: new Error('slow down') }),
      true,
    ],
  ])('%s: %s', (_case, error, retryable) => {
    expect(isRetryableAwsError(error)).toBe(retryable);
  });
});

describe('translateAwsError', () => {
  it('names service, operation and the AWS code, keeps the cause, and errorCodeOf reads the code', () => {
    const cause = sdkError('AccessDenied', 403);
    const error = translateAwsError('sts', 'AssumeRole', cause);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error.message).toBe('sts:AssumeRole failed with AccessDenied: AccessDenied happened');
    expect(error.cause).toBe(cause);
    expect(errorCodeOf(error)).toBe('AccessDenied');
    expect(translateAwsError('organizations', 'ListAccounts', error)).toBe(error);
  });
});

describe('callWithRetries', () => {
  it('stops at the first permanent error', async () => {
    let calls = 0;
    const failing = () => {
      calls += 1;
      return Promise.reject(sdkError('AccessDenied', 403));
    };
    await expect(
      callWithRetries('sts', 'AssumeRole', failing, { sleep: async () => {} }),
    ).rejects.toMatchObject({
      code: 'AccessDenied',
    });
    expect(calls).toBe(1);
  });

  it('backs off with full jitter, capped, for the configured number of retries', async () => {
    const delays: number[] = [];
    let calls = 0;
    const throttled = () => {
      calls += 1;
      return Promise.reject(sdkError('Throttling', 400));
    };
    await expect(
      callWithRetries('sts', 'AssumeRole', throttled, {
        retries: 5,
        baseDelayMs: 100,
        maxDelayMs: 1000,
        random: () => 0.999,
        sleep: async (ms) => {
          delays.push(Math.round(ms));
        },
      }),
    ).rejects.toMatchObject({ code: 'Throttling', retryable: true });
    expect(calls).toBe(6);
    expect(delays).toEqual([100, 200, 400, 799, 999]);
  });
});

describe('retry', () => {
  const transient = new Error('throttled');
  const failing = (failures: number) => {
    let calls = 0;
    return {
      call: async () => {
        calls += 1;
        if (calls <= failures) throw transient;
        return calls;
      },
      calls: () => calls,
    };
  };

  it('retries what isRetryable accepts, up to `retries` times, with full-jitter backoff under the cap', async () => {
    // Prepare
    const delays: number[] = [];
    const retried: unknown[] = [];
    const op = failing(3);
    // Act
    const result = await retry(op.call, {
      retries: 3,
      baseDelayMs: 100,
      maxDelayMs: 300,
      random: () => 1,
      sleep: async (ms) => {
        delays.push(ms);
      },
      isRetryable: (error) => error === transient,
      onRetry: (error) => retried.push(error),
    });
    // Assess
    expect(result).toBe(4);
    expect(delays).toEqual([100, 200, 300]);
    expect(retried).toEqual([transient, transient, transient]);
  });

  it('rethrows the error itself when isRetryable refuses it, or canRetry says no more', async () => {
    const sleep = async () => {};
    const refused = failing(1);
    await expect(retry(refused.call, { sleep, isRetryable: () => false })).rejects.toBe(transient);
    expect(refused.calls()).toBe(1);
    const outOfTime = failing(5);
    await expect(
      retry(outOfTime.call, { sleep, isRetryable: () => true, canRetry: () => outOfTime.calls() < 2 }),
    ).rejects.toBe(transient);
    expect(outOfTime.calls()).toBe(2);
  });
});

describe('isRetryableAnswer, what the loop above the SDK retries', () => {
  it.each([
    [
      'a retryable answer (throttling)',
      new AwsCallError('ecr', 'ListImages', 'ThrottlingException', true),
      true,
    ],
    [
      'a retryable answer (a server fault)',
      new AwsCallError('sts', 'AssumeRole', 'InternalFailure', true),
      true,
    ],
    ['a permanent error', new AwsCallError('ecr', 'ListImages', 'AccessDeniedException', false), false],
    ['an error not translated yet', sdkError('ThrottlingException', 400), false],
  ])('%s: %s', (_case, error, retryable) => {
    expect(isRetryableAnswer(error)).toBe(retryable);
  });

  it.each([
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
  ])('a call that went unanswered (%s) is left to the SDK’s retries within its time limit', (code) => {
    expect(isRetryableAnswer(new AwsCallError('ecr', 'ListImages', code, true))).toBe(false);
  });
});

describe('retry with its defaults', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const alwaysFailing = () => {
    let calls = 0;
    return {
      call: async (): Promise<never> => {
        calls += 1;
        throw new Error('throttled');
      },
      calls: () => calls,
    };
  };

  it('retries 3 times, from a 500 ms ceiling doubled per attempt', async () => {
    const delays: number[] = [];
    const op = alwaysFailing();
    await expect(
      retry(op.call, {
        isRetryable: () => true,
        random: () => 1,
        sleep: async (ms) => {
          delays.push(ms);
        },
      }),
    ).rejects.toThrow('throttled');
    expect(op.calls()).toBe(4);
    expect(delays).toEqual([500, 1000, 2000]);
  });

  it('caps the ceiling at 20 s', async () => {
    const delays: number[] = [];
    await expect(
      retry(alwaysFailing().call, {
        retries: 7,
        isRetryable: () => true,
        random: () => 1,
        sleep: async (ms) => {
          delays.push(ms);
        },
      }),
    ).rejects.toThrow('throttled');
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 20_000]);
  });

  it('draws the jitter from Math.random', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.25);
    const delays: number[] = [];
    await expect(
      retry(alwaysFailing().call, {
        retries: 2,
        isRetryable: () => true,
        sleep: async (ms) => {
          delays.push(ms);
        },
      }),
    ).rejects.toThrow('throttled');
    expect(delays).toEqual([125, 250]);
  });

  it('waits the backoff out on a real timer before the next attempt', async () => {
    let calls = 0;
    const retried = retry(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('throttled');
        return calls;
      },
      { isRetryable: () => true, baseDelayMs: 20, random: () => 1 },
    );
    // A 20 ms timer cannot have fired by the end of this turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(1);
    await expect(retried).resolves.toBe(2);
  });

  it('goes on retrying while canRetry says yes', async () => {
    const op = alwaysFailing();
    await expect(
      retry(op.call, { retries: 2, sleep: async () => {}, isRetryable: () => true, canRetry: () => true }),
    ).rejects.toThrow('throttled');
    expect(op.calls()).toBe(3);
  });
});
