/**
 * Who is calling: STS GetCallerIdentity's account and ARN, for the evidence report's "gathered by"
 * (docs/architecture.md, "Evidence report"); errors translated by lib/aws-call.ts. GetCallerIdentity needs no IAM permission
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html); an explicit deny
 * cannot refuse it either.
 */
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { callWithRetries } from './aws-call.ts';
import { AwsCallError } from './errors.ts';

export interface CallerIdentity {
  readonly accountId: string;
  /** An IAM user, an assumed-role session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`), or root. */
  readonly arn: string;
}

/**
 * The caller's identity, retried like every control-plane call.
 * @throws AwsCallError when the call fails, or answers without an account or ARN.
 */
export async function readCallerIdentity(sts: STSClient): Promise<CallerIdentity> {
  const identity = await callWithRetries('sts', 'GetCallerIdentity', () =>
    sts.send(new GetCallerIdentityCommand({})),
  );
  const { Account: accountId, Arn: arn } = identity;
  if (accountId === undefined || !/^\d{12}$/.test(accountId) || arn === undefined || arn === '') {
    throw new AwsCallError('sts', 'GetCallerIdentity', 'NoIdentity', false);
  }
  return { accountId, arn };
}
