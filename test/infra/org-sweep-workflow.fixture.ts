/**
 * A stack holding only the organisation sweep workflow, its two functions (stub bundles) and the results
 * bucket, synthesized with the feature flags of cdk.json (test/infra/helpers.ts), for the assertion, run
 * and cdk-nag tests of infra/org-sweep-workflow.ts.
 */
import path from 'node:path';
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { OrgSweepWorkflow, type OrgSweepWorkflowProps } from '../../infra/org-sweep-workflow.ts';
import { cdkJsonContext, type Definition, findResource, renderIntrinsics, stubBundleDir } from './helpers.ts';

export interface OrgSweepStack {
  readonly app: App;
  readonly stack: Stack;
  readonly workflow: OrgSweepWorkflow;
  readonly scopeFunction: lambda.Function;
  readonly sweepFunction: lambda.Function;
  readonly bucket: s3.Bucket;
  readonly template: Template;
}

export function synthesizeOrgSweep(props: Partial<OrgSweepWorkflowProps> = {}): OrgSweepStack {
  const app = new App({ context: cdkJsonContext() });
  const stack = new Stack(app, 'OrgSweepStack');
  const code = lambda.Code.fromAsset(path.join(stubBundleDir(), 'sweep'));
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      code,
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      timeout: Duration.minutes(15),
    });
  const scopeFunction = fn('ScopeFunction');
  const sweepFunction = fn('SweepFunction');
  const bucket = new s3.Bucket(stack, 'Results', {
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // The functions and the bucket are the caller's (infra/org-guard.ts makes them): their own findings are
  // not the workflow's, and are acknowledged here so the checks see only what the workflow adds.
  for (const target of [scopeFunction, sweepFunction]) {
    Validations.of(target).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'A test fixture: the real functions are made by the construct with their own log policies.',
    });
  }
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'A test fixture: the real results bucket is made by the construct with its own access logging.',
  });
  const workflow = new OrgSweepWorkflow(stack, 'OrgSweep', {
    scopeFunction,
    sweepFunction,
    resultsBucket: bucket,
    sweepTimeout: Duration.minutes(15),
    ...props,
  });
  return { app, stack, workflow, scopeFunction, sweepFunction, bucket, template: Template.fromStack(stack) };
}

/** The organisation sweep state machine's definition, parsed from the template. */
export function orgSweepDefinitionOf(template: Template): Definition {
  const [, machine] = findResource(template, 'AWS::StepFunctions::StateMachine', 'OrgSweepStateMachine');
  return JSON.parse(renderIntrinsics(machine.DefinitionString));
}
