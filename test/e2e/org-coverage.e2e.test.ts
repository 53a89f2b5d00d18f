/**
 * What an organisation sweep covers, end to end: the BUILT scope and sweep bundles against the emulator as an
 * organisation (scripts/org-seed.ts), through the real SDK clients.
 * - The management account: a central deployment in a delegated administrator account lists it as skipped,
 *   with its reason (no member role by design), and counts it in `SkippedAccounts`; asked to, or running in
 *   the management account itself, it sweeps it (Organizations `DescribeOrganization`).
 * - The guard's own footprint: an organisation child's first page reads the account-region's forwarding rule
 *   through the member role (EventBridge `DescribeRule` / `ListTargetsByRule`), answers it unguarded when the
 *   rule is disabled or gone, counts it in `UnguardedAccountRegions` (per account too), and still fixes the
 *   repositories.
 * - The built CLI: the management account skipped with its reason (exit 0) or, with
 *   `--include-management-account`, swept; `--retry-failed-from` acting only on an earlier run's failures.
 * Metrics are read as CloudWatch would, from the EMF lines the bundles write.
 */

import path from 'node:path';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AdminClient,
  emulatorAdmin,
  type RunningEmulator,
  startEmulator,
} from '../../emulator/index.ts';
import { FORWARDING_RULE_NAME, UNGUARDED_METRIC } from '../../lib/forwarding.ts';
import {
  MANAGEMENT_ACCESS_KEY,
  MUTABLE_EVERY,
  ORG_ACCOUNTS,
  ORG_REGIONS,
  ORG_ROLE_NAME,
  orgSeed,
  REPOSITORIES_PER_ACCOUNT_REGION,
} from '../../scripts/org-seed.ts';
import { runNode } from '../helpers/child-process.ts';
import { captureStdoutEmf, type EmfDocument } from '../helpers/emf.ts';
import { projectRoot } from '../helpers/fixtures.ts';
import { fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';
import { resultWriterObjects } from '../helpers/state-machine.ts';

const { management, payments, analytics, legacy, closed } = ORG_ACCOUNTS;
const HOME_REGION = 'eu-west-1';
/** The access key of the security account, a delegated administrator in {@link delegatedSeed}. */
const SECURITY_ACCESS_KEY = 'AKIASECURITY00000001';
const CENTRAL_BUS = `arn:aws:events:${HOME_REGION}:${analytics}:event-bus/central`;
const MUTABLE = REPOSITORIES_PER_ACCOUNT_REGION / MUTABLE_EVERY;

/** The demo organisation, with `analytics` a delegated administrator holding the central deployment. */
function delegatedSeed() {
  const seed = orgSeed();
  return {
    ...seed,
    organization: { managementAccount: management, delegatedAdministrators: [analytics] },
    accounts: (seed.accounts ?? []).map((account) =>
      account.id === analytics ? { ...account, accessKeyIds: [SECURITY_ACCESS_KEY] } : account,
    ),
  };
}

const contextIn = (account: string, name: string) => ({
  ...fakeContext(60_000),
  invokedFunctionArn: `arn:aws:lambda:${HOME_REGION}:${account}:function:${name}`,
});

describe('what an organisation sweep covers, with the built bundles', () => {
  let emulator: RunningEmulator;
  let admin: AdminClient;
  let emf: ReturnType<typeof captureStdoutEmf> | undefined;
  const env = (accessKey: string, more: Record<string, string> = {}) => ({
    AWS_ENDPOINT_URL: emulator.url,
    AWS_REGION: HOME_REGION,
    AWS_ACCESS_KEY_ID: accessKey,
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'false',
    ORGANIZATION_MODE: 'true',
    SCOPE_REGIONS: ORG_REGIONS.join(','),
    ...more,
  });
  const documentsWith = (metric: string): EmfDocument[] =>
    (emf?.documents() ?? []).filter((document) => metric in document.metrics);

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    admin = emulatorAdmin(emulator.url);
  });
  beforeEach(async () => {
    await admin.reset();
    emf = captureStdoutEmf();
  });
  afterEach(() => {
    emf?.stop();
    emf = undefined;
    restoreBundleEnv();
  });
  afterAll(async () => {
    await emulator.stop();
  });

  describe('the management account', () => {
    it('is skipped, with its reason, by a delegated administrator’s scope, and counted in SkippedAccounts', async () => {
      await admin.organization(delegatedSeed());
      const scope = await loadBundle('scope', env(SECURITY_ACCESS_KEY));
      const answer = await scope({}, contextIn(analytics, 'scope'));
      expect(answer).toMatchObject({
        count: 3 * ORG_REGIONS.length,
        skipped: [
          {
            accountId: management,
            name: 'management',
            reason: 'management-account',
            detail: expect.stringContaining('service-managed StackSets deploy no member role there'),
          },
          { accountId: closed, reason: 'suspended' },
        ],
      });
      expect(
        documentsWith('SkippedAccounts').map((document) => ({
          reason: document.dimensionValues.SkipReason,
          count: document.metrics.SkippedAccounts,
        })),
      ).toEqual([
        { reason: 'management-account', count: 1 },
        { reason: 'suspended', count: 1 },
      ]);
      const { operations } = await admin.stats({ account: analytics });
      expect(operations.DescribeOrganization).toEqual({ calls: 1, ok: 1, errors: {} });
    });

    it('is swept with includeManagementAccount, without asking who it is', async () => {
      await admin.organization(delegatedSeed());
      const scope = await loadBundle(
        'scope',
        env(SECURITY_ACCESS_KEY, { INCLUDE_MANAGEMENT_ACCOUNT: 'true' }),
      );
      const answer = await scope({}, contextIn(analytics, 'scope'));
      expect(answer).toMatchObject({
        count: 4 * ORG_REGIONS.length,
        skipped: [{ accountId: closed, reason: 'suspended' }],
      });
      expect((await admin.stats({ account: analytics })).operations.DescribeOrganization).toBeUndefined();
    });

    it('is swept by a central deployment in the management account itself', async () => {
      await admin.organization(orgSeed());
      const scope = await loadBundle('scope', env(MANAGEMENT_ACCESS_KEY));
      const answer = await scope({}, contextIn(management, 'scope'));
      expect(answer).toMatchObject({
        count: 4 * ORG_REGIONS.length,
        skipped: [{ accountId: closed, reason: 'suspended' }],
      });
    });
  });

  describe('the forwarding rule of an account-region', () => {
    /** Puts the member stack's forwarding rule in payments' Region, as payments, through the member role. */
    async function installForwarding(region: string, state: 'ENABLED' | 'DISABLED') {
      const sts = new STSClient({
        region: HOME_REGION,
        endpoint: emulator.url,
        credentials: { accessKeyId: MANAGEMENT_ACCESS_KEY, secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      const { Credentials } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${payments}:role/${ORG_ROLE_NAME}`,
          RoleSessionName: 'install',
        }),
      );
      sts.destroy();
      const events = new EventBridgeClient({
        region,
        endpoint: emulator.url,
        credentials: {
          accessKeyId: Credentials?.AccessKeyId ?? '',
          secretAccessKey: Credentials?.SecretAccessKey ?? '',
          sessionToken: Credentials?.SessionToken ?? '',
        },
        maxAttempts: 1,
      });
      await events.send(
        new PutRuleCommand({
          Name: FORWARDING_RULE_NAME,
          EventPattern: '{"source":["aws.ecr"]}',
          State: state,
        }),
      );
      await events.send(
        new PutTargetsCommand({
          Rule: FORWARDING_RULE_NAME,
          Targets: [{ Id: 'CentralBus', Arn: CENTRAL_BUS }],
        }),
      );
      events.destroy();
    }
    const child = { accountId: payments, region: 'us-east-1', roleName: ORG_ROLE_NAME };
    const sweepEnv = () => env(MANAGEMENT_ACCESS_KEY, { CENTRAL_EVENT_BUS_ARN: CENTRAL_BUS });

    beforeEach(async () => {
      await admin.organization(orgSeed());
    });

    it('is read through the member role: guarded when enabled and targeting the central bus', async () => {
      await installForwarding('us-east-1', 'ENABLED');
      const sweep = await loadBundle('sweep', sweepEnv());
      const summary = await sweep(child, contextIn(management, 'sweep'));
      expect(summary).toMatchObject({ forwarding: { status: 'guarded' }, counts: { remediated: MUTABLE } });
      expect(documentsWith(UNGUARDED_METRIC)).toEqual([]);
      const { operations } = await admin.stats({ account: payments, region: 'us-east-1' });
      expect(operations.DescribeRule).toEqual({ calls: 1, ok: 1, errors: {} });
      expect(operations.ListTargetsByRule).toEqual({ calls: 1, ok: 1, errors: {} });
    });

    it.each([
      ['disabled', async () => installForwarding('us-east-1', 'DISABLED'), 'is DISABLED, not ENABLED'],
      ['missing', async () => {}, 'does not exist on the default event bus'],
    ])(
      'counts the account-region unguarded when its rule is %s, per account too, and fixes it all the same',
      async (_, arrange, reason) => {
        await arrange();
        const sweep = await loadBundle('sweep', sweepEnv());
        const summary = await sweep(child, contextIn(management, 'sweep'));
        expect(summary).toMatchObject({
          forwarding: { status: 'unguarded', reason: expect.stringContaining(reason) },
          scanned: REPOSITORIES_PER_ACCOUNT_REGION,
          counts: { remediated: MUTABLE },
        });
        expect(
          documentsWith(UNGUARDED_METRIC).map((document) => [document.dimensions, document.dimensionValues]),
        ).toEqual(
          expect.arrayContaining([
            [[['service']], { service: 'ecr-immutability-guard' }],
            [[['service', 'AccountId']], { service: 'ecr-immutability-guard', AccountId: payments }],
          ]),
        );
        const repositories = (await admin.repositories({ account: payments, region: 'us-east-1' }))
          .repositories;
        expect(repositories.filter((repository) => repository.imageTagMutability !== 'IMMUTABLE')).toEqual(
          [],
        );
      },
    );

    it('leaves a member whose role cannot be assumed failed with STS’s code, unchecked', async () => {
      const sweep = await loadBundle('sweep', sweepEnv());
      await expect(
        sweep({ ...child, accountId: legacy }, contextIn(management, 'sweep')),
      ).rejects.toMatchObject({ code: 'AccessDenied' });
      expect((await admin.stats({ account: legacy })).operations.DescribeRule).toBeUndefined();
    });
  });

  describe('the built CLI', () => {
    const CLI = path.join(projectRoot, 'dist', 'bin', 'ecr-guard.mjs');
    const cliEnv = (accessKey: string) => ({
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL: emulator.url,
      AWS_REGION: HOME_REGION,
      AWS_ACCESS_KEY_ID: accessKey,
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const summariesOf = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.type === 'summary');
    /** The delegated administrator's organisation, where payments' member role trusts it too. */
    const delegatedWithRoles = () => ({
      ...delegatedSeed(),
      roles: [{ account: payments, name: ORG_ROLE_NAME, trustedPrincipals: [management, analytics] }],
    });
    const regionArgs = ['--region', 'eu-west-1', '--exclude-account', legacy, '--json'];

    it('lists the management account as skipped with its reason, never failed, and exits 0', async () => {
      await admin.organization(delegatedWithRoles());
      const { code, stdout } = await runNode(
        [CLI, 'sweep', '--org', ...regionArgs],
        cliEnv(SECURITY_ACCESS_KEY),
      );
      expect(code).toBe(0);
      expect(summariesOf(stdout).find((line) => line.accountId === management)).toMatchObject({
        status: 'skipped',
        skipReason: 'management-account',
        reason: expect.stringContaining('no member role'),
      });
    }, 60_000);

    it('sweeps it with --include-management-account, where a missing member role is an honest failure', async () => {
      await admin.organization(delegatedWithRoles());
      const { code, stdout } = await runNode(
        [CLI, 'sweep', '--org', '--include-management-account', ...regionArgs],
        cliEnv(SECURITY_ACCESS_KEY),
      );
      expect(code).toBe(1);
      expect(summariesOf(stdout).find((line) => line.accountId === management)).toMatchObject({
        status: 'failed',
        errorCode: 'AccessDenied',
      });
    }, 60_000);

    it('acts only on the account-regions that failed in an earlier run with --retry-failed-from', async () => {
      // Arrange: an earlier run's ResultWriter output in the results bucket, where payments/us-east-1 failed.
      await admin.organization(orgSeed());
      const s3 = new S3Client({
        region: HOME_REGION,
        endpoint: emulator.url,
        credentials: { accessKeyId: MANAGEMENT_ACCESS_KEY, secretAccessKey: 'test' },
      });
      await s3.send(
        new CreateBucketCommand({
          Bucket: 'guard-results',
          CreateBucketConfiguration: { LocationConstraint: HOME_REGION },
        }),
      );
      const item = (accountId: string, region: string) => ({ accountId, region, roleName: ORG_ROLE_NAME });
      const { objects, details } = resultWriterObjects({
        bucket: 'guard-results',
        prefix: 'results',
        stateName: 'SweepAccountRegions',
        mapRunId: 'run-1',
        results: [
          {
            name: 'a',
            status: 'SUCCEEDED',
            input: item(analytics, 'eu-west-1'),
            output: {
              accountId: analytics,
              region: 'eu-west-1',
              counts: { compliant: 0, remediated: 0, 'would-remediate': 0, exempt: 0, gone: 0, failed: 0 },
              scanned: 0,
              pages: 1,
            },
          },
          {
            name: 'b',
            status: 'FAILED',
            input: item(payments, 'us-east-1'),
            error: 'AwsCallError',
            cause: 'throttled',
          },
          {
            name: 'c',
            status: 'FAILED',
            input: item(closed, 'eu-west-1'),
            error: 'AwsCallError',
            cause: 'gone',
          },
        ],
      });
      for (const object of objects)
        await s3.send(new PutObjectCommand({ Bucket: 'guard-results', Key: object.key, Body: object.body }));
      s3.destroy();
      // Act
      const { code, stdout, stderr } = await runNode(
        [
          CLI,
          'sweep',
          '--org',
          '--region',
          'eu-west-1',
          '--region',
          'us-east-1',
          '--retry-failed-from',
          `s3://guard-results/${details.ResultWriterDetails.Key}`,
          '--json',
        ],
        cliEnv(MANAGEMENT_ACCESS_KEY),
      );
      // Assert: payments/us-east-1 alone was swept; the suspended account's failure is named, not swept.
      expect(code).toBe(0);
      const swept = summariesOf(stdout).filter((line) => line.status !== 'skipped');
      expect(swept).toEqual([
        expect.objectContaining({ accountId: payments, region: 'us-east-1', status: 'completed' }),
      ]);
      expect(stderr).toContain(
        `${closed} eu-west-1 failed in that run but is no longer in the scope: not swept`,
      );
      expect(await admin.repositories({ account: analytics, region: 'eu-west-1' })).toMatchObject({
        repositories: expect.arrayContaining([expect.objectContaining({ imageTagMutability: 'MUTABLE' })]),
      });
    }, 60_000);

    it('refuses --retry-failed-from that is not a manifest, naming the flag, before any AWS call', async () => {
      await admin.organization(orgSeed());
      const { code, stderr } = await runNode(
        [
          CLI,
          'sweep',
          '--org',
          '--region',
          'eu-west-1',
          '--retry-failed-from',
          's3://guard-results/scope/x.json',
        ],
        cliEnv(MANAGEMENT_ACCESS_KEY),
      );
      expect(code).toBe(2);
      expect(stderr).toContain(
        '--retry-failed-from: must be the ResultWriter manifest of an earlier organisation sweep',
      );
      expect((await admin.stats()).total).toMatchObject({ calls: 0 });
    }, 60_000);

    it.each([
      [
        'check without --org or --account',
        ['check', 'payments/api', '--retry-failed-from', 's3://guard-results/results/run-1/manifest.json'],
        '--retry-failed-from: only with --org or --account',
      ],
      [
        'plan --org with a key that is no manifest',
        ['plan', '--org', '--retry-failed-from', 's3://guard-results/scope/x.json'],
        '--retry-failed-from: must be the ResultWriter manifest of an earlier organisation sweep',
      ],
    ])(
      'refuses --retry-failed-from in %s, as every command over a scope does, before any AWS call',
      async (_name, args, message) => {
        await admin.organization(orgSeed());
        const { code, stderr } = await runNode(
          [CLI, ...args, '--region', 'eu-west-1'],
          cliEnv(MANAGEMENT_ACCESS_KEY),
        );
        expect(code).toBe(2);
        expect(stderr).toContain(message);
        expect((await admin.stats()).total).toMatchObject({ calls: 0 });
      },
      60_000,
    );
  });
});
