/**
 * TEMPORARY stand-in for the organisation sweep state machine (issue 13): the real one (a Distributed
 * Map over the scope items in S3, one STANDARD child per account-region) comes from the orgflow branch,
 * which replaces this file at merge. It has exactly that construct's interface so that
 * infra/org-guard.ts compiles and synthesizes; its one task lists the scope and nothing else.
 */
import { Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgedPolicy, NAG_WILDCARD_RESOURCE, XRAY_WRITE_ACTIONS } from './functions.ts';
import { VENDED_LOGS_PREFIX } from './sweep-workflow.ts';

export interface OrgSweepWorkflowProps {
  /** The dist/scope bundle (functions/scope): lists the scope, and summarises results. */
  readonly scopeFunction: lambda.IFunction;
  /** The dist/sweep bundle: one page of one account-region per invoke ({accountId, region, roleName, nextToken?}). */
  readonly sweepFunction: lambda.IFunction;
  /** Scope items (ItemReader) and Distributed Map results (ResultWriter); created by the caller. */
  readonly resultsBucket: s3.IBucket;
  /** The sweep function's timeout. */
  readonly sweepTimeout: Duration;
  /** Distributed Map MaxConcurrency (child executions at once). @default 10 */
  readonly maxConcurrency?: number;
  /** @default 24 hours */
  readonly executionTimeout?: Duration;
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
}

export class OrgSweepWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OrgSweepWorkflowProps) {
    super(scope, id);
    const listScope = tasks.LambdaInvoke.jsonata(this, 'ListScope', {
      comment: 'Placeholder: lists the scope inline (the orgflow branch brings the Distributed Map).',
      lambdaFunction: props.scopeFunction,
      payload: sfn.TaskInput.fromObject({}),
      outputs: '{% $states.result.Payload %}',
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `${VENDED_LOGS_PREFIX}${Names.uniqueResourceName(this, { maxLength: 200 })}`,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'ECR immutability organisation sweep (placeholder until the Distributed Map lands).',
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(listScope),
      timeout: props.executionTimeout ?? Duration.hours(24),
    });
    const cfn = this.stateMachine.node.defaultChild;
    if (!(cfn instanceof sfn.CfnStateMachine))
      throw new Error('the org sweep state machine has no CfnStateMachine');
    cfn.tracingConfiguration = { enabled: true };
    cfn.loggingConfiguration = {
      destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: this.logGroup.logGroupArn } }],
      includeExecutionData: true,
      level: sfn.LogLevel.ALL,
    };
    acknowledgedPolicy(this, 'ObservabilityPolicy', {
      role: this.stateMachine.role,
      statements: [
        new iam.PolicyStatement({
          sid: 'LogDelivery',
          actions: [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'XRay',
          actions: [...XRAY_WRITE_ACTIONS, 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
          resources: ['*'],
        }),
      ],
      findings: [NAG_WILDCARD_RESOURCE],
      reason:
        'CloudWatch Logs delivery and X-Ray do not support resource-level permissions: IAM accepts only "*". This policy holds only them.',
      dependent: cfn,
    });
  }
}
