/**
 * The member stack: one {@link EcrImmutabilityGuardMember}, with the central event bus ARN, the central
 * role ARNs and the organisation id as CloudFormation parameters, so a single asset-free template serves
 * every account and Region of a StackSet
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html).
 *
 * IAM is global to an account, so the named member role is created only by the stack instance in the
 * `MemberRoleRegion` parameter's Region; the forwarding rule and its events role exist in every Region.
 * The stack uses no CDK bootstrap resources (member accounts are not bootstrapped): the
 * {@link BootstraplessSynthesizer} adds no bootstrap version parameter and refuses assets.
 */
import {
  Aws,
  BootstraplessSynthesizer,
  CfnCondition,
  CfnOutput,
  CfnParameter,
  CfnResource,
  Fn,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  EcrImmutabilityGuardMember,
  type EcrImmutabilityGuardMemberProps,
  EVENT_BUS_ARN,
  ORGANIZATION_ID,
} from './member.ts';

/** The member props the template fixes at synthesis; the others are parameters. */
export type MemberStackSettings = Omit<
  EcrImmutabilityGuardMemberProps,
  'centralRoleArns' | 'organizationId' | 'centralEventBusArn'
>;

export interface EcrImmutabilityGuardMemberStackProps extends StackProps {
  /** The settings fixed at synthesis, or a function building them in the stack (e.g. from context). */
  readonly member?: MemberStackSettings | ((stack: Stack) => MemberStackSettings);
}

export class EcrImmutabilityGuardMemberStack extends Stack {
  readonly member: EcrImmutabilityGuardMember;

  constructor(scope: Construct, id: string, props: EcrImmutabilityGuardMemberStackProps = {}) {
    super(scope, id, {
      synthesizer: new BootstraplessSynthesizer(),
      description:
        'ecr-immutability-guard member: the role the central functions assume and ECR event forwarding',
      ...props,
    });
    const centralEventBusArn = new CfnParameter(this, 'CentralEventBusArn', {
      type: 'String',
      description: 'ARN of the central event bus the ECR events are forwarded to',
      allowedPattern: EVENT_BUS_ARN.source,
      constraintDescription: 'must be an event bus ARN: arn:aws:events:<region>:<account>:event-bus/<name>',
    });
    const centralRoleArns = new CfnParameter(this, 'CentralRoleArns', {
      type: 'CommaDelimitedList',
      description: 'ARNs of the central guardrail and sweep functions’ roles, comma-separated',
    });
    const organizationId = new CfnParameter(this, 'OrganizationId', {
      type: 'String',
      description: 'The organisation id (o-…) the central roles belong to',
      allowedPattern: ORGANIZATION_ID.source,
      constraintDescription: 'must be an organisation id: o- and 10-32 lower-case letters or digits',
    });
    const roleRegion = new CfnParameter(this, 'MemberRoleRegion', {
      type: 'String',
      description:
        'The one Region whose stack instance creates the member role (IAM roles are global to an account)',
      allowedPattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
      constraintDescription: 'must be a Region name such as eu-west-1',
    });
    const createsRole = new CfnCondition(this, 'CreatesMemberRole', {
      expression: Fn.conditionEquals(Aws.REGION, roleRegion.valueAsString),
    });
    const settings = typeof props.member === 'function' ? props.member(this) : props.member;
    this.member = new EcrImmutabilityGuardMember(this, 'Member', {
      repositoryRegion: '*',
      ...settings,
      centralEventBusArn: centralEventBusArn.valueAsString,
      centralRoleArns: centralRoleArns.valueAsList,
      organizationId: organizationId.valueAsString,
    });
    for (const construct of [this.member.memberRole, ...this.member.memberPolicies]) {
      const resource = construct.node.defaultChild;
      if (resource instanceof CfnResource) resource.cfnOptions.condition = createsRole;
    }
    new CfnOutput(this, 'MemberRoleArn', { value: this.member.memberRole.roleArn, condition: createsRole });
  }
}
