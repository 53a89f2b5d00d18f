/**
 * Organisation scale end to end: the built CLI, the built sweep, scope and guardrail bundles against a small
 * organisation (./org-backend.ts: four ACTIVE accounts × two regions, one of them without its member role,
 * and one SUSPENDED account), on the emulator or, under `npm run test:moto`, on moto. Everything reachable
 * is fixed, the broken account's account-regions end `failed` with STS's `AccessDenied`, the suspended
 * account is listed as skipped, and the exit code says so (1).
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MUTABLE_EVERY, ORG_REGIONS, REPOSITORIES_PER_ACCOUNT_REGION } from '../../scripts/org-seed.ts';
import { runNode } from '../helpers/child-process.ts';
import { loadSampleEvent, projectRoot } from '../helpers/fixtures.ts';
import { fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';
import { type OrgBackend, startOrgBackend } from './org-backend.ts';

const CLI = path.join(projectRoot, 'dist', 'bin', 'ecr-guard.mjs');
const HOME_REGION = 'eu-west-1';
const MUTABLE_PER_ACCOUNT_REGION = REPOSITORIES_PER_ACCOUNT_REGION / MUTABLE_EVERY;

function runCli(args: readonly string[], env: Record<string, string>) {
  return runNode([CLI, ...args], { PATH: process.env.PATH, ...env });
}

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('an organisation, end to end', () => {
  let org: OrgBackend;
  /** Every variable an unmodified SDK needs to reach the backend as the management account. */
  const env = () => ({
    AWS_ENDPOINT_URL: org.url,
    AWS_REGION: HOME_REGION,
    AWS_ACCESS_KEY_ID: org.caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: org.caller.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const mutableIn = (account: string, region: string) => org.mutableIn(account, region);
  /** A Lambda context of a function deployed in the management account. */
  const managementContext = () => ({
    ...fakeContext(60_000),
    invokedFunctionArn: `arn:aws:lambda:${HOME_REGION}:${org.accounts.management}:function:ecr-guard`,
  });

  beforeAll(async () => {
    org = await startOrgBackend();
  });
  beforeEach(async () => {
    await org.reset();
  });
  afterEach(() => restoreBundleEnv());
  afterAll(async () => {
    await org?.stop();
  });

  it('the built CLI sweeps every account-region, counts the broken account failed, lists the suspended one and exits 1', async () => {
    const { management, payments, analytics, legacy, closed } = org.accounts;
    // Act
    const { code, stdout } = await runCli(
      ['sweep', '--org', ...ORG_REGIONS.flatMap((region) => ['--region', region])],
      env(),
    );
    // Assert
    expect(code).toBe(1);
    const lines = jsonLines(stdout);
    const audits = lines.filter((line) => line.type === 'audit');
    expect(audits.length).toBe(3 * ORG_REGIONS.length * MUTABLE_PER_ACCOUNT_REGION);
    for (const line of audits) {
      expect(line).toMatchObject({
        outcome: 'remediated',
        accountId: expect.any(String),
        region: expect.any(String),
      });
    }
    const summaries = lines.filter((line) => line.type === 'summary');
    const statusOf = Object.fromEntries(
      summaries.map((line) => [`${String(line.accountId)} ${String(line.region)}`, line]),
    );
    for (const region of ORG_REGIONS) {
      for (const account of [management, payments, analytics]) {
        expect(statusOf[`${account} ${region}`]).toMatchObject({
          status: 'completed',
          scanned: REPOSITORIES_PER_ACCOUNT_REGION,
        });
        expect(await mutableIn(account, region)).toBe(0);
      }
      expect(statusOf[`${legacy} ${region}`]).toMatchObject({ status: 'failed', errorCode: 'AccessDenied' });
      expect(await mutableIn(legacy, region)).toBe(MUTABLE_PER_ACCOUNT_REGION);
      expect(statusOf[`${closed} ${region}`]).toMatchObject({ status: 'skipped', skipReason: 'suspended' });
    }
    expect(summaries).toHaveLength(5 * ORG_REGIONS.length);
    expect(lines.at(-1)).toMatchObject({
      type: 'total',
      result: 'failed',
      statusCounts: { completed: 6, failed: 2, skipped: 2, incomplete: 0 },
    });
    // One AssumeRole per member account, shared by its regions; none for the caller's own account.
    expect(org.calls().AssumeRole).toBe(3);
  }, 60_000);

  it('the built CLI with --exclude-account leaves the broken account out: skipped, and exit 0', async () => {
    const { legacy } = org.accounts;
    const { code, stdout } = await runCli(
      ['sweep', '--org', '--exclude-account', legacy, '--region', 'eu-west-1', '--json'],
      env(),
    );
    expect(code).toBe(0);
    const summaries = jsonLines(stdout).filter((line) => line.type === 'summary');
    expect(summaries.find((line) => line.accountId === legacy)).toMatchObject({
      status: 'skipped',
      skipReason: 'excluded',
    });
  }, 60_000);

  it('the built CLI check --account over an explicit list exits 3 when a named repository is non-compliant somewhere', async () => {
    const { management, payments } = org.accounts;
    const { code, stdout } = await runCli(
      ['check', 'team-2', '--account', payments, '--account', management, '--region', 'eu-west-1'],
      env(),
    );
    const audits = jsonLines(stdout).filter((line) => line.type === 'audit');
    // Account ids are random on moto: compare as sets, both sides sorted.
    expect(audits.map((line) => line.accountId).sort()).toEqual([management, payments].sort());
    expect(code).toBe(3);
  }, 60_000);

  it('the built sweep bundle sweeps the account-region its payload names, through the member role', async () => {
    const { management, payments } = org.accounts;
    // Arrange
    const handler = await loadBundle('sweep', env());
    // Act
    const summary = await handler({ accountId: payments, region: 'us-east-1' }, managementContext());
    // Assert
    expect(summary).toMatchObject({
      accountId: payments,
      region: 'us-east-1',
      scanned: REPOSITORIES_PER_ACCOUNT_REGION,
      counts: { remediated: MUTABLE_PER_ACCOUNT_REGION, failed: 0 },
    });
    expect(await mutableIn(payments, 'us-east-1')).toBe(0);
    expect(await mutableIn(payments, 'eu-west-1')).toBe(MUTABLE_PER_ACCOUNT_REGION);
    expect(await mutableIn(management, HOME_REGION)).toBe(MUTABLE_PER_ACCOUNT_REGION);
  }, 60_000);

  it('the built sweep bundle fails an account whose member role cannot be assumed with STS’s code, touching nothing', async () => {
    const { legacy } = org.accounts;
    const handler = await loadBundle('sweep', env());
    await expect(handler({ accountId: legacy, region: 'eu-west-1' }, managementContext())).rejects.toThrow(
      /AccessDenied/,
    );
    expect(await mutableIn(legacy, 'eu-west-1')).toBe(MUTABLE_PER_ACCOUNT_REGION);
  }, 60_000);

  it('the built scope bundle lists every account-region item and the skipped account', async () => {
    const { management, payments, analytics, legacy, closed } = org.accounts;
    const handler = await loadBundle('scope', {
      ...env(),
      ORGANIZATION_MODE: 'true',
      SCOPE_REGIONS: ORG_REGIONS.join(','),
    });
    const answer = await handler({}, managementContext());
    expect(answer).toMatchObject({
      count: 4 * ORG_REGIONS.length,
      skipped: [{ accountId: closed, reason: 'suspended' }],
    });
    expect(answer).toHaveProperty(
      'items',
      // In account id order.
      [management, payments, analytics, legacy]
        .sort()
        .flatMap((accountId) =>
          ORG_REGIONS.map((region) => ({ accountId, region, roleName: 'EcrImmutabilityGuardMember' })),
        ),
    );
  }, 60_000);

  it('the built guardrail bundle fixes a repository of a member account from its forwarded event', async () => {
    // Arrange: the sample CreateRepository event, as EventBridge forwards it from the payments account.
    const { payments } = org.accounts;
    await org.seed(payments, 'us-east-1', [{ name: 'payments/api', mutability: 'MUTABLE' }]);
    const sample = loadSampleEvent('create-repository-default-mutable.json');
    const event = { ...sample, account: payments, region: 'us-east-1' };
    const handler = await loadBundle('guardrail', { ...env(), ORGANIZATION_MODE: 'true' });
    // Act
    const summary = await handler(event, managementContext());
    // Assert
    expect(summary).toMatchObject({
      records: [{ outcome: 'remediated', accountId: payments, region: 'us-east-1' }],
    });
    expect((await org.mutabilities(payments, 'us-east-1')).get('payments/api')).toBe('IMMUTABLE');
  }, 60_000);

  it('the built guardrail bundle ignores a member event without organisation mode, and assumes no role', async () => {
    const { payments } = org.accounts;
    const sample = loadSampleEvent('create-repository-default-mutable.json');
    const handler = await loadBundle('guardrail', env());
    const summary = await handler({ ...sample, account: payments, region: 'us-east-1' }, managementContext());
    expect(summary).toMatchObject({
      records: [{ outcome: 'ignored', reason: expect.stringContaining('organisation mode is off') }],
    });
    expect(org.calls().AssumeRole).toBeUndefined();
  }, 60_000);
});
