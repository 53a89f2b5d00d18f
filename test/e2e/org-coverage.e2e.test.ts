/**
 * What an organisation sweep covers, end to end: the BUILT scope and sweep bundles against an organisation
 * (./org-backend.ts: the emulator, or moto under `npm run test:moto`), through the real SDK clients.
 * - The management account: a central deployment in a delegated administrator account lists it as skipped,
 *   with its reason (no member role by design), and counts it in `SkippedAccounts`; asked to, or running in
 *   the management account itself, it sweeps it (Organizations `DescribeOrganization`).
 * - The guard's own footprint: an organisation child's first page reads the account-region's forwarding rule
 *   through the member role (EventBridge `DescribeRule` / `ListTargetsByRule`), answers it unguarded when the
 *   rule is disabled or gone, counts it in `UnguardedAccountRegions` (per account too), and still fixes the
 *   repositories.
 * - The built CLI: the management account skipped with its reason (exit 0) or, with
 *   `--include-management-account`, swept; `--retry-failed-from` acting only on an earlier run's failures.
 * Metrics are read as CloudWatch would, from the EMF lines the bundles write. A delegated administrator
 * needs the emulator: moto answers ListAccounts with the organisation's accounts only to the management
 * account (a member, delegated administrator or not, gets an empty list).
 */

import path from 'node:path';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../emulator/index.ts';
import { FORWARDING_RULE_NAME, UNGUARDED_METRIC } from '../../lib/forwarding.ts';
import {
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
import { itOnEmulator } from './backend.ts';
import { type OrgBackend, startOrgBackend } from './org-backend.ts';

const HOME_REGION = 'eu-west-1';
/** The access key of the security account, a delegated administrator in {@link delegatedSeed}. */
const SECURITY_ACCESS_KEY = 'AKIASECURITY00000001';
const MUTABLE = REPOSITORIES_PER_ACCOUNT_REGION / MUTABLE_EVERY;
/** What a delegated administrator needs of the backend. */
const DELEGATED =
  "delegated administrator (moto's ListAccounts lists the organisation's accounts to its management account only)";

/**
 * The emulator's demo organisation (its account ids), with `analytics` a delegated administrator holding
 * the central deployment.
 */
function delegatedSeed() {
  const { management, analytics } = ORG_ACCOUNTS;
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
  let org: OrgBackend;
  let emf: ReturnType<typeof captureStdoutEmf> | undefined;
  /** The emulator's control client, for the tests that need the emulator. */
  const emulatorOnly = (): AdminClient => {
    if (org.admin === undefined) throw new Error('this test needs the emulator');
    return org.admin;
  };
  /** The guard's credentials in the management account, or the delegated administrator's access key. */
  const credentialsOf = (accessKey: string | undefined) =>
    accessKey === undefined ? org.caller : { accessKeyId: accessKey, secretAccessKey: 'test' };
  const env = (accessKey: string | undefined, more: Record<string, string> = {}) => ({
    AWS_ENDPOINT_URL: org.url,
    AWS_REGION: HOME_REGION,
    AWS_ACCESS_KEY_ID: credentialsOf(accessKey).accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentialsOf(accessKey).secretAccessKey,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'false',
    ORGANIZATION_MODE: 'true',
    SCOPE_REGIONS: ORG_REGIONS.join(','),
    ...more,
  });
  const documentsWith = (metric: string): EmfDocument[] =>
    (emf?.documents() ?? []).filter((document) => metric in document.metrics);

  beforeAll(async () => {
    org = await startOrgBackend();
  });
  beforeEach(async () => {
    await org.reset();
    emf = captureStdoutEmf();
  });
  afterEach(() => {
    emf?.stop();
    emf = undefined;
    restoreBundleEnv();
  });
  afterAll(async () => {
    await org?.stop();
  });

  describe('the management account', () => {
    itOnEmulator(DELEGATED)(
      'is skipped, with its reason, by a delegated administrator’s scope, and counted in SkippedAccounts',
      async () => {
        const { management, analytics, closed } = ORG_ACCOUNTS;
        const admin = emulatorOnly();
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
      },
    );

    itOnEmulator(DELEGATED)('is swept with includeManagementAccount, without asking who it is', async () => {
      const { analytics, closed } = ORG_ACCOUNTS;
      const admin = emulatorOnly();
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
      const { management, closed } = org.accounts;
      const scope = await loadBundle('scope', env(undefined));
      const answer = await scope({}, contextIn(management, 'scope'));
      expect(answer).toMatchObject({
        count: 4 * ORG_REGIONS.length,
        skipped: [{ accountId: closed, reason: 'suspended' }],
      });
    });
  });

  describe('the forwarding rule of an account-region', () => {
    /** Puts the member stack's forwarding rule in payments' Region, as payments. */
    async function installForwarding(region: string, state: 'ENABLED' | 'DISABLED') {
      const events = new EventBridgeClient({
        region,
        endpoint: org.url,
        credentials: await org.credentialsIn(org.accounts.payments),
        maxAttempts: 1,
      });
      try {
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
            Targets: [{ Id: 'CentralBus', Arn: centralBus() }],
          }),
        );
      } finally {
        events.destroy();
      }
    }
    const centralBus = () => `arn:aws:events:${HOME_REGION}:${org.accounts.analytics}:event-bus/central`;
    const child = () => ({ accountId: org.accounts.payments, region: 'us-east-1', roleName: ORG_ROLE_NAME });
    const sweepEnv = () => env(undefined, { CENTRAL_EVENT_BUS_ARN: centralBus() });
    /** The calls the sweep made: the arrangement's are cleared. */
    const sweepOf = async () => {
      const sweep = await loadBundle('sweep', sweepEnv());
      org.clearCalls();
      return sweep;
    };

    it('is read through the member role: guarded when enabled and targeting the central bus', async () => {
      await installForwarding('us-east-1', 'ENABLED');
      const sweep = await sweepOf();
      const summary = await sweep(child(), contextIn(org.accounts.management, 'sweep'));
      expect(summary).toMatchObject({ forwarding: { status: 'guarded' }, counts: { remediated: MUTABLE } });
      expect(documentsWith(UNGUARDED_METRIC)).toEqual([]);
      const operations = org.operations();
      expect(operations.DescribeRule).toEqual({ calls: 1, ok: 1, errors: {} });
      expect(operations.ListTargetsByRule).toEqual({ calls: 1, ok: 1, errors: {} });
    });

    it.each([
      ['disabled', async () => installForwarding('us-east-1', 'DISABLED'), 'is DISABLED, not ENABLED'],
      ['missing', async () => {}, 'does not exist on the default event bus'],
    ])(
      'counts the account-region unguarded when its rule is %s, per account too, and fixes it all the same',
      async (_, arrange, reason) => {
        const { management, payments } = org.accounts;
        await arrange();
        const sweep = await sweepOf();
        const summary = await sweep(child(), contextIn(management, 'sweep'));
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
        expect(await org.mutableIn(payments, 'us-east-1')).toBe(0);
      },
    );

    it('leaves a member whose role cannot be assumed failed with STS’s code, unchecked', async () => {
      const { management, legacy } = org.accounts;
      const sweep = await sweepOf();
      await expect(
        sweep({ ...child(), accountId: legacy }, contextIn(management, 'sweep')),
      ).rejects.toMatchObject({ code: 'AccessDenied' });
      expect(org.operations().AssumeRole).toMatchObject({ calls: 1, ok: 0 });
      expect(org.calls().DescribeRule).toBeUndefined();
    });
  });

  describe('the built CLI', () => {
    const CLI = path.join(projectRoot, 'dist', 'bin', 'ecr-guard.mjs');
    const cliEnv = (accessKey: string | undefined) => ({
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL: org.url,
      AWS_REGION: HOME_REGION,
      AWS_ACCESS_KEY_ID: credentialsOf(accessKey).accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentialsOf(accessKey).secretAccessKey,
    });
    const summariesOf = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.type === 'summary');
    /** The delegated administrator's organisation, where payments' member role trusts it too. */
    const delegatedWithRoles = () => {
      const { management, payments, analytics } = ORG_ACCOUNTS;
      return {
        ...delegatedSeed(),
        roles: [{ account: payments, name: ORG_ROLE_NAME, trustedPrincipals: [management, analytics] }],
      };
    };
    const regionArgs = ['--region', 'eu-west-1', '--exclude-account', ORG_ACCOUNTS.legacy, '--json'];

    itOnEmulator(DELEGATED, 60_000)(
      'lists the management account as skipped with its reason, never failed, and exits 0',
      async () => {
        const { management } = ORG_ACCOUNTS;
        await emulatorOnly().organization(delegatedWithRoles());
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
      },
    );

    itOnEmulator(DELEGATED, 60_000)(
      'sweeps it with --include-management-account, where a missing member role is an honest failure',
      async () => {
        const { management } = ORG_ACCOUNTS;
        await emulatorOnly().organization(delegatedWithRoles());
        const { code, stdout } = await runNode(
          [CLI, 'sweep', '--org', '--include-management-account', ...regionArgs],
          cliEnv(SECURITY_ACCESS_KEY),
        );
        expect(code).toBe(1);
        expect(summariesOf(stdout).find((line) => line.accountId === management)).toMatchObject({
          status: 'failed',
          errorCode: 'AccessDenied',
        });
      },
    );

    it('acts only on the account-regions that failed in an earlier run with --retry-failed-from', async () => {
      // Arrange: an earlier run's ResultWriter output in the results bucket, where payments/us-east-1 failed.
      const { management, payments, analytics, closed } = org.accounts;
      const s3 = new S3Client({
        region: HOME_REGION,
        endpoint: org.url,
        credentials: await org.credentialsIn(management),
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
        cliEnv(undefined),
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
      expect(await org.mutableIn(analytics, 'eu-west-1')).toBe(MUTABLE);
    }, 60_000);

    it('refuses --retry-failed-from that is not a manifest, naming the flag, before any AWS call', async () => {
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
        cliEnv(undefined),
      );
      expect(code).toBe(2);
      expect(stderr).toContain(
        '--retry-failed-from: must be the ResultWriter manifest of an earlier organisation sweep',
      );
      expect(org.calls()).toEqual({});
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
        const { code, stderr } = await runNode([CLI, ...args, '--region', 'eu-west-1'], cliEnv(undefined));
        expect(code).toBe(2);
        expect(stderr).toContain(message);
        expect(org.calls()).toEqual({});
      },
      60_000,
    );
  });
});
