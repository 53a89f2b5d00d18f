/**
 * A retry of the account-regions that failed in an earlier organisation sweep (lib/org-retry.ts): the
 * manifest it reads them from, and the scope narrowed to them.
 */
import { describe, expect, it } from 'vitest';
import { narrowScope, narrowToFailures, parseManifestUri } from '../../lib/org-retry.ts';
import { buildScope, parseScopeRequest } from '../../lib/scope.ts';
import type { ResultReader } from '../../lib/scope-items.ts';

const A = '111111111111';
const B = '222222222222';
const C = '333333333333';

describe('the manifest a retry reads the failures from, as an S3 URI', () => {
  it('is the bucket and the key of a ResultWriter manifest under results/', () => {
    expect(parseManifestUri('s3://guard-results/results/0f1e-2a/manifest.json')).toEqual({
      bucket: 'guard-results',
      key: 'results/0f1e-2a/manifest.json',
    });
  });

  it.each([
    'guard-results/results/0f1e/manifest.json',
    's3://guard-results/scope/run.json',
    's3://Guard_Results/results/0f1e/manifest.json',
    's3://guard-results/results/0f1e/SUCCEEDED_0.json',
  ])('refuses %s naming the flag and what was written', (text) => {
    expect(() => parseManifestUri(text)).toThrow(
      `--retry-failed-from: must be the ResultWriter manifest of an earlier organisation sweep, s3://<results bucket>/results/<map run>/manifest.json, got '${text}'`,
    );
  });
});

describe('narrowScope', () => {
  const scope = buildScope(
    parseScopeRequest({ accounts: [A, B, C], excludeAccounts: [C], regions: ['eu-west-1', 'us-east-1'] }),
  );

  it('keeps only the given account-regions of the scope, and the accounts they belong to', () => {
    const { scope: narrowed, dropped } = narrowScope(scope, [
      { accountId: B, region: 'us-east-1' },
      { accountId: B, region: 'us-east-1' },
    ]);
    expect(narrowed.targets).toEqual([{ accountId: B, region: 'us-east-1' }]);
    expect(narrowed.accounts.map((a) => a.accountId)).toEqual([B]);
    expect(narrowed.skipped).toEqual(scope.skipped);
    expect(dropped).toEqual([]);
  });

  it('names the given account-regions the scope no longer holds', () => {
    const { scope: narrowed, dropped } = narrowScope(scope, [
      { accountId: A, region: 'eu-west-1' },
      { accountId: C, region: 'eu-west-1' },
      { accountId: A, region: 'ap-south-1' },
    ]);
    expect(narrowed.targets).toEqual([{ accountId: A, region: 'eu-west-1' }]);
    expect(dropped).toEqual([
      { accountId: C, region: 'eu-west-1' },
      { accountId: A, region: 'ap-south-1' },
    ]);
  });
});

describe('narrowToFailures', () => {
  const scope = buildScope(parseScopeRequest({ accounts: [A, B], regions: ['eu-west-1', 'us-east-1'] }));
  const child = (accountId: string, region: string, Status: string) => ({
    Status,
    Error: 'States.Timeout',
    Input: JSON.stringify({ accountId, region }),
  });
  const objects: Record<string, string> = {
    'guard-results/results/0f1e/manifest.json': JSON.stringify({
      DestinationBucket: 'guard-results',
      MapRunArn: 'arn:aws:states:eu-west-1:111111111111:mapRun:org/SweepAccountRegions:0f1e',
      ResultFiles: { FAILED: [{ Key: 'results/0f1e/FAILED_0.json', Size: 1 }] },
    }),
    'guard-results/results/0f1e/FAILED_0.json': JSON.stringify([
      child(B, 'us-east-1', 'FAILED'),
      child(C, 'eu-west-1', 'FAILED'),
      { Status: 'ABORTED', Input: 'not json' },
    ]),
  };
  const reader: ResultReader = {
    async read(bucket, key) {
      const text = objects[`${bucket}/${key}`];
      if (text === undefined) throw new Error(`no object s3://${bucket}/${key}`);
      return text;
    },
  };

  it('narrows the scope to the failed account-regions it still holds and reports the rest', async () => {
    const { scope: narrowed, retry } = await narrowToFailures(scope, reader, {
      bucket: 'guard-results',
      key: 'results/0f1e/manifest.json',
    });
    expect(narrowed).toEqual({
      accounts: [{ accountId: B, name: undefined }],
      skipped: [],
      regions: ['eu-west-1', 'us-east-1'],
      targets: [{ accountId: B, region: 'us-east-1' }],
    });
    expect(retry).toEqual({
      from: 'results/0f1e/manifest.json',
      failedAccountRegions: 2,
      notInScope: [{ accountId: C, region: 'eu-west-1' }],
      unidentified: 1,
    });
  });
});
