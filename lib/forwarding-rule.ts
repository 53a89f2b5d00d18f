/**
 * Reads the member forwarding rule of one account-region (lib/forwarding.ts) over a ready `EventBridgeClient`
 * (the member role's credentials in that Region; tests pass an `aws-sdk-client-mock`): `DescribeRule` for its
 * state, `ListTargetsByRule` (every page) for its targets. A rule that does not exist is a fact, not an error;
 * every other failure is retried when transient and translated into an {@link AwsCallError} at this boundary,
 * a listing that repeats a page token (lib/pagination.ts) included.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeRule.html
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListTargetsByRule.html
 */
import {
  DescribeRuleCommand,
  type EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { callWithRetries } from './aws-call.ts';
import type { RetryOptions } from './aws-retry.ts';
import { AwsCallError } from './errors.ts';
import type { ForwardingRuleFacts } from './forwarding.ts';
import { pageTokens, RepeatedPageTokenError } from './pagination.ts';

const SERVICE = 'events';
/** ListTargetsByRule's largest page. */
const TARGETS_PAGE_SIZE = 100;

export interface ForwardingRuleReader {
  /** The rule of this name on the default bus: whether it exists, its state, its targets' ARNs. */
  read(ruleName: string): Promise<ForwardingRuleFacts>;
}

export function createForwardingRuleReader(
  client: EventBridgeClient,
  options: RetryOptions = {},
): ForwardingRuleReader {
  return {
    async read(ruleName) {
      try {
        const rule = await callWithRetries(
          SERVICE,
          'DescribeRule',
          () => client.send(new DescribeRuleCommand({ Name: ruleName })),
          options,
        );
        const targetArns: string[] = [];
        const tokens = pageTokens('EventBridge ListTargetsByRule');
        let nextToken: string | undefined;
        do {
          const token = nextToken;
          const page = await callWithRetries(
            SERVICE,
            'ListTargetsByRule',
            () =>
              client.send(
                new ListTargetsByRuleCommand({ Rule: ruleName, NextToken: token, Limit: TARGETS_PAGE_SIZE }),
              ),
            options,
          );
          for (const target of page.Targets ?? []) if (target.Arn !== undefined) targetArns.push(target.Arn);
          try {
            nextToken = tokens.next(page.NextToken);
          } catch (error) {
            // A token seen before would page forever: the rule's targets cannot be read.
            // Stryker disable next-line ConditionalExpression: `false` is equivalent, `tokens.next` throws nothing but a RepeatedPageTokenError (the check narrows `error`); `true`, disabled with it, fails the repeated-token test of test/unit/pagination.test.ts.
            if (!(error instanceof RepeatedPageTokenError)) throw error;
            throw new AwsCallError(SERVICE, 'ListTargetsByRule', error.name, false, { cause: error });
          }
        } while (nextToken !== undefined);
        return { exists: true, state: rule.State, targetArns };
      } catch (error) {
        // Deleted before or while it was read: it does not exist.
        if (error instanceof AwsCallError && error.code === 'ResourceNotFoundException')
          return { exists: false };
        throw error;
      }
    },
  };
}
