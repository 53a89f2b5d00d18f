/** Where a function runs, from its Lambda context. */
import type { Context } from 'aws-lambda';

/**
 * The account and region this function runs in, from its own ARN
 * (`arn:<partition>:lambda:<region>:<account>:function:<name>`); undefined without a Lambda context.
 */
export function deploymentOf(
  context: Pick<Context, 'invokedFunctionArn'> | undefined,
): { account: string; region: string } | undefined {
  const [arn, , service, region, account] = context?.invokedFunctionArn?.split(':') ?? [];
  if (arn !== 'arn' || service !== 'lambda' || !region || !account || !/^\d{12}$/.test(account)) {
    return undefined;
  }
  return { account, region };
}
