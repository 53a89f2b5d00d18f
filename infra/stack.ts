/**
 * The deployable stacks: one {@link EcrImmutabilityGuard} (single account) or one
 * {@link EcrImmutabilityGuardOrg} (the organisation's central account), and the outputs the README
 * refers to (the state machine ARN for backfills, the log groups for Logs Insights, the dead-letter queue).
 */
import { CfnOutput, CfnParameter, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EcrImmutabilityGuard, type EcrImmutabilityGuardProps } from './ecr-immutability-guard.ts';
import { ORGANIZATION_ID } from './member.ts';
import { EcrImmutabilityGuardOrg, type EcrImmutabilityGuardOrgBaseProps } from './org-guard.ts';
import { STACK_SET_CALL_AS } from './stack-set.ts';

export interface EcrImmutabilityGuardStackProps extends StackProps {
  /**
   * The construct's properties, or a function building them in the stack (to import resources).
   * @default the construct's defaults
   */
  readonly guard?: EcrImmutabilityGuardProps | ((stack: Stack) => EcrImmutabilityGuardProps);
}

/** A stack of one {@link EcrImmutabilityGuard}, with the outputs the README refers to. */
export class EcrImmutabilityGuardStack extends Stack {
  /** The guard this stack deploys. */
  readonly guard: EcrImmutabilityGuard;

  constructor(scope: Construct, id: string, props: EcrImmutabilityGuardStackProps = {}) {
    super(scope, id, {
      description: 'ecr-immutability-guard: keeps every Amazon ECR repository at IMMUTABLE image tags',
      ...props,
    });
    const guardProps = typeof props.guard === 'function' ? props.guard(this) : props.guard;
    this.guard = new EcrImmutabilityGuard(this, 'Guard', guardProps);

    new CfnOutput(this, 'SweepStateMachineArn', {
      description:
        'Start a backfill: aws stepfunctions start-execution --state-machine-arn <this> --input \'{"dryRun":true}\'',
      value: this.guard.sweepStateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'GuardrailFunctionName', { value: this.guard.guardrailFunction.functionName });
    new CfnOutput(this, 'SweepFunctionName', { value: this.guard.sweepFunction.functionName });
    new CfnOutput(this, 'GuardrailLogGroupName', { value: this.guard.guardrailLogGroup.logGroupName });
    new CfnOutput(this, 'SweepLogGroupName', { value: this.guard.sweepLogGroup.logGroupName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.guard.deadLetterQueue.queueUrl });
    if (this.guard.alarmTopic !== undefined) {
      new CfnOutput(this, 'AlarmTopicArn', { value: this.guard.alarmTopic.topicArn });
    }
  }
}

export interface EcrImmutabilityGuardOrgStackProps extends StackProps {
  /**
   * The construct's properties but the organisation id and the StackSet's targets, which are the stack's
   * parameters; or a function building them in the stack (to import resources).
   * @default the construct's defaults
   */
  readonly guard?: EcrImmutabilityGuardOrgBaseProps | ((stack: Stack) => EcrImmutabilityGuardOrgBaseProps);
  /** Create no StackSet (deploy the member template by hand). @default a StackSet from the parameters */
  readonly stackSet?: false;
}

/**
 * The central stack of an organisation: one {@link EcrImmutabilityGuardOrg}, with the organisation id,
 * the member OUs and Regions and `CallAs` as CloudFormation parameters, so one synthesized template
 * serves any organisation (`cdk deploy --parameters OrganizationId=o-…`).
 */
export class EcrImmutabilityGuardOrgStack extends Stack {
  /** The central guard this stack deploys. */
  readonly guard: EcrImmutabilityGuardOrg;

  constructor(scope: Construct, id: string, props: EcrImmutabilityGuardOrgStackProps = {}) {
    super(scope, id, {
      description:
        'ecr-immutability-guard central: guards the ECR repositories of every account and Region of an organisation',
      ...props,
    });
    const organizationId = new CfnParameter(this, 'OrganizationId', {
      type: 'String',
      description:
        'The organisation id (o-…): the central bus admits it only, the functions reach only its accounts',
      allowedPattern: ORGANIZATION_ID.source,
      constraintDescription: 'must be an organisation id: o- and 10-32 lower-case letters or digits',
    });
    const stackSet =
      props.stackSet === false
        ? false
        : {
            organizationalUnitIds: new CfnParameter(this, 'MemberOrganizationalUnitIds', {
              type: 'CommaDelimitedList',
              description:
                'OU ids (ou-…) or the root id (r-…) whose accounts get the member stack, comma-separated',
            }).valueAsList,
            regions: new CfnParameter(this, 'MemberRegions', {
              type: 'CommaDelimitedList',
              description:
                'Regions of the member forwarding stacks, comma-separated (the member role is created once, in this stack’s Region). Also the Regions swept unless -c scopeRegions is set',
            }).valueAsList,
            callAs: new CfnParameter(this, 'StackSetCallAs', {
              type: 'String',
              description:
                'DELEGATED_ADMIN in a delegated administrator account for StackSets, SELF in the management account',
              allowedValues: [...STACK_SET_CALL_AS],
              default: 'DELEGATED_ADMIN',
            }).valueAsString,
          };
    const guardProps = typeof props.guard === 'function' ? props.guard(this) : props.guard;
    this.guard = new EcrImmutabilityGuardOrg(this, 'Guard', {
      ...guardProps,
      organizationId: organizationId.valueAsString,
      stackSet,
    });

    new CfnOutput(this, 'CentralEventBusArn', {
      description:
        'The central bus: the member stacks forward ECR events here (parameter CentralEventBusArn)',
      value: this.guard.eventBus.eventBusArn,
    });
    new CfnOutput(this, 'CentralRoleArns', {
      description:
        'The roles the member roles trust (parameter CentralRoleArns of a hand-deployed member stack)',
      value: Fn.join(',', [...this.guard.centralRoleArns]),
    });
    new CfnOutput(this, 'SweepStateMachineArn', {
      description:
        'Start an organisation sweep: aws stepfunctions start-execution --state-machine-arn <this> --input \'{"dryRun":true}\'',
      value: this.guard.sweepStateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'ResultsBucketName', { value: this.guard.resultsBucket.bucketName });
    new CfnOutput(this, 'GuardrailLogGroupName', { value: this.guard.guardrailLogGroup.logGroupName });
    new CfnOutput(this, 'SweepLogGroupName', { value: this.guard.sweepLogGroup.logGroupName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.guard.deadLetterQueue.queueUrl });
    if (this.guard.stackSet !== undefined) {
      new CfnOutput(this, 'MemberStackSetId', { value: this.guard.stackSet.attrStackSetId });
    }
    if (this.guard.roleStackSet !== undefined) {
      new CfnOutput(this, 'MemberRoleStackSetId', { value: this.guard.roleStackSet.attrStackSetId });
    }
    if (this.guard.alarmTopic !== undefined) {
      new CfnOutput(this, 'AlarmTopicArn', { value: this.guard.alarmTopic.topicArn });
    }
  }
}
