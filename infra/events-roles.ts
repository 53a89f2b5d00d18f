/**
 * Roles EventBridge assumes for one rule each, trusted only for that rule: `aws:SourceAccount` and
 * `aws:SourceArn` name the account and the rule, the confused-deputy conditions AWS recommends for service
 * principals (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html). The rule's ARN is built
 * from its name, which must therefore be fixed at synthesis: a reference to the rule would be a circular
 * dependency (the rule's target names the role).
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** The ARN of the rule of this name on the default bus of the stack's account and Region. */
export function defaultBusRuleArn(scope: Construct, ruleName: string): string {
  return Stack.of(scope).formatArn({
    service: 'events',
    resource: 'rule',
    resourceName: ruleName,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** A role only EventBridge may assume, and only on behalf of the rule `ruleArn` of this account. */
export function eventsRoleFor(
  scope: Construct,
  id: string,
  ruleArn: string,
  props: Omit<iam.RoleProps, 'assumedBy'> = {},
): iam.Role {
  return new iam.Role(scope, id, {
    ...props,
    assumedBy: new iam.PrincipalWithConditions(new iam.ServicePrincipal('events.amazonaws.com'), {
      StringEquals: { 'aws:SourceAccount': Stack.of(scope).account, 'aws:SourceArn': ruleArn },
    }),
  });
}
