/**
 * The organisation's central event bus: who may put events on it (the member forwarding roles of the
 * organisation, nobody else), where member Regions can forward to it from (the China and GovCloud partitions
 * forward within one Region only), and the sweep's check that each account-region's forwarding rule targets it
 * (lib/forwarding.ts).
 */
import { Aws, CfnRule, Fn, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { FORWARDING_ROLE_NAME_PREFIX, FORWARDING_RULE_NAME } from '../lib/forwarding.ts';
import { FORWARDING_RULE_ACTIONS } from '../lib/iam-actions.ts';
import type { GuardFunctionName } from '../lib/settings.ts';
import { addConstructSetting } from './function-environment.ts';
import type { GuardFunction } from './functions.ts';
import { acknowledgedPolicy, wildcardFinding } from './nag.ts';

/**
 * The bus (construct ID `CentralEventBus`), admitting `events:PutEvents` only from the member accounts'
 * forwarding roles, by their name, inside the organisation: not any other principal of a member account
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
 */
export function createCentralBus(
  scope: Construct,
  organizationId: string,
  eventBusName: string | undefined,
): events.EventBus {
  const bus = new events.EventBus(scope, 'CentralEventBus', {
    ...(eventBusName === undefined ? {} : { eventBusName }),
    description: 'ecr-immutability-guard: ECR CloudTrail events forwarded by the member accounts',
  });
  bus.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'OrganizationPutEvents',
      principals: [new iam.StarPrincipal()],
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: {
        StringEquals: { 'aws:PrincipalOrgID': organizationId },
        ArnLike: {
          'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::*:role/${FORWARDING_ROLE_NAME_PREFIX}-*`,
        },
      },
    }),
  );
  return bus;
}

/** The partitions where EventBridge cannot deliver events to a bus in another Region. */
const SINGLE_REGION_FORWARDING = [
  { prefix: 'cn-', partition: 'aws-cn' },
  { prefix: 'us-gov-', partition: 'aws-us-gov' },
] as const;

/**
 * Member Regions that could not forward to the central bus: in the China and GovCloud partitions a rule
 * cannot target an event bus in another Region, so each member Region must be the central stack's. Only
 * literal Regions are checked (tokens get a deploy-time rule, {@link requireForwardableRegions}).
 */
export function partitionProblems(centralRegion: string, memberRegions: readonly string[]): string[] {
  if (Token.isUnresolved(memberRegions)) return [];
  const literals = memberRegions.filter((region) => !Token.isUnresolved(region));
  const problems: string[] = [];
  for (const { prefix, partition } of SINGLE_REGION_FORWARDING) {
    const inPartition = literals.filter((region) => region.startsWith(prefix));
    const central = Token.isUnresolved(centralRegion) ? undefined : centralRegion;
    const others =
      central === undefined
        ? // The central Region is unknown at synthesis: two distinct Regions cannot both be it.
          new Set(inPartition).size > 1
          ? inPartition
          : []
        : central.startsWith(prefix)
          ? literals.filter((region) => region !== central)
          : [];
    if (others.length > 0)
      problems.push(
        `stackSet.regions: ${others.join(', ')}: in the ${partition} partition EventBridge cannot forward events to a bus in another Region, so every member Region must be the central stack's Region${central === undefined ? '' : ` (${central})`}; deploy one central stack per Region there`,
      );
  }
  return problems;
}

/**
 * At deployment, in the China and GovCloud partitions, every member Region must be the stack's Region (a
 * CloudFormation rule, for what synthesis could not decide: Regions that are parameters, an
 * environment-agnostic stack).
 */
export function requireForwardableRegions(scope: Construct, regions: readonly string[]): void {
  new CfnRule(scope, 'MemberRegionsForwardable', {
    ruleCondition: Fn.conditionOr(
      ...SINGLE_REGION_FORWARDING.map(({ partition }) => Fn.conditionEquals(Aws.PARTITION, partition)),
    ),
    assertions: [
      {
        assert: Fn.conditionEachMemberEquals([...regions], Aws.REGION),
        assertDescription:
          'In the aws-cn and aws-us-gov partitions EventBridge cannot forward events to a bus in another Region: every member Region must be this stack’s Region (deploy one central stack per Region).',
      },
    ],
  });
}

/**
 * Each organisation sweep child's first page checks its account-region's forwarding rule targets `bus`
 * (lib/forwarding.ts): through the member role elsewhere, with the sweep's own credentials in this account,
 * where it may read that one rule only.
 */
export function checkForwardingToBus(
  scope: Construct,
  bus: events.IEventBus,
  sweep: GuardFunction,
  functions: Partial<Record<GuardFunctionName, lambda.Function>>,
): void {
  addConstructSetting(functions, 'centralEventBusArn', bus.eventBusArn);
  acknowledgedPolicy(scope, 'SweepForwardingRulePolicy', {
    role: sweep.role,
    statements: [
      new iam.PolicyStatement({
        sid: 'ForwardingRuleRead',
        actions: [...FORWARDING_RULE_ACTIONS],
        resources: [`arn:${Aws.PARTITION}:events:*:${Aws.ACCOUNT_ID}:rule/${FORWARDING_RULE_NAME}`],
      }),
    ],
    findings: [
      wildcardFinding(`arn:<AWS::Partition>:events:*:<AWS::AccountId>:rule/${FORWARDING_RULE_NAME}`),
    ],
    reason:
      'The organisation sweep checks the forwarding rule of this account in every Region of the scope: that one rule name in any Region of this account, no other rule.',
    dependent: sweep.fn.node.defaultChild,
  });
}
