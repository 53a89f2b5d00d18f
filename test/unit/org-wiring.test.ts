/**
 * The organisation wiring of the functions and the CLI: where a sweep payload acts, what the scope function
 * answers (inline or through S3), how the CLI's exit code reads an organisation run, and the usage errors.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT, exitCodeOf, mostSevere } from '../../bin/exit-codes.ts';
import { createScopeHandler } from '../../functions/scope/handler.ts';
import type { MemberEcrRequest } from '../../functions/shared/member-ecr.ts';
import { createSweepHandler } from '../../functions/sweep/handler.ts';
import { parseSweepTarget } from '../../functions/sweep/target.ts';
import { emptyCounts } from '../../lib/audit.ts';
import type { OrganizationLister } from '../../lib/scope.ts';
import { createScopeItemWriter, type ScopeItem } from '../../lib/scope-items.ts';
import { runCliInProcess } from '../helpers/cli-in-process.ts';
import { createMemoryEcr } from '../helpers/memory-ecr.ts';
import { auditorFactory, testConfig, testLogger, testMetrics } from '../helpers/runtime.ts';

const HOME = '111111111111';
const MEMBER = '222222222222';
const context = {
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:${HOME}:function:sweep`,
  getRemainingTimeInMillis: () => 600_000,
};

describe('the sweep payload’s target', () => {
  it.each([
    {
      payload: { dryRun: true },
      target: { accountId: undefined, region: undefined },
      rest: { dryRun: true },
    },
    {
      payload: { accountId: MEMBER, region: 'us-east-1', roleName: 'Guard', dryRun: true },
      target: { accountId: MEMBER, region: 'us-east-1', roleName: 'Guard' },
      rest: { dryRun: true },
    },
    {
      payload: { source: 'aws.events', 'detail-type': 'Scheduled Event', region: 'eu-west-1' },
      target: { accountId: undefined, region: undefined },
      rest: { source: 'aws.events', 'detail-type': 'Scheduled Event', region: 'eu-west-1' },
    },
  ])('takes $target off $payload', ({ payload, target, rest }) => {
    const parsed = parseSweepTarget(payload);
    expect(parsed).toMatchObject(target);
    expect(parsed.payload).toEqual(rest);
  });

  it('names a bad account id and what was written', () => {
    expect(() => parseSweepTarget({ accountId: '2222' })).toThrow(
      'must be a 12-digit account id, got "2222"',
    );
  });
});

describe('the sweep handler with a target', () => {
  function setup() {
    const log = testLogger();
    const { metrics } = testMetrics();
    const own = createMemoryEcr({ 'own/app': 'MUTABLE' });
    const member = createMemoryEcr({ 'member/app': 'MUTABLE', 'member/lib': 'IMMUTABLE' });
    const asked: MemberEcrRequest[] = [];
    const handler = createSweepHandler({
      config: testConfig(),
      ecr: own,
      logger: log.logger,
      metrics,
      region: 'eu-west-1',
      createAuditor: auditorFactory(log.logger, metrics),
      memberEcr: async (request) => {
        asked.push(request);
        return member;
      },
    });
    return { handler, own, member, asked };
  }

  it('sweeps the named member account-region through the member access, leaving its own registry alone', async () => {
    const { handler, own, member, asked } = setup();
    const summary = await handler({ accountId: MEMBER, region: 'us-east-1', roleName: 'Guard' }, context);
    expect(asked).toEqual([
      { accountId: MEMBER, region: 'us-east-1', roleName: 'Guard', ownAccountId: HOME },
    ]);
    expect(summary).toMatchObject({
      accountId: MEMBER,
      region: 'us-east-1',
      scanned: 2,
      counts: { remediated: 1 },
    });
    expect(member.writes).toHaveLength(1);
    expect(own.writes).toHaveLength(0);
  });

  it('sweeps its own registry, without member access, when the payload names its own account and region', async () => {
    const { handler, own, asked } = setup();
    const summary = await handler({ accountId: HOME, region: 'eu-west-1' }, context);
    expect(asked).toEqual([]);
    expect(summary).toMatchObject({
      accountId: HOME,
      region: 'eu-west-1',
      scanned: 1,
      counts: { remediated: 1 },
    });
    expect(own.writes).toHaveLength(1);
  });
});

describe('the scope function', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  const lister: OrganizationLister = {
    describeOrganization: async () => ({ managementAccountId: HOME }),
    listAccounts: async () => [
      { accountId: HOME, name: 'management', state: 'ACTIVE' },
      { accountId: MEMBER, name: 'payments', state: 'ACTIVE' },
      { accountId: '333333333333', name: 'closed', state: 'SUSPENDED' },
    ],
    listAccountsUnder: async () => [],
  };
  function handlerWith(env: Record<string, string>) {
    const written: { bucket: string; key: string; items: readonly ScopeItem[] }[] = [];
    const handler = createScopeHandler({
      config: testConfig(env),
      logger: testLogger().logger,
      region: 'eu-west-1',
      lister: async () => lister,
      writer: async () => ({
        write: async (bucket, key, items) => {
          written.push({ bucket, key, items });
        },
      }),
      now: () => new Date('2026-11-30T04:00:00.000Z'),
    });
    return { handler, written };
  }

  it('answers the items inline, with the skipped accounts and why', async () => {
    const { handler } = handlerWith({ ORGANIZATION_MODE: 'true', SCOPE_REGIONS: 'eu-west-1,us-east-1' });
    const answer = await handler({}, context);
    expect(answer).toMatchObject({
      count: 4,
      items: [
        { accountId: HOME, region: 'eu-west-1', roleName: 'EcrImmutabilityGuardMember' },
        { accountId: HOME, region: 'us-east-1', roleName: 'EcrImmutabilityGuardMember' },
        { accountId: MEMBER, region: 'eu-west-1', roleName: 'EcrImmutabilityGuardMember' },
        { accountId: MEMBER, region: 'us-east-1', roleName: 'EcrImmutabilityGuardMember' },
      ],
      skipped: [{ accountId: '333333333333', reason: 'suspended' }],
    });
  });

  it('writes the items to S3 when given a bucket and answers only where they are', async () => {
    const { handler, written } = handlerWith({ ORGANIZATION_MODE: 'true' });
    const answer = await handler({ bucket: 'guard-scope' }, context);
    const key = 'ecr-immutability-guard/scope/2026-11-30T04:00:00.000Z.json';
    expect(answer).toEqual({ bucket: 'guard-scope', key, count: 2, skipped: expect.any(Array) });
    expect(written).toEqual([{ bucket: 'guard-scope', key, items: expect.any(Array) }]);
    expect(answer).not.toHaveProperty('items');
  });

  it('is a scope of one account, its own, without organisation mode', async () => {
    const { handler } = handlerWith({});
    expect(await handler({}, context)).toMatchObject({
      count: 1,
      items: [{ accountId: HOME, region: 'eu-west-1' }],
    });
  });

  it('names a bad bucket', async () => {
    const { handler } = handlerWith({});
    await expect(handler({ bucket: 'No_Such' }, context)).rejects.toThrow(
      'bucket: must be an S3 bucket name',
    );
  });

  it('writes one JSON array through PutObject', async () => {
    s3.on(PutObjectCommand).resolves({});
    const items = [{ accountId: MEMBER, region: 'eu-west-1', roleName: 'EcrImmutabilityGuardMember' }];
    await createScopeItemWriter(new S3Client({ region: 'eu-west-1' })).write(
      'guard-scope',
      'scope.json',
      items,
    );
    const [call] = s3.commandCalls(PutObjectCommand);
    expect(call?.args[0].input).toMatchObject({
      Bucket: 'guard-scope',
      Key: 'scope.json',
      Body: JSON.stringify(items),
    });
  });
});

describe('the CLI over several accounts', () => {
  const line = (
    overrides: {
      failed?: boolean;
      counts?: ReturnType<typeof emptyCounts>;
      missing?: string[];
      accountMissing?: boolean;
    } = {},
  ) => ({
    failed: overrides.failed ?? false,
    counts: overrides.counts ?? emptyCounts(),
    templateCounts: emptyCounts(),
    missing: overrides.missing ?? [],
    accountMissing: overrides.accountMissing ?? false,
  });

  it.each([
    { lines: [line()], code: EXIT.ok },
    { lines: [line(), line()], code: EXIT.ok },
    { lines: [line({ counts: { ...emptyCounts(), 'would-remediate': 1 } })], code: EXIT.nonCompliant },
    {
      lines: [line({ counts: { ...emptyCounts(), 'would-remediate': 1 } }), line({ failed: true })],
      code: EXIT.failures,
    },
    { lines: [line({ missing: ['api'] })], code: EXIT.missing },
    {
      lines: [line({ accountMissing: true }), line({ counts: { ...emptyCounts(), 'would-remediate': 2 } })],
      code: EXIT.missing,
    },
    {
      lines: [line({ accountMissing: true }), line({ counts: { ...emptyCounts(), failed: 1 } })],
      code: EXIT.failures,
    },
  ])('exits $code', ({ lines, code }) => {
    expect(exitCodeOf(lines)).toBe(code);
  });

  it.each([
    { codes: [], code: EXIT.ok },
    { codes: [EXIT.nonCompliant, EXIT.missing], code: EXIT.missing },
    { codes: [EXIT.missing, EXIT.failures, EXIT.nonCompliant], code: EXIT.failures },
    { codes: [EXIT.failures, EXIT.interrupted], code: EXIT.interrupted },
  ])('takes the most serious of $codes: $code', ({ codes, code }) => {
    expect(mostSevere(...codes)).toBe(code);
  });

  it.each([
    {
      args: ['sweep', '--ou', 'ou-ab12-cdef3456', '--account', MEMBER],
      message: '--ou: needs --org to be on',
    },
    { args: ['sweep', '--account', '2222'], message: '--account: must be a 12-digit account id' },
    {
      args: ['sweep', '--org', '--registry-id', MEMBER],
      message: '--registry-id: not with --org or --account',
    },
    { args: ['sweep', '--org', '--role-name', 'bad role'], message: '--role-name: must be an IAM role name' },
  ])('refuses $args with exit 2 naming the flag', async ({ args, message }) => {
    const { code, stderr } = await runCliInProcess([...args, '--region', 'eu-west-1']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(message);
  });
});
