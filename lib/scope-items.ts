/**
 * The items of a scope for an orchestrator (a Step Functions Distributed Map runs one sweep per item), and
 * the adapter that writes them to S3: the only place that talks to `@aws-sdk/client-s3`. Thousands of
 * account-regions do not fit a 256 KiB state payload
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), so the items go to an S3
 * object as one JSON array, which a Distributed Map's `ItemReader` reads
 * (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html). The results the
 * Distributed Map's `ResultWriter` writes back are read by {@link createResultReader}
 * (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { callWithRetries } from './aws-call.ts';
import type { RetryOptions } from './aws-retry.ts';
import type { Scope, SkippedAccount } from './scope.ts';

/** One sweep invocation's payload: an account-region and the member role to reach it. */
export interface ScopeItem {
  readonly accountId: string;
  readonly region: string;
  readonly roleName: string;
}

/** The items of a scope, account-major (the sweep function's payload members). */
export function scopeItems(scope: Scope, roleName: string): ScopeItem[] {
  return scope.targets.map(({ accountId, region }) => ({ accountId, region, roleName }));
}

/** Skipped accounts as the scope function reports them. */
export function skippedOf(scope: Scope): SkippedAccount[] {
  return scope.skipped.map((account) => ({ ...account }));
}

export interface ScopeItemWriter {
  /** Writes the items as one JSON array to `s3://bucket/key`. */
  write(bucket: string, key: string, items: readonly ScopeItem[]): Promise<void>;
}

/** Creates the writer over a ready `S3Client`; failures are translated into `AwsCallError`. */
export function createScopeItemWriter(client: S3Client, options: RetryOptions = {}): ScopeItemWriter {
  return {
    async write(bucket, key, items) {
      const body = JSON.stringify(items);
      await callWithRetries(
        's3',
        'PutObject',
        () =>
          client.send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
          ),
        options,
      );
    },
  };
}

export interface ResultReader {
  /** The text of `s3://bucket/key` (a ResultWriter manifest or result file). */
  read(bucket: string, key: string): Promise<string>;
}

/** Creates the reader over a ready `S3Client`; failures are translated into `AwsCallError`. */
export function createResultReader(client: S3Client, options: RetryOptions = {}): ResultReader {
  return {
    async read(bucket, key) {
      return callWithRetries(
        's3',
        'GetObject',
        async () => {
          const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          if (response.Body === undefined) return '';
          return response.Body.transformToString('utf-8');
        },
        options,
      );
    },
  };
}
