/**
 * The member side of an organisation deployment (docs/architecture.md, "Organisation deployment"): the role
 * the central functions assume and the rule forwarding ECR's events to the central bus, and nothing else. No
 * code and no custom resources, so the template has no assets and CloudFormation StackSets can roll it out.
 */
import { ArnFormat, Aws, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import * as z from 'zod/mini';
import { FORWARDING_ROLE_NAME_PREFIX, FORWARDING_RULE_NAME } from '../lib/forwarding.ts';
import { FORWARDING_RULE_ACTIONS } from '../lib/iam-actions.ts';
import { SETTINGS, settingProblem } from '../lib/settings.ts';
import { ecrPolicyStatements, REGISTRY_LEVEL_ECR_ACTIONS } from './ecr-permissions.ts';
import { defaultBusRuleArn, eventsRoleFor } from './events-roles.ts';
import { guardrailEventPattern } from './guardrail-event-pattern.ts';
import {
  acknowledgedPolicy,
  NAG_WILDCARD_RESOURCE,
  nagRepositoryArnPattern,
  wildcardFinding,
} from './nag.ts';

/** The member props a template fixes at synthesis; the member stack takes the others as parameters. */
export interface MemberStackSettings {
  /** The member role's name (lib/settings.ts `memberRoleName`). @default 'EcrImmutabilityGuardMember' */
  readonly memberRoleName?: string;
  /** The external id the central functions present (lib/settings.ts `memberExternalId`). @default none required */
  readonly memberExternalId?: string;
  /** Whether the central deployment uses exemption tags (`exemptTagKey`): adds `ecr:ListTagsForResource`. @default false */
  readonly tagExemptions?: boolean;
  /**
   * The Region of the repositories the role may act on: `'*'` when one role serves every Region of the
   * account (IAM roles are global, see infra/member-stack.ts).
   * @default the stack's Region
   */
  readonly repositoryRegion?: string;
  /** Whether the central sweep checks repository creation templates: adds the registry-level actions on `*`. @default false */
  readonly checkCreationTemplates?: boolean;
}

/** The member role's props: whom it trusts, and what it may do. */
export interface MemberRoleProps extends MemberStackSettings {
  /**
   * The central functions' role ARNs (`arn:<partition>:iam::<account>:role/<name>`), the only principals
   * the member role trusts. May be a CloudFormation list parameter (one template for every account).
   */
  readonly centralRoleArns: readonly string[];
  /** The organisation (`o-` and 10-32 lower-case letters or digits) the central roles must belong to. */
  readonly organizationId: string;
}

/** Properties of {@link EcrImmutabilityGuardMember}. */
export interface EcrImmutabilityGuardMemberProps extends MemberRoleProps {
  /** The ARN of the central event bus the ECR events are forwarded to. */
  readonly centralEventBusArn: string;
}

/** An IAM role ARN in any partition. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** An organisation id. https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html */
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
/** An event bus ARN. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html */
export const EVENT_BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256}$/;

const literal = (value: string) => !Token.isUnresolved(value);

/** The default member role name, from the settings table. */
export const DEFAULT_MEMBER_ROLE_NAME: string = z.parse(SETTINGS.memberRoleName.schema, undefined);

/** {@link ecrPolicyStatements}, with the repository statement's Region replaced when one is given. */
function memberEcrStatements(stack: Stack, props: MemberRoleProps): iam.PolicyStatement[] {
  const features = {
    tagExemptions: props.tagExemptions === true,
    creationTemplates: props.checkCreationTemplates === true,
  };
  const region = props.repositoryRegion;
  return ecrPolicyStatements(stack, features).map((statement) =>
    region === undefined || statement.sid !== 'EcrRepositories'
      ? statement
      : new iam.PolicyStatement({
          sid: statement.sid,
          actions: statement.actions,
          resources: [
            stack.formatArn({
              service: 'ecr',
              region,
              resource: 'repository',
              resourceName: '*',
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          ],
        }),
  );
}

/** Problems with the member role's props, each naming the prop and what was given; tokens are not checked. */
export function memberRolePropsProblems(props: MemberRoleProps): string[] {
  const problems: string[] = [];
  if (props.centralRoleArns.length === 0) problems.push('centralRoleArns: must name at least one role ARN');
  // A list parameter is one encoded element that only `Token.isUnresolved` of the whole list recognises.
  const roleArns = Token.isUnresolved(props.centralRoleArns) ? [] : props.centralRoleArns;
  for (const arn of roleArns) {
    if (literal(arn) && !ROLE_ARN.test(arn))
      problems.push(
        `centralRoleArns: ${JSON.stringify(arn)} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`,
      );
  }
  if (literal(props.organizationId) && !ORGANIZATION_ID.test(props.organizationId))
    problems.push(
      `organizationId: ${JSON.stringify(props.organizationId)} is not an organisation id (o- and 10-32 lower-case letters or digits)`,
    );
  for (const key of ['memberRoleName', 'memberExternalId'] as const) {
    const value = props[key];
    if (value === undefined || !literal(value)) continue;
    const problem = settingProblem(key, value);
    if (problem !== undefined) problems.push(`${key}: ${JSON.stringify(value)} ${problem}`);
  }
  return problems;
}

/** Problems with the forwarding rule's props (the central bus ARN); a token is not checked. */
export function memberForwardingPropsProblems(
  props: Pick<EcrImmutabilityGuardMemberProps, 'centralEventBusArn'>,
): string[] {
  if (!literal(props.centralEventBusArn) || EVENT_BUS_ARN.test(props.centralEventBusArn)) return [];
  return [
    `centralEventBusArn: ${JSON.stringify(props.centralEventBusArn)} is not an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)`,
  ];
}

/** Problems with the props, each naming the prop and what was given; tokens (parameters) are not checked. */
export function memberPropsProblems(props: EcrImmutabilityGuardMemberProps): string[] {
  return [...memberRolePropsProblems(props), ...memberForwardingPropsProblems(props)];
}

/**
 * The central roles as one principal. A CloudFormation list parameter is a single token standing for
 * the whole list, so the ARNs go into the trust policy as given rather than one principal each.
 */
class CentralRolesPrincipal extends iam.PrincipalBase {
  readonly arns: string[];

  constructor(arns: readonly string[]) {
    super();
    this.arns = [...arns];
  }

  get policyFragment(): iam.PrincipalPolicyFragment {
    return new iam.PrincipalPolicyFragment({ AWS: this.arns });
  }

  override dedupeString(): string | undefined {
    return `CentralRoles:${JSON.stringify(this.arns)}`;
  }

  override toString(): string {
    return 'CentralRolesPrincipal';
  }
}

/**
 * The forwarding target's retry policy: EventBridge's longest (185 attempts over 24 hours), stated rather than
 * left to the default, so a central bus that is briefly unreachable (throttled, its policy being updated)
 * loses no event (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html).
 */
export const FORWARDING_RETRY_POLICY = {
  MaximumRetryAttempts: 185,
  MaximumEventAgeInSeconds: 86_400,
} as const;

/** The member role, its ECR policies and the read of the forwarding rule, created in `scope`. */
export interface MemberRoleParts {
  readonly memberRole: iam.Role;
  readonly memberPolicies: iam.Policy[];
}

/** The ARN pattern of the forwarding rule as cdk-nag prints it in finding ids. */
const nagForwardingRulePattern = (region: string | undefined) =>
  `arn:<AWS::Partition>:events:${region ?? '<AWS::Region>'}:<AWS::AccountId>:rule/${FORWARDING_RULE_NAME}`;

/**
 * Creates the member role in `scope` (construct IDs `MemberRole`, `Ecr…Policy`, `ForwardingRuleReadPolicy`):
 * assumable only by the central functions' roles, only from inside the organisation (`aws:PrincipalOrgID`)
 * and with the external id when one is set; allowed exactly the ECR actions the core declares
 * (`requiredEcrActions` of lib/iam-actions.ts through {@link ecrPolicyStatements}), and the read of the forwarding
 * rule (that rule only), so the organisation sweep can check the guard's own footprint (lib/forwarding.ts).
 * Built alone, under the same IDs, for the role's single-Region StackSet (infra/stack-set.ts).
 */
export function addMemberRole(scope: Construct, props: MemberRoleProps): MemberRoleParts {
  const stack = Stack.of(scope);
  const memberRole = new iam.Role(scope, 'MemberRole', {
    roleName: props.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME,
    description: 'ecr-immutability-guard: assumed by the central functions to keep ECR tags immutable',
    assumedBy: new iam.PrincipalWithConditions(new CentralRolesPrincipal(props.centralRoleArns), {
      StringEquals: { 'aws:PrincipalOrgID': props.organizationId },
    }),
    ...(props.memberExternalId === undefined ? {} : { externalIds: [props.memberExternalId] }),
  });
  const memberPolicies: iam.Policy[] = [];
  for (const statement of memberEcrStatements(stack, props)) {
    const registryLevel = statement.actions.some((action) => REGISTRY_LEVEL_ECR_ACTIONS.has(action));
    const policy = acknowledgedPolicy(scope, registryLevel ? 'EcrRegistryPolicy' : 'EcrRepositoriesPolicy', {
      role: memberRole,
      statements: [statement],
      findings: registryLevel
        ? [NAG_WILDCARD_RESOURCE]
        : [wildcardFinding(nagRepositoryArnPattern(props.repositoryRegion))],
      reason: registryLevel
        ? 'Repository creation templates are registry-level settings: IAM accepts only "*" for these actions (Service Authorization Reference for Amazon ECR).'
        : "The guard keeps every repository of this account immutable, including repositories created later: the resource is repository/* of this account (and of the stack's Region unless the role serves every Region) only.",
    });
    memberPolicies.push(policy);
  }
  // The organisation sweep checks the forwarding rule through this role: that one rule, nothing else.
  const region = props.repositoryRegion;
  const readRule = new iam.PolicyStatement({
    sid: 'ForwardingRuleRead',
    actions: [...FORWARDING_RULE_ACTIONS],
    resources: [
      stack.formatArn({
        service: 'events',
        ...(region === undefined ? {} : { region }),
        resource: 'rule',
        resourceName: FORWARDING_RULE_NAME,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    ],
  });
  memberPolicies.push(
    acknowledgedPolicy(scope, 'ForwardingRuleReadPolicy', {
      role: memberRole,
      statements: [readRule],
      findings: region === undefined ? [] : [wildcardFinding(nagForwardingRulePattern(region))],
      reason:
        'One role serves every Region of the account (IAM is global), so the forwarding rule it may read is the one of that name in any Region of this account, and no other rule.',
    }),
  );
  return { memberRole, memberPolicies };
}

/** The forwarding rule and its events role, created in `scope`. */
export interface MemberForwardingParts {
  readonly forwardingRule: events.Rule;
  readonly eventsRole: iam.Role;
}

/**
 * Creates the forwarding rule and its events role in `scope` (construct IDs `ForwardingRole`,
 * `ForwardingRule`, `CentralBus`): a rule on the default bus named {@link FORWARDING_RULE_NAME} forwarding the
 * guardrail's ECR CloudTrail events (the same {@link guardrailEventPattern}) to the central bus with an
 * explicit retry policy, through an events role named `EcrImmutabilityGuardForwarding-<Region>` (the name the
 * central bus admits), trusted only by EventBridge for this rule of this account, and allowed only
 * `events:PutEvents` on that bus (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html).
 * Built alone, under the same IDs, for the forwarding StackSet of every Region (infra/stack-set.ts).
 */
export function addMemberForwarding(
  scope: Construct,
  props: Pick<EcrImmutabilityGuardMemberProps, 'centralEventBusArn'>,
): MemberForwardingParts {
  const eventsRole = eventsRoleFor(scope, 'ForwardingRole', defaultBusRuleArn(scope, FORWARDING_RULE_NAME), {
    // One per Region (IAM is global): the central bus admits exactly this name (infra/org-guard.ts).
    roleName: `${FORWARDING_ROLE_NAME_PREFIX}-${Aws.REGION}`,
    description: 'ecr-immutability-guard: puts ECR events on the central event bus',
  });
  const forwardingRule = new events.Rule(scope, 'ForwardingRule', {
    // A fixed name: the organisation sweep finds the rule by it (lib/forwarding.ts).
    ruleName: FORWARDING_RULE_NAME,
    description: 'ECR CloudTrail events the guardrail handles, forwarded to the central event bus.',
    eventPattern: guardrailEventPattern(),
  });
  // The target adds `events:PutEvents` on the bus (and nothing else) to the role's policy.
  forwardingRule.addTarget(
    new targets.EventBus(events.EventBus.fromEventBusArn(scope, 'CentralBus', props.centralEventBusArn), {
      role: eventsRole,
    }),
  );
  // CDK's EventBus target takes no retry policy; CloudFormation's target does (AWS::Events::Rule Target).
  const cfnRule = forwardingRule.node.defaultChild;
  if (!(cfnRule instanceof events.CfnRule)) throw new Error('the forwarding rule has no CfnRule');
  cfnRule.addPropertyOverride('Targets.0.RetryPolicy', { ...FORWARDING_RETRY_POLICY });
  return { forwardingRule, eventsRole };
}

/**
 * What one member account needs so the organisation's central construct can guard it, and nothing else: the
 * role the central functions assume and a rule forwarding ECR's CloudTrail events to the central bus. No code
 * and no assets, so a StackSet can roll it out (`EcrImmutabilityGuardOrg` does, from its member templates).
 *
 * @example
 * import { Stack } from 'aws-cdk-lib';
 * import { EcrImmutabilityGuardMember } from 'ecr-immutability-guard';
 *
 * const stack = new Stack(app, 'EcrGuardMember', { env: { account: '111122223333', region: 'eu-west-1' } });
 * new EcrImmutabilityGuardMember(stack, 'Member', {
 *   centralRoleArns: ['arn:aws:iam::444455556666:role/EcrGuardCentral-GuardGuardrailRole'],
 *   organizationId: 'o-abcdef1234',
 *   centralEventBusArn: 'arn:aws:events:eu-west-1:444455556666:event-bus/ecr-guard-central',
 * });
 */
export class EcrImmutabilityGuardMember extends Construct {
  /** The role the central functions assume in this account. */
  readonly memberRole: iam.Role;
  /** The rule on the default bus forwarding ECR events to the central bus. */
  readonly forwardingRule: events.Rule;
  /** The role EventBridge uses to put the events on the central bus. */
  readonly eventsRole: iam.Role;
  /** The member role's policies (ECR, and the read of the forwarding rule). */
  readonly memberPolicies: iam.Policy[];

  constructor(scope: Construct, id: string, props: EcrImmutabilityGuardMemberProps) {
    super(scope, id);
    const problems = memberPropsProblems(props);
    if (problems.length > 0)
      throw new Error(`Invalid EcrImmutabilityGuardMember props:\n  ${problems.join('\n  ')}`);
    const role = addMemberRole(this, props);
    this.memberRole = role.memberRole;
    this.memberPolicies = role.memberPolicies;
    const forwarding = addMemberForwarding(this, props);
    this.forwardingRule = forwarding.forwardingRule;
    this.eventsRole = forwarding.eventsRole;
  }
}
