/**
 * A retry of the account-regions that failed in an earlier organisation sweep (lib/org-retry.ts): the
 * manifest it reads them from, and the scope narrowed to them.
 */
import { describe, expect, it } from 'vitest';
import { narrowScope, parseManifestUri } from '../../lib/org-retry.ts';
import { buildScope, parseScopeRequest } from '../../lib/scope.ts';

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
