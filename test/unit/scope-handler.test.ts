/**
 * The scope function's organisation-sweep actions: the execution's input validated strictly when listing
 * the scope (a typo fails before any child runs), and "summarise" reading a ResultWriter manifest and its
 * result files through the S3 reader, which is tested against a mocked S3 client.
 */
import { Readable } from 'node:stream';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createScopeHandler,
  parseSweepRequest,
  SKIP_REASON_DIMENSION,
  SKIPPED_ACCOUNTS_METRIC,
} from '../../functions/scope/handler.ts';
import { S3_ACTIONS } from '../../lib/iam-actions.ts';
import type { OrganizationLister } from '../../lib/scope.ts';
import { createResultReader, type ResultReader, type ScopeItem } from '../../lib/scope-items.ts';
import { captureEmf } from '../helpers/emf.ts';
import { testConfig, testLogger } from '../helpers/runtime.ts';

const HOME = '111111111111';
const context = { invokedFunctionArn: `arn:aws:lambda:eu-west-1:${HOME}:function:scope` };

const lister: OrganizationLister = {
  describeOrganization: async () => ({ managementAccountId: HOME }),
  listAccounts: async () => [{ accountId: HOME, name: 'management', state: 'ACTIVE' }],
  listAccountsUnder: async () => [],
};

function handlerWith(objects: Record<string, string> = {}) {
  const read: string[] = [];
  const reader: ResultReader = {
    read: async (bucket, key) => {
      read.push(`${bucket}/${key}`);
      const text = objects[`${bucket}/${key}`];
      if (text === undefined) throw new Error(`no object ${bucket}/${key}`);
      return text;
    },
  };
  const handler = createScopeHandler({
    config: testConfig({ ORGANIZATION_MODE: 'true' }),
    logger: testLogger().logger,
    region: 'eu-west-1',
    lister: async () => lister,
    writer: async () => ({ write: async () => {} }),
    reader: async () => reader,
  });
  return { handler, read };
}

describe('the execution input of an organisation sweep', () => {
  it.each([
    { input: undefined, options: {} },
    { input: {}, options: {} },
    { input: { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, options: {} },
    { input: { dryRun: true }, options: { dryRun: true } },
    { input: { dryRun: false, maxRepositories: 500 }, options: { dryRun: false, maxRepositories: 500 } },
  ])('gives every item $options for $input', ({ input, options }) => {
    expect(parseSweepRequest(input)).toEqual({ options });
  });

  it('takes the manifest of an earlier run to retry only its failures', () => {
    expect(parseSweepRequest({ dryRun: true, retryFailedFrom: 'results/0f1e/manifest.json' })).toEqual({
      options: { dryRun: true },
      retryFailedFrom: 'results/0f1e/manifest.json',
    });
  });

  it.each([
    { input: { dryrun: true }, message: 'execution input: Unrecognized key: "dryrun"' },
    { input: { dryRun: 'yes' }, message: 'execution input.dryRun: Invalid input: expected boolean' },
    { input: { maxRepositories: 0 }, message: 'execution input.maxRepositories: Too small' },
    { input: { repositoryNames: ['a'] }, message: 'Unrecognized key: "repositoryNames"' },
    {
      input: { retryFailedFrom: 'scope/run.json' },
      message:
        'execution input.retryFailedFrom: must be the manifest of an earlier run, results/<map run>/manifest.json, got "scope/run.json"',
    },
    {
      input: { retryFailedFrom: 'arn:aws:states:eu-west-1:111111111111:execution:org:run' },
      message: 'execution input.retryFailedFrom: must be the manifest of an earlier run',
    },
  ])('refuses $input naming what was written', ({ input, message }) => {
    expect(() => parseSweepRequest(input)).toThrow(message);
  });

  it('answers the validated options next to the scope when listing with a request', async () => {
    const { handler } = handlerWith();
    const answer = await handler(
      { bucket: 'guard-results', key: 'scope/run.json', request: { dryRun: true } },
      context,
    );
    expect(answer).toEqual({
      bucket: 'guard-results',
      key: 'scope/run.json',
      count: 1,
      skipped: [],
      request: { dryRun: true },
    });
  });

  it('fails the listing when the request has a typo', async () => {
    const { handler } = handlerWith();
    await expect(handler({ bucket: 'guard-results', request: { dryrun: true } }, context)).rejects.toThrow(
      'invalid input: execution input: Unrecognized key: "dryrun"',
    );
  });
});

describe('summarising a ResultWriter manifest', () => {
  const counts = { compliant: 2, remediated: 1, 'would-remediate': 0, exempt: 0, gone: 0, failed: 0 };
  const objects = {
    'guard-results/results/run/manifest.json': JSON.stringify({
      DestinationBucket: 'guard-results',
      MapRunArn: 'arn:aws:states:eu-west-1:111111111111:mapRun:org/SweepAccountRegions:run',
      ResultFiles: {
        FAILED: [{ Key: 'results/run/FAILED_0.json', Size: 1 }],
        PENDING: [],
        SUCCEEDED: [{ Key: 'results/run/SUCCEEDED_0.json', Size: 1 }],
      },
    }),
    'guard-results/results/run/SUCCEEDED_0.json': JSON.stringify([
      {
        Name: 'a',
        Status: 'SUCCEEDED',
        Input: '{"accountId":"222222222222","region":"eu-west-1"}',
        Output: JSON.stringify({
          accountId: '222222222222',
          region: 'eu-west-1',
          counts,
          scanned: 3,
          pages: 1,
        }),
      },
    ]),
    'guard-results/results/run/FAILED_0.json': JSON.stringify([
      {
        Name: 'b',
        Status: 'FAILED',
        Input: '{"accountId":"444444444444","region":"eu-west-1"}',
        Error: 'AwsCallError',
        Cause: 'not json',
      },
    ]),
  };

  it('reads the manifest, then every result file it lists, and sums them', async () => {
    const { handler, read } = handlerWith(objects);
    const totals = await handler({
      summarize: { bucket: 'guard-results', key: 'results/run/manifest.json' },
    });
    expect(read).toEqual([
      'guard-results/results/run/manifest.json',
      'guard-results/results/run/SUCCEEDED_0.json',
      'guard-results/results/run/FAILED_0.json',
    ]);
    expect(totals).toMatchObject({
      accountRegions: 2,
      failedAccountRegions: 1,
      counts,
      scanned: 3,
      failures: [
        { accountId: '444444444444', region: 'eu-west-1', error: 'AwsCallError', countsKnown: false },
      ],
      cause: expect.stringMatching(
        /^1 of 2 account-regions failed: 444444444444\/eu-west-1 \(AwsCallError\)/,
      ),
    });
  });

  it.each([
    { payload: { summarize: { bucket: 'guard-results' } }, message: 'summarize.key: Invalid input' },
    {
      payload: { summarize: { bucket: 'Bad_Bucket', key: 'k' } },
      message: 'summarize.bucket: must be an S3 bucket name',
    },
    {
      payload: { summarize: { bucket: 'guard-results', key: 'k', extra: 1 } },
      message: 'Unrecognized key: "extra"',
    },
    { payload: { summarize: {}, bucket: 'guard-results' }, message: 'Unrecognized key: "bucket"' },
  ])('refuses $payload naming the field', async ({ payload, message }) => {
    const { handler } = handlerWith(objects);
    await expect(handler(payload)).rejects.toThrow(message);
  });

  it('fails naming the file when a result file is malformed', async () => {
    const { handler } = handlerWith({ ...objects, 'guard-results/results/run/FAILED_0.json': '{"oops":1}' });
    await expect(
      handler({ summarize: { bucket: 'guard-results', key: 'results/run/manifest.json' } }),
    ).rejects.toThrow('results/run/FAILED_0.json: Invalid input: expected array, received object');
  });
});

describe('the S3 result reader', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it('reads an object as text through GetObject, declared in S3_ACTIONS', async () => {
    s3.on(GetObjectCommand).resolves({ Body: sdkStreamMixin(Readable.from([Buffer.from('[1,2]')])) });
    const text = await createResultReader(new S3Client({ region: 'eu-west-1' })).read(
      'guard-results',
      'k.json',
    );
    expect(text).toBe('[1,2]');
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'guard-results',
      Key: 'k.json',
    });
    expect(S3_ACTIONS.readResults).toEqual(['s3:GetObject']);
  });

  it('translates an S3 error into AwsCallError naming the operation', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await expect(
      createResultReader(new S3Client({ region: 'eu-west-1' }), { baseDelayMs: 0 }).read(
        'guard-results',
        'k.json',
      ),
    ).rejects.toThrow(/s3:GetObject failed with AccessDenied/);
  });
});

describe('the management account in the scope function', () => {
  const MANAGEMENT = '999999999999';
  const MEMBER = '222222222222';
  const organisation: OrganizationLister = {
    describeOrganization: async () => ({ managementAccountId: MANAGEMENT }),
    listAccounts: async () => [
      { accountId: HOME, name: 'security', state: 'ACTIVE' },
      { accountId: MANAGEMENT, name: 'management', state: 'ACTIVE' },
      { accountId: MEMBER, name: 'payments', state: 'ACTIVE' },
    ],
    listAccountsUnder: async () => [],
  };
  const scopeHandler = (env: Record<string, string> = {}, metrics?: Metrics) =>
    createScopeHandler({
      config: testConfig({ ORGANIZATION_MODE: 'true', ...env }),
      logger: testLogger().logger,
      region: 'eu-west-1',
      lister: async () => organisation,
      writer: async () => ({ write: async () => {} }),
      ...(metrics === undefined ? {} : { metrics }),
    });

  it('is skipped with its reason in the scope summary, and counted in SkippedAccounts by reason', async () => {
    const emf = captureEmf();
    try {
      const answer = await scopeHandler({ EXCLUDED_ACCOUNTS: MEMBER }, emf.metrics)({}, context);
      expect(answer).toMatchObject({
        items: [{ accountId: HOME, region: 'eu-west-1' }],
        skipped: [
          { accountId: MEMBER, reason: 'excluded' },
          {
            accountId: MANAGEMENT,
            name: 'management',
            reason: 'management-account',
            detail: expect.stringContaining('no member role'),
          },
        ],
      });
      const documents = emf.documents().filter((document) => SKIPPED_ACCOUNTS_METRIC in document.metrics);
      expect(
        documents.map((document) => [document.dimensions, document.dimensionValues, document.metrics]),
      ).toEqual([
        [
          [['service', SKIP_REASON_DIMENSION]],
          { service: 'test', SkipReason: 'excluded' },
          { SkippedAccounts: 1 },
        ],
        [
          [['service', SKIP_REASON_DIMENSION]],
          { service: 'test', SkipReason: 'management-account' },
          { SkippedAccounts: 1 },
        ],
      ]);
    } finally {
      emf.stop();
    }
  });

  it('is swept with includeManagementAccount', async () => {
    const answer = await scopeHandler({ INCLUDE_MANAGEMENT_ACCOUNT: 'true' })({}, context);
    expect(answer).toMatchObject({ count: 3, skipped: [] });
  });

  it('is swept when the scope function runs in the management account itself', async () => {
    const answer = await scopeHandler()(
      {},
      { invokedFunctionArn: `arn:aws:lambda:eu-west-1:${MANAGEMENT}:function:scope` },
    );
    expect(answer).toMatchObject({ count: 3, skipped: [] });
  });
});

describe('retrying only the account-regions that failed in an earlier run', () => {
  const MEMBER = '222222222222';
  const GONE = '333333333333';
  const zero = { compliant: 0, remediated: 0, 'would-remediate': 0, exempt: 0, gone: 0, failed: 0 };
  const organisation: OrganizationLister = {
    describeOrganization: async () => ({ managementAccountId: HOME }),
    listAccounts: async () => [
      { accountId: HOME, name: 'management', state: 'ACTIVE' },
      { accountId: MEMBER, name: 'payments', state: 'ACTIVE' },
      { accountId: GONE, name: 'closed since', state: 'SUSPENDED' },
    ],
    listAccountsUnder: async () => [],
  };
  const run = 'results/0f1e';
  const objects: Record<string, string> = {
    [`guard-results/${run}/manifest.json`]: JSON.stringify({
      DestinationBucket: 'guard-results',
      MapRunArn: 'arn:aws:states:eu-west-1:111111111111:mapRun:org/SweepAccountRegions:0f1e',
      ResultFiles: {
        SUCCEEDED: [{ Key: `${run}/SUCCEEDED_0.json`, Size: 1 }],
        FAILED: [{ Key: `${run}/FAILED_0.json`, Size: 1 }],
      },
    }),
    [`guard-results/${run}/SUCCEEDED_0.json`]: JSON.stringify([
      {
        Status: 'SUCCEEDED',
        Input: JSON.stringify({ accountId: HOME, region: 'eu-west-1' }),
        Output: JSON.stringify({ accountId: HOME, region: 'eu-west-1', counts: zero, scanned: 0, pages: 1 }),
      },
    ]),
    [`guard-results/${run}/FAILED_0.json`]: JSON.stringify([
      {
        Status: 'FAILED',
        Input: JSON.stringify({ accountId: MEMBER, region: 'us-east-1' }),
        Error: 'AwsCallError',
      },
      {
        Status: 'FAILED',
        Input: JSON.stringify({ accountId: GONE, region: 'eu-west-1' }),
        Error: 'AwsCallError',
      },
    ]),
  };

  it('writes only the failed account-regions still in scope as items, naming the ones it drops', async () => {
    const written: { key: string; items: readonly ScopeItem[] }[] = [];
    const handler = createScopeHandler({
      config: testConfig({ ORGANIZATION_MODE: 'true', SCOPE_REGIONS: 'eu-west-1,us-east-1' }),
      logger: testLogger().logger,
      region: 'eu-west-1',
      lister: async () => organisation,
      writer: async () => ({ write: async (_bucket, key, items) => void written.push({ key, items }) }),
      reader: async () => ({
        read: async (bucket, key) => {
          const text = objects[`${bucket}/${key}`];
          if (text === undefined) throw new Error(`no object ${bucket}/${key}`);
          return text;
        },
      }),
    });
    const answer = await handler(
      {
        bucket: 'guard-results',
        key: 'scope/retry-1.json',
        request: { dryRun: true, retryFailedFrom: `${run}/manifest.json` },
      },
      context,
    );
    expect(written).toEqual([
      {
        key: 'scope/retry-1.json',
        items: [{ accountId: MEMBER, region: 'us-east-1', roleName: 'EcrImmutabilityGuardMember' }],
      },
    ]);
    expect(answer).toMatchObject({
      count: 1,
      request: { dryRun: true },
      retry: {
        from: `${run}/manifest.json`,
        failedAccountRegions: 2,
        notInScope: [{ accountId: GONE, region: 'eu-west-1' }],
        unidentified: 0,
      },
    });
  });

  it('fails naming the file when the earlier run’s manifest cannot be read', async () => {
    const handler = createScopeHandler({
      config: testConfig({ ORGANIZATION_MODE: 'true' }),
      logger: testLogger().logger,
      region: 'eu-west-1',
      lister: async () => organisation,
      writer: async () => ({ write: async () => {} }),
      reader: async () => ({ read: async (_bucket, key) => `not json ${key}` }),
    });
    await expect(
      handler({ bucket: 'guard-results', request: { retryFailedFrom: 'results/x/manifest.json' } }, context),
    ).rejects.toThrow('results/x/manifest.json: not JSON');
  });
});
