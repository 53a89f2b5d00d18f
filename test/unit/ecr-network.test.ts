/**
 * The ECR adapter over a real SDK client and real sockets on loopback: an endpoint that accepts
 * connections and never answers, and a port nothing listens on. (Kept apart from ecr.test.ts,
 * whose `aws-sdk-client-mock` replaces every ECRClient's `send`.)
 */
import { createServer } from 'node:net';
import { ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/audit.ts';
import { createAuditPublisher } from '../../lib/audit-events.ts';
import { failFastWhenUnreachable } from '../../lib/call-limits.ts';
import { createEcrAdapter } from '../../lib/ecr.ts';
import { AwsCallError } from '../../lib/errors.ts';
import type { Policy } from '../../lib/policy.ts';
import { runSweep } from '../../lib/sweep.ts';
import { silentServer } from '../helpers/loopback.ts';
import { testLogger } from '../helpers/runtime.ts';

const REGISTRY = '123456789012';

/** A loopback URL whose port nothing listens on (bound, then released). */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${address.port}`;
}

function client(endpoint: string, maxAttempts: number): ECRClient {
  return new ECRClient({
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 200,
      requestTimeout: 300,
      throwOnRequestTimeout: true,
    }),
  });
}

const policy: Policy = {
  target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
  exemptRepositories: [],
};

describe('the ECR adapter against an endpoint that accepts connections and never answers', () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(async () => server.stop());

  it('retries a hung call, then fails it as a retryable TimeoutError instead of hanging', async () => {
    const ecr = client(server.url, 2);
    const before = server.connections();
    const started = Date.now();

    const error = await createEcrAdapter(ecr)
      .describeRepository({ repositoryName: 'payments/api' })
      .catch((caught: unknown) => caught);
    ecr.destroy();

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ code: 'TimeoutError', retryable: true, operation: 'DescribeRepositories' });
    expect(server.connections() - before).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('counts a hung repository failed with TimeoutError and its registryId in a sweep of names, not retrying it above the SDK', async () => {
    const ecr = client(server.url, 1);
    const records: AuditRecord[] = [];

    const result = await runSweep(
      {
        trigger: 'backfill',
        dryRun: true,
        repositoryNames: ['payments/api'],
        resume: undefined,
        maxRepositories: undefined,
      },
      {
        ecr: createEcrAdapter(ecr),
        policy,
        region: 'eu-west-1',
        registryId: REGISTRY,
        now: () => new Date('2026-11-30T00:00:00Z'),
        remainingMs: () => Number.POSITIVE_INFINITY,
        safetyMarginMs: 0,
        maxConcurrency: 1,
        record: (record) => records.push(record),
        sleep: async () => {},
        repositoryRetries: 1,
      },
    );
    ecr.destroy();

    // The SDK had the call's attempts; retrying an unanswered call again would multiply its time limit.
    expect(result).toMatchObject({ scanned: 1, retriedErrors: 0, nextToken: undefined });
    expect(records).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        repositoryName: 'payments/api',
        registryId: REGISTRY,
        errorCode: 'TimeoutError',
      }),
    ]);
  });
});

describe('the audit publisher against an EventBridge endpoint that never answers', () => {
  it('retries each batch, then counts it lost with TimeoutError in the log, never hanging', async () => {
    const server = await silentServer();
    const events = new EventBridgeClient({
      region: 'eu-west-1',
      endpoint: server.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 200,
        requestTimeout: 300,
        throwOnRequestTimeout: true,
      }),
    });
    const log = testLogger();
    const record: AuditRecord = {
      outcome: 'remediated',
      repositoryName: 'payments/api',
      repositoryArn: `arn:aws:ecr:eu-west-1:${REGISTRY}:repository/payments/api`,
      registryId: REGISTRY,
      region: 'eu-west-1',
      before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
      after: { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] },
      trigger: 'sweep',
      dryRun: false,
      reason: 'test',
    };

    const result = await createAuditPublisher(events, {
      eventBusName: 'audit',
      logger: log.logger,
      attempts: 2,
    }).publish([record]);
    events.destroy();
    await server.stop();

    expect(result).toEqual({ published: 0, failed: 1 });
    expect(log.warn).toHaveBeenCalledTimes(2);
    expect(log.warn).toHaveBeenCalledWith('audit events could not be published', {
      attempt: 2,
      errorCode: 'TimeoutError',
    });
    expect(server.connections()).toBe(2);
  });
});

describe('the ECR adapter against a port nothing listens on', () => {
  it('fails fast with EndpointConnectionError, not retried again, when told to', async () => {
    const ecr = client(await refusedUrl(), 8);
    failFastWhenUnreachable(ecr);
    const started = Date.now();

    const error = await createEcrAdapter(ecr)
      .describeRepository({ repositoryName: 'payments/api' })
      .catch((caught: unknown) => caught);
    ecr.destroy();

    expect(error).toMatchObject({ code: 'EndpointConnectionError', retryable: false });
    expect(String(error)).toMatch(/Could not connect to the endpoint URL: "http:\/\/127\.0\.0\.1:\d+\/"/);
    // Eight attempts with the SDK's backoff take seconds; two take well under one.
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('otherwise treats a refused connection as transient, as the SDK does', async () => {
    const ecr = client(await refusedUrl(), 1);

    const error = await createEcrAdapter(ecr)
      .describeRepository({ repositoryName: 'payments/api' })
      .catch((caught: unknown) => caught);
    ecr.destroy();

    expect(error).toMatchObject({ code: 'ECONNREFUSED', retryable: true });
  });
});
