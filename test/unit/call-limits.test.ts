/**
 * One time limit per AWS call (lib/call-limits.ts), over a real SDK client and a loopback server that
 * accepts connections and never answers; and the retry layers above the SDK, which retry only answers
 * (throttling, server faults) and never past the caller's deadline (lib/aws-retry.ts, lib/sweep.ts).
 */
import { createServer as createHttpServer } from 'node:http';
import { ECRClient } from '@aws-sdk/client-ecr';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/audit.ts';
import { isRetryableAnswer } from '../../lib/aws-retry.ts';
import { createInvocationDeadline, DEADLINE_MARGIN_MS, limitCallTime } from '../../lib/call-limits.ts';
import { createEcrAdapter, type EcrAdapter } from '../../lib/ecr.ts';
import { AwsCallError, CallTimeoutError, callTimeoutOf } from '../../lib/errors.ts';
import type { Policy } from '../../lib/policy.ts';
import { runSweep } from '../../lib/sweep.ts';
import { loopbackUrl, silentServer } from '../helpers/loopback.ts';
import { createMemoryEcr } from '../helpers/memory-ecr.ts';

/** A client that retries a hung attempt (300 ms each) up to 20 times: far longer than any limit below. */
function patientClient(endpoint: string): ECRClient {
  return new ECRClient({
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 20,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 200,
      requestTimeout: 300,
      throwOnRequestTimeout: true,
    }),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the call time limit and the caller’s deadline, over loopback servers', () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(async () => server.stop());

  it('fails the call once, after the limit, naming the endpoint and the setting; no attempt starts after', async () => {
    const client = patientClient(server.url);
    limitCallTime(client, { timeoutMs: 1_000, setting: '--call-timeout' });
    const started = Date.now();

    const error = await createEcrAdapter(client)
      .describeRepository({ repositoryName: 'payments/api' })
      .catch((caught: unknown) => caught);
    const elapsed = Date.now() - started;
    const attempts = server.connections();
    await sleep(800);

    expect(error).toBeInstanceOf(AwsCallError);
    // Worth redelivering later (a guardrail event is retried by Lambda); nothing retries it at once.
    expect(error).toMatchObject({ code: 'CallTimeoutError', retryable: true });
    expect(isRetryableAnswer(error)).toBe(false);
    expect(callTimeoutOf(error)?.message).toBe(
      `no answer from ${server.url}/ within 1 s, the call time limit (--call-timeout)`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2_000);
    // At most the attempt in flight when the limit passed; none after it.
    expect(server.connections()).toBeLessThanOrEqual(attempts + 1);
    client.destroy();
  });

  it('stops a call before the caller’s deadline, keeping time to record the failure', async () => {
    const client = patientClient(server.url);
    const deadline = createInvocationDeadline();
    limitCallTime(client, {
      timeoutMs: 60_000,
      setting: 'SDK_CALL_TIMEOUT_MS',
      remainingMs: deadline.remainingMs,
    });
    const ends = Date.now() + DEADLINE_MARGIN_MS + 600;
    deadline.track(() => ends - Date.now());
    const started = Date.now();

    const error = await createEcrAdapter(client)
      .describeRepository({ repositoryName: 'payments/api' })
      .catch((caught: unknown) => caught);

    expect(callTimeoutOf(error)?.message).toMatch(
      /within 0\.6 s, the time left before the invocation's deadline$/,
    );
    expect(Date.now() - started).toBeLessThan(DEADLINE_MARGIN_MS);
    client.destroy();
  });

  it('makes one attempt, never retried, when the call starts with less than the margin left', async () => {
    let requests = 0;
    const failing = createHttpServer((request, response) => {
      requests += 1;
      request.resume();
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: 'ServerException', message: 'try again' }));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const client = patientClient(loopbackUrl(failing));
    const deadline = createInvocationDeadline();
    limitCallTime(client, {
      timeoutMs: 60_000,
      setting: 'SDK_CALL_TIMEOUT_MS',
      remainingMs: deadline.remainingMs,
    });
    deadline.track(() => DEADLINE_MARGIN_MS / 2);

    const error = await createEcrAdapter(client)
      .describeRepository({ repositoryName: 'payments/api' })
      .catch((caught: unknown) => caught);
    await sleep(300);

    // The attempt's own error, at once: the call is not cut, only not retried.
    expect(error).toMatchObject({ code: 'ServerException', retryable: true });
    expect(requests).toBe(1);
    client.destroy();
    await new Promise<void>((resolve) => failing.close(() => resolve()));
  });

  it('has no deadline outside an invocation', () => {
    expect(createInvocationDeadline().remainingMs()).toBeUndefined();
  });
});

describe('retries above the SDK', () => {
  it.each([
    {
      what: 'throttling that outlasted the SDK',
      error: new AwsCallError('ecr', 'DescribeRepositories', 'ThrottlingException', true),
      retried: true,
    },
    {
      what: 'a server fault',
      error: new AwsCallError('sts', 'AssumeRole', 'InternalFailure', true),
      retried: true,
    },
    {
      what: 'a timed-out attempt',
      error: new AwsCallError('ecr', 'DescribeRepositories', 'TimeoutError', true),
      retried: false,
    },
    {
      what: 'a refused connection',
      error: new AwsCallError('sts', 'AssumeRole', 'ECONNREFUSED', true),
      retried: false,
    },
    {
      what: 'a call past its time limit',
      error: new AwsCallError('ecr', 'DescribeRepositories', 'CallTimeoutError', false, {
        cause: new CallTimeoutError('no answer', undefined, 1),
      }),
      retried: false,
    },
    {
      what: 'access denied',
      error: new AwsCallError('ecr', 'DescribeRepositories', 'AccessDeniedException', false),
      retried: false,
    },
  ])('$what: retried again above the SDK: $retried', ({ error, retried }) => {
    expect(isRetryableAnswer(error)).toBe(retried);
  });

  it('stop at the deadline: a page that cannot be read is not retried once the time is up', async () => {
    const memory = createMemoryEcr({ 'team/a': 'MUTABLE' });
    let listings = 0;
    const throttled: EcrAdapter = {
      ...memory,
      async listRepositoryPage() {
        listings += 1;
        throw new AwsCallError('ecr', 'DescribeRepositories', 'ThrottlingException', true);
      },
    };
    const records: AuditRecord[] = [];
    const policy: Policy = {
      target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
      exemptRepositories: [],
    };
    await expect(
      runSweep(
        {
          trigger: 'sweep',
          dryRun: true,
          repositoryNames: undefined,
          resume: undefined,
          maxRepositories: undefined,
        },
        {
          ecr: throttled,
          policy,
          region: 'eu-west-1',
          now: () => new Date('2026-11-30T00:00:00Z'),
          // Less than the safety margin is left: the first page is still read, but never retried.
          remainingMs: () => 10_000,
          safetyMarginMs: 30_000,
          maxConcurrency: 1,
          record: (record) => records.push(record),
          sleep: async () => {},
        },
      ),
    ).rejects.toMatchObject({ code: 'ThrottlingException' });
    expect(listings).toBe(1);
  });
});
