/**
 * Who is calling (lib/caller-identity.ts), for the evidence report's "gathered by": STS GetCallerIdentity
 * over aws-sdk-client-mock, its answer checked, its errors translated and retried like every call.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readCallerIdentity } from '../../lib/caller-identity.ts';
import { AwsCallError } from '../../lib/errors.ts';
import { sdkError } from '../helpers/sdk-error.ts';

const stsMock = mockClient(STSClient);
const ACCOUNT = '123456789012';
const ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/Auditor/jane`;

describe('readCallerIdentity', () => {
  const sts = new STSClient({ region: 'eu-west-1' });
  beforeEach(() => {
    stsMock.reset();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('returns the account and ARN STS answers, from one call without parameters', async () => {
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: ARN, UserId: 'AROAEXAMPLE:jane' });
    await expect(readCallerIdentity(sts)).resolves.toEqual({ accountId: ACCOUNT, arn: ARN });
    expect(stsMock).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expect(stsMock.commandCalls(GetCallerIdentityCommand)[0]?.args[0].input).toEqual({});
  });

  it.each([
    ['no account', { Arn: ARN }],
    ['an account that is not 12 digits', { Account: '12345', Arn: ARN }],
    ['an account with more than 12 digits', { Account: `${ACCOUNT}0`, Arn: ARN }],
    ['an account with text before it', { Account: `x${ACCOUNT}`, Arn: ARN }],
    ['no ARN', { Account: ACCOUNT }],
    ['an empty ARN', { Account: ACCOUNT, Arn: '' }],
  ])('fails, not retried, when STS answers with %s', async (_case, answer) => {
    stsMock.on(GetCallerIdentityCommand).resolves(answer);
    const error = await readCallerIdentity(sts).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({
      message: 'sts:GetCallerIdentity failed with NoIdentity',
      service: 'sts',
      operation: 'GetCallerIdentity',
      code: 'NoIdentity',
      retryable: false,
    });
    expect(stsMock).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
  });

  it('translates a permanent error into an AwsCallError naming the call', async () => {
    stsMock.on(GetCallerIdentityCommand).rejects(sdkError('InvalidClientTokenId', 403));
    await expect(readCallerIdentity(sts)).rejects.toMatchObject({
      message: 'sts:GetCallerIdentity failed with InvalidClientTokenId: InvalidClientTokenId happened',
      code: 'InvalidClientTokenId',
      retryable: false,
    });
    expect(stsMock).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
  });

  it('retries throttling above the SDK', async () => {
    // No backoff: the full-jitter delay is random() × the ceiling.
    vi.spyOn(Math, 'random').mockReturnValue(0);
    stsMock
      .on(GetCallerIdentityCommand)
      .rejectsOnce(sdkError('Throttling', 400))
      .resolves({ Account: ACCOUNT, Arn: ARN });
    await expect(readCallerIdentity(sts)).resolves.toEqual({ accountId: ACCOUNT, arn: ARN });
    expect(stsMock).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 2);
  });
});
