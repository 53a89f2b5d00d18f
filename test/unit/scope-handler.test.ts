/**
 * The scope function's organisation-sweep actions: the execution's input validated strictly when listing
 * the scope (a typo fails before any child runs), and "summarise" reading a ResultWriter manifest and its
 * result files through the S3 reader, which is tested against a mocked S3 client.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createScopeHandler, parseSweepRequest } from '../../functions/scope/handler.ts';
import type { OrganizationLister } from '../../lib/scope.ts';
import { createResultReader, type ResultReader, S3_ACTIONS } from '../../lib/scope-items.ts';
import { testConfig, testLogger } from '../helpers/runtime.ts';

const HOME = '111111111111';
const context = { invokedFunctionArn: `arn:aws:lambda:eu-west-1:${HOME}:function:scope` };

const lister: OrganizationLister = {
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
    expect(parseSweepRequest(input)).toEqual(options);
  });

  it.each([
    { input: { dryrun: true }, message: 'execution input: Unrecognized key: "dryrun"' },
    { input: { dryRun: 'yes' }, message: 'execution input.dryRun: Invalid input: expected boolean' },
    { input: { maxRepositories: 0 }, message: 'execution input.maxRepositories: Too small' },
    { input: { repositoryNames: ['a'] }, message: 'Unrecognized key: "repositoryNames"' },
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
