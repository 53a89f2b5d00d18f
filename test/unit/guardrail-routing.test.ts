/**
 * The guardrail and events forwarded from other accounts and regions: acted on through the member role
 * only when the account-region is in the configured scope; otherwise ignored, with the reason, without
 * ever asking for member credentials.
 */
import { ECRClient, PutImageTagMutabilityCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGuardrailHandler } from '../../functions/guardrail/handler.ts';
import type { MemberEcrRequest } from '../../functions/shared/member-ecr.ts';
import { createEcrAdapter, type EcrAdapter } from '../../lib/ecr.ts';
import { AwsCallError } from '../../lib/errors.ts';
import { answerWithOneMutableRepository } from '../helpers/ecr-mock.ts';
import { loadSampleEvent } from '../helpers/fixtures.ts';
import { auditorFactory, testConfig, testLogger, testMetrics } from '../helpers/runtime.ts';

const HOME = '123456789012';
const MEMBER = '222222222222';
const context = { invokedFunctionArn: `arn:aws:lambda:eu-west-1:${HOME}:function:guardrail` };
const ecrMock = mockClient(ECRClient);

/** The sample CreateRepository event as if it happened in `account` and `region`. */
function eventFrom(account: string, region: string): unknown {
  const event = loadSampleEvent('create-repository-default-mutable.json');
  if (typeof event !== 'object' || event === null) throw new Error('sample event is not an object');
  const detail = 'detail' in event && typeof event.detail === 'object' ? event.detail : {};
  return { ...event, account, region, detail: { ...detail, awsRegion: region, recipientAccountId: account } };
}

function setup(env: Record<string, string>, memberEcr?: (request: MemberEcrRequest) => Promise<EcrAdapter>) {
  const log = testLogger();
  const { metrics } = testMetrics();
  const asked: MemberEcrRequest[] = [];
  const memberAdapter = createEcrAdapter(new ECRClient({ region: 'us-east-1' }), { sleep: async () => {} });
  const handler = createGuardrailHandler({
    config: testConfig(env),
    ecr: createEcrAdapter(new ECRClient({ region: 'eu-west-1' }), { sleep: async () => {} }),
    logger: log.logger,
    createAuditor: auditorFactory(log.logger, metrics),
    memberEcr: async (request) => {
      asked.push(request);
      return memberEcr === undefined ? memberAdapter : memberEcr(request);
    },
  });
  return { handler, asked };
}

describe('the guardrail and events from other accounts and regions', () => {
  beforeEach(() => {
    answerWithOneMutableRepository(ecrMock, HOME);
  });

  it.each<{ when: string; env: Record<string, string>; account: string; region: string; reason: string }>([
    {
      when: 'organisation mode is off',
      env: {},
      account: MEMBER,
      region: 'us-east-1',
      reason: 'organisation mode is off',
    },
    {
      when: 'the account is excluded',
      env: { ORGANIZATION_MODE: 'true', EXCLUDED_ACCOUNTS: MEMBER },
      account: MEMBER,
      region: 'us-east-1',
      reason: `account ${MEMBER} is excluded`,
    },
    {
      when: 'the account is not in the configured accounts',
      env: { ORGANIZATION_MODE: 'true', SCOPE_ACCOUNTS: '333333333333' },
      account: MEMBER,
      region: 'us-east-1',
      reason: 'is not in scope',
    },
    {
      when: 'the region is not in the scope regions',
      env: { ORGANIZATION_MODE: 'true', SCOPE_REGIONS: 'eu-west-1' },
      account: MEMBER,
      region: 'ap-south-1',
      reason: 'region ap-south-1 is not in scope',
    },
  ])('ignores a member event when $when, without asking for member credentials', async (row) => {
    // Arrange
    const { handler, asked } = setup(row.env);
    // Act
    const summary = await handler(eventFrom(row.account, row.region), context);
    // Assert
    expect(asked).toEqual([]);
    expect(ecrMock.calls()).toHaveLength(0);
    expect(summary.records).toMatchObject([
      {
        outcome: 'ignored',
        accountId: row.account,
        region: row.region,
        reason: expect.stringContaining(row.reason),
      },
    ]);
  });

  it('acts on a member event in that account and region through the member role in organisation mode', async () => {
    // Arrange
    const { handler, asked } = setup({ ORGANIZATION_MODE: 'true', SCOPE_REGIONS: 'eu-west-1,us-east-1' });
    // Act
    const summary = await handler(eventFrom(MEMBER, 'us-east-1'), context);
    // Assert
    expect(asked).toEqual([{ accountId: MEMBER, region: 'us-east-1', ownAccountId: HOME }]);
    expect(ecrMock).toHaveReceivedCommandWith(PutImageTagMutabilityCommand, {
      registryId: MEMBER,
      repositoryName: 'payments/api',
      imageTagMutability: 'IMMUTABLE',
    });
    expect(summary.records).toMatchObject([
      { outcome: 'remediated', accountId: MEMBER, region: 'us-east-1' },
    ]);
  });

  it('acts on its own account in another region with its own credentials in organisation mode', async () => {
    const { handler, asked } = setup({ ORGANIZATION_MODE: 'true' });
    const summary = await handler(eventFrom(HOME, 'us-east-1'), context);
    expect(asked).toEqual([{ accountId: HOME, region: 'us-east-1', ownAccountId: HOME }]);
    expect(summary.records).toMatchObject([{ outcome: 'remediated', accountId: HOME, region: 'us-east-1' }]);
  });

  it('records a member role that cannot be assumed as failed with the STS code, and fails the invocation', async () => {
    // Arrange
    const denied = new AwsCallError('sts', 'AssumeRole', 'AccessDenied', false);
    const { handler } = setup({ ORGANIZATION_MODE: 'true' }, async () => {
      throw denied;
    });
    // Act / Assert
    await expect(handler(eventFrom(MEMBER, 'eu-west-1'), context)).rejects.toBe(denied);
    expect(ecrMock.calls()).toHaveLength(0);
  });
});
