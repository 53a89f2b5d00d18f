/**
 * The deployable stack: one {@link EcrImmutabilityGuard} and the outputs the README refers to
 * (the state machine ARN for backfills, the log groups for Logs Insights, the dead-letter queue).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EcrImmutabilityGuard, type EcrImmutabilityGuardProps } from './ecr-immutability-guard.ts';

export interface EcrImmutabilityGuardStackProps extends StackProps {
  /** The construct's properties, or a function building them in the stack (to import resources). */
  readonly guard?: EcrImmutabilityGuardProps | ((stack: Stack) => EcrImmutabilityGuardProps);
}

export class EcrImmutabilityGuardStack extends Stack {
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
