/**
 * The organisation sweep's S3 side, end to end: the BUILT scope bundle (dist/scope) against an organisation
 * (./org-backend.ts) and a real S3 wire protocol: the emulator's organisation and S3, or moto's under
 * `npm run test:moto`.
 * "List the scope" writes the Distributed Map's items object through the SDK's S3 client; "Summarise" reads a
 * ResultWriter manifest and its result files (test/helpers/state-machine.ts writes them as AWS documents
 * them) and sums them; a missing manifest fails the invocation with S3's NoSuchKey, once, without retries.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ORG_REGIONS } from '../../scripts/org-seed.ts';
import { fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';
import { type Execution, resultWriterObjects } from '../helpers/state-machine.ts';
import { type OrgBackend, startOrgBackend } from './org-backend.ts';

const HOME_REGION = 'eu-west-1';
const ROLE_NAME = 'EcrImmutabilityGuardMember';

/** A child outcome as the per-account-region sweep ends (lib/org-results.ts `ChildOutcome`). */
function outcome(accountId: string, region: string, counts: Partial<Record<string, number>>) {
  const full = {
    compliant: 0,
    remediated: 0,
    'would-remediate': 0,
    exempt: 0,
    gone: 0,
    failed: 0,
    ...counts,
  };
  const scanned = Object.values(full).reduce((sum, count) => sum + count, 0);
  return { accountId, region, counts: full, scanned, pages: 1 };
}

type ChildResult = Pick<Execution, 'name' | 'status' | 'input' | 'output' | 'error' | 'cause'>;

function child(index: number, fields: Omit<ChildResult, 'name'>): ChildResult {
  return { name: `run-Sweep-${index}`, ...fields };
}

describe('the built scope bundle and S3, end to end', () => {
  let org: OrgBackend;
  let s3: S3Client;
  let bucket: string;
  const managementContext = () => ({
    ...fakeContext(60_000),
    invokedFunctionArn: `arn:aws:lambda:${HOME_REGION}:${org.accounts.management}:function:ecr-guard-scope`,
  });
  const env = () => ({
    AWS_ENDPOINT_URL: org.url,
    AWS_REGION: HOME_REGION,
    AWS_ACCESS_KEY_ID: org.caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: org.caller.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ORGANIZATION_MODE: 'true',
    SCOPE_REGIONS: ORG_REGIONS.join(','),
  });
  const read = async (key: string) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { text: (await object.Body?.transformToString('utf-8')) ?? '', contentType: object.ContentType };
  };

  beforeAll(async () => {
    org = await startOrgBackend();
  });
  beforeEach(async () => {
    await org.reset();
    s3 = new S3Client({
      region: HOME_REGION,
      endpoint: org.url,
      credentials: await org.credentialsIn(org.accounts.management),
    });
    bucket = `guard-sweep-${randomUUID().slice(0, 8)}`;
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: HOME_REGION },
      }),
    );
  });
  afterEach(() => {
    restoreBundleEnv();
    s3.destroy();
  });
  afterAll(async () => {
    await org?.stop();
  });

  it('"list the scope" writes every account-region item to the bucket as one JSON array, and answers only where', async () => {
    const { management, payments, analytics, legacy, closed } = org.accounts;
    const handler = await loadBundle('scope', env());
    const answer = await handler(
      { bucket, key: 'ecr-immutability-guard/scope/run-1.json', request: { dryRun: true } },
      managementContext(),
    );
    expect(answer).toEqual({
      bucket,
      key: 'ecr-immutability-guard/scope/run-1.json',
      count: 4 * ORG_REGIONS.length,
      skipped: [expect.objectContaining({ accountId: closed, reason: 'suspended' })],
      request: { dryRun: true },
    });
    expect(answer).not.toHaveProperty('items');
    const written = await read('ecr-immutability-guard/scope/run-1.json');
    expect(written.contentType).toBe('application/json');
    expect(JSON.parse(written.text)).toEqual(
      [management, payments, analytics, legacy]
        .sort()
        .flatMap((accountId) => ORG_REGIONS.map((region) => ({ accountId, region, roleName: ROLE_NAME }))),
    );
  }, 60_000);

  it('"list the scope" without a key writes under ecr-immutability-guard/scope/ with the time in the name', async () => {
    // moto checks S3 signatures only with its IAM checks on, and then refuses a key with `:` (it signs the
    // key decoded; SigV4 signs it URI-encoded, as the SDK does and S3 checks it).
    await org.allowEveryCall();
    const handler = await loadBundle('scope', env());
    const answer = await handler({ bucket }, managementContext());
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'ecr-immutability-guard/scope/' }),
    );
    const keys = (listed.Contents ?? []).map((entry) => entry.Key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^ecr-immutability-guard\/scope\/\d{4}-\d{2}-\d{2}T[\d:.]+Z\.json$/);
    expect(answer).toMatchObject({ bucket, key: keys[0], count: 4 * ORG_REGIONS.length });
  }, 60_000);

  it('"summarise" reads the ResultWriter manifest and result files from the bucket and sums every child', async () => {
    // Arrange: what the Distributed Map's ResultWriter writes after six children: four succeeded (one with a
    // failed repository), one failed with its counts in the cause, one failed without them.
    const { management, payments, analytics, legacy } = org.accounts;
    const results: ChildResult[] = [
      child(0, {
        status: 'SUCCEEDED',
        input: { accountId: management, region: 'eu-west-1' },
        output: outcome(management, 'eu-west-1', { compliant: 3, remediated: 3 }),
      }),
      child(1, {
        status: 'SUCCEEDED',
        input: { accountId: management, region: 'us-east-1' },
        output: outcome(management, 'us-east-1', { compliant: 6 }),
      }),
      child(2, {
        status: 'SUCCEEDED',
        input: { accountId: payments, region: 'eu-west-1' },
        output: outcome(payments, 'eu-west-1', { compliant: 2, remediated: 3, exempt: 1 }),
      }),
      child(3, {
        status: 'SUCCEEDED',
        input: { accountId: payments, region: 'us-east-1' },
        output: outcome(payments, 'us-east-1', { compliant: 3, remediated: 2, failed: 1 }),
      }),
      child(4, {
        status: 'FAILED',
        input: { accountId: analytics, region: 'eu-west-1' },
        error: 'AwsCallError',
        cause: JSON.stringify({ ...outcome(analytics, 'eu-west-1', { compliant: 2 }), message: 'throttled' }),
      }),
      child(5, {
        status: 'FAILED',
        input: { accountId: legacy, region: 'eu-west-1' },
        error: 'States.TaskFailed',
        cause: 'sts:AssumeRole failed with AccessDenied',
      }),
    ];
    const { objects, details } = resultWriterObjects({
      bucket,
      prefix: 'results',
      stateName: 'Sweep every account-region',
      mapRunId: 'run-1',
      results,
    });
    for (const object of objects)
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: object.body }));
    const handler = await loadBundle('scope', env());
    // Act
    const totals = await handler(
      { summarize: { bucket, key: details.ResultWriterDetails.Key } },
      managementContext(),
    );
    // Assert
    expect(details.ResultWriterDetails.Key).toBe('results/run-1/manifest.json');
    expect(totals).toMatchObject({
      accountRegions: 6,
      failedAccountRegions: 3,
      counts: { compliant: 16, remediated: 8, 'would-remediate': 0, exempt: 1, gone: 0, failed: 1 },
      scanned: 26,
      failures: [
        { accountId: payments, region: 'us-east-1', error: 'RepositoriesFailed', countsKnown: true },
        { accountId: analytics, region: 'eu-west-1', error: 'AwsCallError', countsKnown: true },
        { accountId: legacy, region: 'eu-west-1', error: 'States.TaskFailed', countsKnown: false },
      ],
      cause: expect.stringMatching(/^3 of 6 account-regions failed: /),
    });
  }, 60_000);

  const missingManifest = (handler: Awaited<ReturnType<typeof loadBundle>>) =>
    handler({ summarize: { bucket, key: 'results/never-written/manifest.json' } }, managementContext());

  it('"summarise" with a missing manifest fails the invocation with S3\'s NoSuchKey, named', async () => {
    const handler = await loadBundle('scope', env());
    await expect(missingManifest(handler)).rejects.toMatchObject({
      name: 'AwsCallError',
      code: 'NoSuchKey',
      retryable: false,
      message: expect.stringMatching(/^s3:GetObject failed with NoSuchKey/),
    });
  }, 60_000);

  it('"summarise" with a missing manifest asks S3 once: no retries', async () => {
    const handler = await loadBundle('scope', env());
    org.clearCalls();
    await expect(missingManifest(handler)).rejects.toThrow(/NoSuchKey/);
    expect(org.operations().GetObject).toEqual({ calls: 1, ok: 0, errors: { NoSuchKey: 1 } });
  }, 60_000);
});
