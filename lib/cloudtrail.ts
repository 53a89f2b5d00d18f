/**
 * The CloudTrail adapter: the only place that talks to `@aws-sdk/client-cloudtrail`. It takes a ready
 * client (tests pass an `aws-sdk-client-mock`) and reads the account-region's `PutImage` events of a
 * window with `LookupEvents`, in one paged pass that serves every repository (never one lookup per
 * repository: the calls stay at ceil(events / 50)).
 *
 * LookupEvents answers at most 2 requests per second per account and region and 50 events per page
 * (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html), and keeps 90
 * days of management events. A client-side limiter spaces the calls (retries included) so the quota
 * is never the one that says no; a `ThrottlingException` that happens anyway (another caller in the
 * account) is retried with backoff, and any other failure is translated into an {@link AwsCallError}
 * here (lib/aws-call.ts). Its IAM actions: lib/iam-actions.ts.
 */
import {
  type CloudTrailClient,
  LookupEventsCommand,
  type LookupEventsCommandOutput,
} from '@aws-sdk/client-cloudtrail';
import { callWithRetries, translateAwsError } from './aws-call.ts';
import type { RetryOptions, Sleep } from './aws-retry.ts';
import { AwsCallError } from './errors.ts';
import { type ActionTable, CLOUDTRAIL_ACTIONS } from './iam-actions.ts';
import { pageTokens, RepeatedPageTokenError } from './pagination.ts';
import { type PushRecord, parsePushRecord } from './push-history.ts';
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts';

export { createRateLimiter, type RateLimiter };

export const LOOKUP_PAGE_SIZE = 50;
export const LOOKUP_REQUESTS_PER_SECOND = 2;
export const DEFAULT_LOOKBACK_DAYS = 30;
export const MAX_LOOKBACK_DAYS = 90;
const DAY_MS = 86_400_000;
const SERVICE = 'cloudtrail';

export interface LookupResult {
  /** The readable PutImage records of the window, newest first as LookupEvents returns them. */
  readonly pushes: readonly PushRecord[];
  /** Every event LookupEvents returned (readable or not). */
  readonly events: number;
  /** Events that were not readable PutImage records: never guessed at, counted for the plan to doubt. */
  readonly unreadable: number;
  /** Of those, how many name each repository in LookupEvents' `Resources` (the others name none). */
  readonly unreadableByRepository: ReadonlyMap<string, number>;
  /** LookupEvents calls made, retries included. */
  readonly calls: number;
}

/**
 * A lookup pass that stopped before its last page: a call failed after its retries, or the caller
 * aborted. Carries the calls made until then (failed ones included), so they are still counted.
 */
export class LookupFailedError extends AwsCallError {
  readonly calls: number;

  constructor(failure: AwsCallError, calls: number) {
    super(failure.service, failure.operation, failure.code, failure.retryable, { cause: failure.cause });
    this.name = 'LookupFailedError';
    this.calls = calls;
  }
}

export interface CloudTrailAdapter {
  /**
   * Every PutImage event of the last `days` days (1-90) before `now`, all pages; stops at `signal`.
   * @throws LookupFailedError when a call fails after its retries or `signal` aborts the pass.
   */
  lookupPushes(options: {
    readonly days: number;
    readonly now: Date;
    readonly onPage?: (events: number) => void;
    readonly signal?: AbortSignal | undefined;
  }): Promise<LookupResult>;
}

CLOUDTRAIL_ACTIONS satisfies ActionTable<CloudTrailAdapter, typeof CLOUDTRAIL_ACTIONS>;

/** The repository a LookupEvents event names in its `Resources`, if any. */
function repositoryOf(event: { Resources?: { ResourceType?: string; ResourceName?: string }[] }) {
  return event.Resources?.find((resource) => resource.ResourceType === 'AWS::ECR::Repository')?.ResourceName;
}

export interface CloudTrailAdapterOptions extends RetryOptions {
  /** Milliseconds since the epoch, for the rate limiter (default `Date.now`). */
  readonly now?: () => number;
  /** The limiter; default 2 calls per second on `now` and `sleep`. Share one per account-region. */
  readonly limiter?: RateLimiter;
}

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the adapter over a ready `CloudTrailClient` (build it with few SDK attempts: the limiter spaces ours). */
export function createCloudTrailAdapter(
  client: CloudTrailClient,
  options: CloudTrailAdapterOptions = {},
): CloudTrailAdapter {
  const sleep = options.sleep ?? realSleep;
  const limiter =
    options.limiter ?? createRateLimiter(LOOKUP_REQUESTS_PER_SECOND, { now: options.now ?? Date.now, sleep });
  return {
    async lookupPushes({ days, now, onPage, signal }) {
      if (!Number.isInteger(days) || days < 1 || days > MAX_LOOKBACK_DAYS) {
        throw new RangeError(`days must be an integer from 1 to ${MAX_LOOKBACK_DAYS}, got ${days}`);
      }
      const pushes: PushRecord[] = [];
      let events = 0;
      let unreadable = 0;
      const unreadableByRepository = new Map<string, number>();
      let calls = 0;
      let nextToken: string | undefined;
      const tokens = pageTokens('CloudTrail LookupEvents');
      const startTime = new Date(now.getTime() - days * DAY_MS);
      do {
        const token = nextToken;
        let output: LookupEventsCommandOutput;
        try {
          output = await callWithRetries(
            SERVICE,
            'LookupEvents',
            async () => {
              signal?.throwIfAborted();
              await limiter.acquire();
              signal?.throwIfAborted();
              calls += 1;
              return client.send(
                new LookupEventsCommand({
                  LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutImage' }],
                  StartTime: startTime,
                  EndTime: now,
                  MaxResults: LOOKUP_PAGE_SIZE,
                  NextToken: token,
                }),
                { abortSignal: signal },
              );
            },
            { ...options, sleep },
          );
        } catch (error) {
          throw new LookupFailedError(translateAwsError(SERVICE, 'LookupEvents', error), calls);
        }
        const page = output.Events ?? [];
        events += page.length;
        for (const event of page) {
          // A missing CloudTrailEvent reads as unreadable like any other (parsePushRecord takes unknown).
          const push = parsePushRecord(event.CloudTrailEvent);
          if (push !== undefined) {
            pushes.push(push);
            continue;
          }
          unreadable += 1;
          const repository = repositoryOf(event);
          if (repository !== undefined) {
            unreadableByRepository.set(repository, (unreadableByRepository.get(repository) ?? 0) + 1);
          }
        }
        onPage?.(events);
        try {
          nextToken = tokens.next(output.NextToken);
        } catch (error) {
          // A token seen before would page forever: that is a failed lookup (exit 1), not a long one.
          if (!(error instanceof RepeatedPageTokenError)) throw error;
          throw new LookupFailedError(
            new AwsCallError(SERVICE, 'LookupEvents', error.name, false, { cause: error }),
            calls,
          );
        }
      } while (nextToken !== undefined);
      return { pushes, events, unreadable, unreadableByRepository, calls };
    },
  };
}
