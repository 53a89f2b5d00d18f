/**
 * The organisation sweep state machine, executed: its synthesized definition run by the interpreter of
 * test/helpers/state-machine.ts (every JSONata expression by the `jsonata` reference implementation), its
 * Lambda tasks calling the real scope and sweep handlers in-process, the Distributed Map's items and
 * results in the emulator's S3 (written and read by the real S3 adapters of lib/scope-items.ts, and by the
 * interpreter's ItemReader and ResultWriter, all through the SDK's S3 client), and each child sweeping its account-region of the emulator's organisation
 * (scripts/org-seed.ts) through STS AssumeRole like the deployed functions. None of this has run in AWS
 * itself: the formats follow the Step Functions docs cited in test/helpers/state-machine.ts.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AdminClient,
  emulatorAdmin,
  type RunningEmulator,
  startEmulator,
} from '../../emulator/index.ts';
import { createScopeHandler } from '../../functions/scope/handler.ts';
import { type MemberReach, memberAccessFactory } from '../../functions/shared/member-ecr.ts';
import { createSweepHandler } from '../../functions/sweep/handler.ts';
import { ORG_SWEEP_STATE_NAMES } from '../../infra/org-sweep-workflow.ts';
import { awsClientConfig } from '../../lib/aws-client-config.ts';
import { createEcrAdapter } from '../../lib/ecr.ts';
import { FORWARDING_RULE_NAME } from '../../lib/forwarding.ts';
import { createOrganizationsAdapter } from '../../lib/organizations.ts';
import { createResultReader, createScopeItemWriter } from '../../lib/scope-items.ts';
import {
  MANAGEMENT_ACCESS_KEY,
  MUTABLE_EVERY,
  ORG_ACCOUNTS,
  ORG_REGIONS,
  ORG_ROLE_NAME,
  orgSeed,
  REPOSITORIES_PER_ACCOUNT_REGION,
} from '../../scripts/org-seed.ts';
import { auditorFactory, testConfig, testLogger, testMetrics } from '../helpers/runtime.ts';
import { type Execution, runStateMachine, sdkObjectStore } from '../helpers/state-machine.ts';
import { type Definition, findResource } from './helpers.ts';
import { orgSweepDefinitionOf, synthesizeOrgSweep } from './org-sweep-workflow.fixture.ts';

const HOME_REGION = 'eu-west-1';
const BUCKET = 'guard-results';
const CENTRAL_BUS = `arn:aws:events:${HOME_REGION}:${ORG_ACCOUNTS.management}:event-bus/central`;
const { management, payments, analytics, legacy, closed } = ORG_ACCOUNTS;
const MUTABLE = REPOSITORIES_PER_ACCOUNT_REGION / MUTABLE_EVERY;
const names = ORG_SWEEP_STATE_NAMES;

/** The member access as functions/sweep/index.ts wires it. */
const wiredMemberAccess = (member: MemberReach) => ({
  memberEcr: member.ecr,
  forwardingRules: member.forwardingRules,
});

/** The definition, with the results bucket's reference replaced by a bucket name the functions accept. */
function definitionOf(): Definition {
  const { template } = synthesizeOrgSweep({ maxConcurrency: 3 });
  const [bucketId] = findResource(template, 'AWS::S3::Bucket', 'Results');
  return JSON.parse(JSON.stringify(orgSweepDefinitionOf(template)).replaceAll(`<${bucketId}>`, BUCKET));
}

describe('the organisation sweep state machine, executed against the emulator organisation', () => {
  const definition = definitionOf();
  let emulator: RunningEmulator;
  let admin: AdminClient;
  /** The state machine's own S3 access (its role's), in the management account like the functions. */
  let stateMachineS3: S3Client;

  beforeAll(async () => {
    // The results bucket of the central stack, in the management account (made again, empty, on reset).
    emulator = await startEmulator({
      port: 0,
      buckets: [{ name: BUCKET, account: management, region: HOME_REGION }],
    });
    stateMachineS3 = new S3Client({
      region: HOME_REGION,
      endpoint: emulator.url,
      credentials: { accessKeyId: MANAGEMENT_ACCESS_KEY, secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    admin = emulatorAdmin(emulator.url);
    // The SDK of the in-process handlers reaches the emulator as the management account.
    vi.stubEnv('AWS_ENDPOINT_URL', emulator.url);
    vi.stubEnv('AWS_ACCESS_KEY_ID', MANAGEMENT_ACCESS_KEY);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('AWS_REGION', HOME_REGION);
  });
  beforeEach(async () => {
    await admin.reset();
    await admin.organization(orgSeed());
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    stateMachineS3.destroy();
    await emulator.stop();
  });

  /** The real handlers, wired as functions/scope/index.ts and functions/sweep/index.ts wire them, but in-process. */
  function deployment(env: Record<string, string> = {}, options: { loseItems?: boolean } = {}) {
    const config = testConfig({
      ORGANIZATION_MODE: 'true',
      SCOPE_REGIONS: ORG_REGIONS.join(','),
      AWS_MAX_ATTEMPTS: '2',
      ...env,
    });
    const logger = testLogger().logger;
    const { metrics } = testMetrics();
    const clientConfig = awsClientConfig(config.sdk, { region: HOME_REGION, defaultMaxAttempts: 2 });
    const functionS3 = new S3Client(clientConfig);
    const writer = createScopeItemWriter(functionS3);
    const scope = createScopeHandler({
      config,
      logger,
      region: HOME_REGION,
      lister: async () => createOrganizationsAdapter(new OrganizationsClient(clientConfig)),
      writer: async () => (options.loseItems ? { write: async () => {} } : writer),
      reader: async () => createResultReader(functionS3),
    });
    const sweep = createSweepHandler({
      config,
      ecr: createEcrAdapter(new ECRClient(clientConfig)),
      logger,
      metrics,
      region: HOME_REGION,
      createAuditor: auditorFactory(logger, metrics),
      ...wiredMemberAccess(
        memberAccessFactory(
          { config, region: HOME_REGION },
          { runId: 'org-sweep-test', defaultMaxAttempts: 2 },
        ),
      ),
    });
    const context = (name: string): Pick<Context, 'getRemainingTimeInMillis' | 'invokedFunctionArn'> => ({
      invokedFunctionArn: `arn:aws:lambda:${HOME_REGION}:${management}:function:${name}`,
      getRemainingTimeInMillis: () => 60_000,
    });
    const run = (input: unknown, name = 'org-sweep-1') =>
      runStateMachine(
        definition,
        input,
        {
          s3: sdkObjectStore(stateMachineS3),
          lambda: (functionName, payload) => {
            if (functionName.startsWith('<ScopeFunction')) return scope(payload, context('scope'));
            if (functionName.startsWith('<SweepFunction')) return sweep(payload, context('sweep'));
            throw new Error(`no function ${functionName}`);
          },
        },
        { name },
      );
    return { run };
  }

  /** Every key of the results bucket, listed through the SDK. */
  const keysInBucket = async () =>
    ((await stateMachineS3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map(
      (entry) => entry.Key ?? '',
    );

  const mutableIn = async (account: string, region: string) =>
    (await admin.repositories({ account, region })).repositories.filter(
      (repository) => repository.imageTagMutability !== 'IMMUTABLE',
    ).length;

  const childOf = (execution: Execution, accountId: string, region: string) => {
    const child = execution.children.find((candidate) => {
      const input = candidate.input;
      return typeof input === 'object' && input !== null && 'accountId' in input && 'region' in input
        ? input.accountId === accountId && input.region === region
        : false;
    });
    if (child === undefined) throw new Error(`no child for ${accountId}/${region}`);
    return child;
  };

  it('runs every account-region, fails the member whose role cannot be assumed, sums the rest, and fails at the end', async () => {
    // Act
    const { run } = deployment();
    const execution = await run({});
    // Assert: every child ran, the unreachable account's two failed with STS's code.
    const reachable = [management, payments, analytics];
    expect(execution.children).toHaveLength(4 * ORG_REGIONS.length);
    for (const region of ORG_REGIONS) {
      for (const account of reachable) {
        expect(childOf(execution, account, region)).toMatchObject({
          status: 'SUCCEEDED',
          output: { accountId: account, region, scanned: REPOSITORIES_PER_ACCOUNT_REGION, pages: 1 },
        });
        expect(await mutableIn(account, region)).toBe(0);
      }
      const broken = childOf(execution, legacy, region);
      expect(broken).toMatchObject({ status: 'FAILED', error: 'AwsCallError' });
      expect(JSON.parse(String(broken.cause))).toMatchObject({
        accountId: legacy,
        region,
        pages: 0,
        scanned: 0,
        message: expect.stringContaining('AccessDenied'),
      });
      expect(await mutableIn(legacy, region)).toBe(MUTABLE);
    }
    // The parent summed every child and failed after all of them, naming the failed account-regions.
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'AccountRegionsFailed',
      cause: expect.stringMatching(
        new RegExp(
          `^2 of 8 account-regions failed: ${legacy}/eu-west-1 \\(AwsCallError\\), ${legacy}/us-east-1 \\(AwsCallError\\);`,
        ),
      ),
    });
    expect(execution.path).toEqual([
      names.listScope,
      names.anyItems,
      names.sweepAccountRegions,
      names.summarize,
      names.anyFailed,
      names.accountRegionsFailed,
    ]);
    expect(execution.variables.summary).toMatchObject({
      accountRegions: 8,
      failedAccountRegions: 2,
      scanned: 3 * ORG_REGIONS.length * REPOSITORIES_PER_ACCOUNT_REGION,
      counts: {
        compliant: 3 * ORG_REGIONS.length * (REPOSITORIES_PER_ACCOUNT_REGION - MUTABLE),
        remediated: 3 * ORG_REGIONS.length * MUTABLE,
        'would-remediate': 0,
        failed: 0,
      },
    });
    // The items and the results went through S3, not through a state payload.
    const keys = await keysInBucket();
    expect(keys).toContain('scope/org-sweep-1.json');
    expect(keys.filter((key) => key.startsWith('results/'))).toEqual([
      'results/org-sweep-1-SweepAccountRegions/FAILED_0.json',
      'results/org-sweep-1-SweepAccountRegions/SUCCEEDED_0.json',
      'results/org-sweep-1-SweepAccountRegions/manifest.json',
    ]);
    // Over S3's wire: the items written once and read once (ItemReader); three result files written
    // (ResultWriter) and read back by "Summarise".
    const { operations } = await admin.stats({ account: management, region: HOME_REGION });
    expect(operations.PutObject).toEqual({ calls: 4, ok: 4, errors: {} });
    expect(operations.GetObject).toEqual({ calls: 4, ok: 4, errors: {} });
  }, 120_000);

  it('succeeds with the sums of every account-region when none fails, listing the skipped accounts', async () => {
    const { run } = deployment({ EXCLUDED_ACCOUNTS: legacy });
    const execution = await run({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      output: {
        accountRegions: 6,
        failedAccountRegions: 0,
        scanned: 6 * REPOSITORIES_PER_ACCOUNT_REGION,
        counts: {
          compliant: 6 * (REPOSITORIES_PER_ACCOUNT_REGION - MUTABLE),
          remediated: 6 * MUTABLE,
          failed: 0,
        },
      },
    });
    expect(execution.output).toHaveProperty(
      'skipped',
      expect.arrayContaining([
        expect.objectContaining({ accountId: closed, reason: 'suspended' }),
        expect.objectContaining({ accountId: legacy, reason: 'excluded' }),
      ]),
    );
    expect(execution.path.at(-1)).toBe(names.succeeded);
  }, 120_000);

  it('fails a child whose repositories failed, keeps its partial counts in the sums, and fails the parent at the end', async () => {
    // Arrange: ECR refuses every mutability change in one account-region.
    await admin.faults(
      { PutImageTagMutability: { accessDenied: true } },
      { account: analytics, region: 'us-east-1' },
    );
    const { run } = deployment({ EXCLUDED_ACCOUNTS: legacy });
    // Act
    const execution = await run({});
    // Assert
    const child = childOf(execution, analytics, 'us-east-1');
    expect(child).toMatchObject({ status: 'FAILED', error: 'RepositoriesFailed' });
    expect(JSON.parse(String(child.cause))).toMatchObject({
      accountId: analytics,
      region: 'us-east-1',
      counts: { compliant: REPOSITORIES_PER_ACCOUNT_REGION - MUTABLE, failed: MUTABLE },
      message: `${MUTABLE} of ${REPOSITORIES_PER_ACCOUNT_REGION} scanned repositories failed over 1 page(s); see the audit records with outcome failed`,
    });
    expect(execution.children.filter((other) => other.status === 'SUCCEEDED')).toHaveLength(5);
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'AccountRegionsFailed',
      cause: expect.stringMatching(
        new RegExp(`^1 of 6 account-regions failed: ${analytics}/us-east-1 \\(RepositoriesFailed\\);`),
      ),
    });
    expect(execution.variables.summary).toMatchObject({
      accountRegions: 6,
      failedAccountRegions: 1,
      scanned: 6 * REPOSITORIES_PER_ACCOUNT_REGION,
      counts: {
        compliant: 6 * (REPOSITORIES_PER_ACCOUNT_REGION - MUTABLE),
        remediated: 5 * MUTABLE,
        failed: MUTABLE,
      },
      failures: [
        { accountId: analytics, region: 'us-east-1', error: 'RepositoriesFailed', countsKnown: true },
      ],
    });
  }, 120_000);

  it('gives every child the execution’s dryRun and page size, and pages each account-region to its end', async () => {
    const { run } = deployment({ EXCLUDED_ACCOUNTS: legacy });
    const execution = await run({ dryRun: true, maxRepositories: 4 });
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      output: { accountRegions: 6, counts: { 'would-remediate': 6 * MUTABLE, remediated: 0 } },
    });
    const child = childOf(execution, payments, 'us-east-1');
    const target = { accountId: payments, region: 'us-east-1', roleName: 'EcrImmutabilityGuardMember' };
    expect(child.payloads).toEqual([
      { ...target, dryRun: true, maxRepositories: 4 },
      { ...target, maxRepositories: 4, nextToken: expect.any(String) },
    ]);
    expect(child.output).toMatchObject({ pages: 2, scanned: REPOSITORIES_PER_ACCOUNT_REGION });
    expect(await mutableIn(payments, 'us-east-1')).toBe(MUTABLE);
  }, 120_000);

  it('succeeds with zero sums and no Map Run when the scope is empty', async () => {
    const { run } = deployment({
      EXCLUDED_ACCOUNTS: [management, payments, analytics, legacy].join(','),
    });
    const execution = await run({});
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      output: {
        accountRegions: 0,
        failedAccountRegions: 0,
        scanned: 0,
        counts: { remediated: 0, failed: 0 },
      },
    });
    expect(execution.path).toEqual([names.listScope, names.anyItems, names.nothingToSweep]);
    expect(execution.children).toEqual([]);
    expect((await keysInBucket()).filter((key) => key.startsWith('results/'))).toEqual([]);
  }, 60_000);

  it('fails on a typo in the execution input before any child runs, naming what was written', async () => {
    const { run } = deployment();
    const execution = await run({ dryrun: true });
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'InvalidInputError',
      cause: expect.stringContaining('execution input: Unrecognized key: \\"dryrun\\"'),
    });
    expect(execution.path).toEqual([names.listScope, names.listScopeFailed]);
    expect(execution.children).toEqual([]);
    expect(await keysInBucket()).toEqual([]);
    expect(await mutableIn(payments, HOME_REGION)).toBe(MUTABLE);
  }, 60_000);

  it('fails as MapRunFailed with the ItemReader’s error when the items cannot be read, running no child', async () => {
    const { run } = deployment({}, { loseItems: true });
    const execution = await run({});
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.ItemReaderFailed',
      cause: 'The specified key does not exist.',
    });
    expect(execution.path).toEqual([
      names.listScope,
      names.anyItems,
      names.sweepAccountRegions,
      names.mapRunFailed,
    ]);
    expect(execution.children).toEqual([]);
  }, 60_000);

  /** Puts the member stack's forwarding rule in an account-region, as the account itself (through the member role). */
  async function installForwarding(
    account: string,
    region: string,
    state: 'ENABLED' | 'DISABLED' = 'ENABLED',
  ) {
    let credentials = {
      accessKeyId: MANAGEMENT_ACCESS_KEY,
      secretAccessKey: 'test',
      sessionToken: undefined as string | undefined,
    };
    if (account !== management) {
      const sts = new STSClient({ region: HOME_REGION, endpoint: emulator.url, credentials, maxAttempts: 1 });
      const assumed = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${account}:role/${ORG_ROLE_NAME}`,
          RoleSessionName: 'install-forwarding',
        }),
      );
      sts.destroy();
      credentials = {
        accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
        secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
        sessionToken: assumed.Credentials?.SessionToken,
      };
    }
    const events = new EventBridgeClient({ region, endpoint: emulator.url, credentials, maxAttempts: 1 });
    try {
      await events.send(
        new PutRuleCommand({
          Name: FORWARDING_RULE_NAME,
          EventPattern: JSON.stringify({ source: ['aws.ecr'] }),
          State: state,
        }),
      );
      await events.send(
        new PutTargetsCommand({
          Rule: FORWARDING_RULE_NAME,
          Targets: [
            { Id: 'CentralBus', Arn: CENTRAL_BUS, RoleArn: `arn:aws:iam::${account}:role/forwarding` },
          ],
        }),
      );
    } finally {
      events.destroy();
    }
  }

  it('counts an account-region whose forwarding rule is disabled or missing as unguarded, and still fixes it', async () => {
    // Arrange: every account-region forwards, but payments disabled its rule in us-east-1 and analytics
    // never had one in eu-west-1.
    for (const account of [management, payments, analytics]) {
      for (const region of ORG_REGIONS) {
        if (account === analytics && region === 'eu-west-1') continue;
        await installForwarding(
          account,
          region,
          account === payments && region === 'us-east-1' ? 'DISABLED' : 'ENABLED',
        );
      }
    }
    const { run } = deployment({ EXCLUDED_ACCOUNTS: legacy, CENTRAL_EVENT_BUS_ARN: CENTRAL_BUS });
    // Act
    const execution = await run({});
    // Assert: the execution succeeds (the alarm is the metric's), the sums count and name the two.
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      output: {
        accountRegions: 6,
        failedAccountRegions: 0,
        unguardedAccountRegions: 2,
        counts: { remediated: 6 * MUTABLE, failed: 0 },
        unguarded: [
          {
            accountId: payments,
            region: 'us-east-1',
            reason: `the forwarding rule ${FORWARDING_RULE_NAME} is DISABLED, not ENABLED`,
          },
          {
            accountId: analytics,
            region: 'eu-west-1',
            reason: `the forwarding rule ${FORWARDING_RULE_NAME} does not exist on the default event bus`,
          },
        ],
      },
    });
    expect(childOf(execution, management, 'eu-west-1').output).toMatchObject({
      forwarding: { status: 'guarded' },
    });
    // Unguarded or not, every repository was fixed.
    expect(await mutableIn(payments, 'us-east-1')).toBe(0);
    expect(await mutableIn(analytics, 'eu-west-1')).toBe(0);
    // Read through the member role in the member's own account and region.
    const { operations } = await admin.stats({ account: payments, region: 'us-east-1' });
    expect(operations.DescribeRule).toEqual({ calls: 1, ok: 1, errors: {} });
  }, 120_000);

  it('sweeps only the account-regions that failed in an earlier run when given its manifest (retryFailedFrom)', async () => {
    // Arrange: the first run fails legacy's two account-regions (no member role).
    const { run } = deployment();
    const first = await run({}, 'org-sweep-1');
    expect(first.status).toBe('FAILED');
    const retryFailedFrom = /"retryFailedFrom": "([^"]+)"/.exec(String(first.cause))?.[1];
    expect(retryFailedFrom).toBe('results/org-sweep-1-SweepAccountRegions/manifest.json');
    // The role is deployed in legacy; the others are made mutable again to show the retry leaves them alone.
    const seed = orgSeed();
    await admin.organization({
      ...seed,
      roles: [
        ...(seed.roles ?? []),
        { account: legacy, name: ORG_ROLE_NAME, trustedPrincipals: [management] },
      ],
    });
    // Act
    // A later run, in fresh containers (a warm one keeps a failed AssumeRole for a minute: lib/credentials.ts).
    const retry = await deployment().run({ retryFailedFrom }, 'org-sweep-2');
    // Assert: only legacy's two account-regions ran, and succeeded.
    expect(retry).toMatchObject({
      status: 'SUCCEEDED',
      output: {
        accountRegions: 2,
        failedAccountRegions: 0,
        counts: { remediated: 2 * MUTABLE },
        retry: { from: retryFailedFrom, failedAccountRegions: 2, notInScope: [], unidentified: 0 },
      },
    });
    expect(retry.children.map((child) => child.input)).toEqual(
      ORG_REGIONS.map((region) => expect.objectContaining({ accountId: legacy, region })),
    );
    for (const region of ORG_REGIONS) {
      expect(await mutableIn(legacy, region)).toBe(0);
      expect(await mutableIn(payments, region)).toBe(MUTABLE);
    }
  }, 120_000);
});
