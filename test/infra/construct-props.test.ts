/**
 * The construct's library conventions: overridable function props, bring-your-own
 * resources, every resource exposed, active tracing, the trail created once with a lifecycle, the
 * vended-logs log group, and cdk-nag acknowledgements that cover exact statements only.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { EcrImmutabilityGuard } from '../../infra/ecr-immutability-guard.ts';
import { XRAY_WRITE_ACTIONS } from '../../infra/functions.ts';
import {
  allowedPairs,
  cdkJsonContext,
  findResource,
  resources,
  stubBundleDir,
  synthesize,
} from './helpers.ts';

type Template = ReturnType<typeof synthesize>['template'];

function roleId(template: Template, prefix: string): string {
  return findResource(template, 'AWS::IAM::Role', prefix)[0];
}

describe('the construct as a library', () => {
  it('merges function props over the defaults, keeping its own code, handler, runtime and variables', () => {
    const { template } = synthesize({
      guardrailFunctionProps: {
        memorySize: 1024,
        environment: { EXTRA: 'yes', TARGET_MUTABILITY: 'MUTABLE' },
      },
      sweepFunctionProps: { description: 'custom sweep', timeout: Duration.minutes(10) },
    });
    const [, guardrail] = findResource(template, 'AWS::Lambda::Function', 'GuardGuardrailFunction');
    const [, sweep] = findResource(template, 'AWS::Lambda::Function', 'GuardSweepFunction');
    expect(guardrail).toMatchObject({
      MemorySize: 1024,
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Environment: { Variables: { EXTRA: 'yes', TARGET_MUTABILITY: 'IMMUTABLE' } },
    });
    expect(sweep).toMatchObject({ Description: 'custom sweep', Timeout: 600 });
  });

  it.each(['code', 'handler', 'runtime'])('refuses a function prop that overrides %s, naming it', (name) => {
    const overrides = {
      code: lambda.Code.fromInline('x'),
      handler: 'other.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
    };
    const picked = { [name]: overrides[name as keyof typeof overrides] };
    expect(() => synthesize({ guardrailFunctionProps: picked })).toThrow(
      new RegExp(`guardrailFunctionProps: ${name} cannot be overridden`),
    );
  });

  it('uses a dead-letter queue the user brings for the destination and both rule targets', () => {
    const { template, stack } = synthesize((scope) => ({
      deadLetterQueue: new sqs.Queue(scope, 'OwnDlq', { enforceSSL: true }),
    }));
    const [queueId] = findResource(template, 'AWS::SQS::Queue', 'OwnDlq');
    expect(Object.values(resources(template)).filter((r) => r.Type === 'AWS::SQS::Queue')).toHaveLength(1);
    for (const rule of ['GuardGuardrailRule', 'GuardSweepSchedule']) {
      const [, props] = findResource(template, 'AWS::Events::Rule', rule);
      expect(JSON.stringify(props.Targets)).toContain(
        `"DeadLetterConfig":{"Arn":{"Fn::GetAtt":["${queueId}","Arn"]}}`,
      );
    }
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    expect(stack.guard.deadLetterQueue.node.id).toBe('OwnDlq');
  });

  it('exposes every resource it creates', () => {
    const { stack } = synthesize({ createTrail: true, alarmEmail: 'ops@example.com' });
    const guard = stack.guard;
    for (const resource of [
      guard.guardrailFunction,
      guard.sweepFunction,
      guard.guardrailRole,
      guard.sweepRole,
      guard.guardrailLogGroup,
      guard.sweepLogGroup,
      guard.deadLetterQueue,
      guard.guardrailRule,
      guard.scheduleRule,
      guard.sweepStateMachine,
      guard.sweepStateMachineLogGroup,
      guard.alarmTopic,
      guard.alarmsByName,
      guard.dashboard,
      guard.trail,
      guard.trailBucket,
      guard.remediationsQuery,
    ]) {
      expect(resource).toBeDefined();
    }
  });

  it('enables X-Ray active tracing by a prop, with the write actions in their own policy', () => {
    const { template } = synthesize({ activeTracing: true });
    for (const name of ['Guardrail', 'Sweep']) {
      const [, fn] = findResource(template, 'AWS::Lambda::Function', `Guard${name}Function`);
      expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
      const pairs = allowedPairs(template, roleId(template, `Guard${name}Role`));
      for (const action of XRAY_WRITE_ACTIONS) expect(pairs).toContain(`${action} on *`);
    }
    const { template: plain } = synthesize();
    const [, fn] = findResource(plain, 'AWS::Lambda::Function', 'GuardGuardrailFunction');
    expect(fn.TracingConfig).toBeUndefined();
    expect(allowedPairs(plain, roleId(plain, 'GuardGuardrailRole')).some((p) => p.startsWith('xray:'))).toBe(
      false,
    );
  });

  it('writes the state machine logs under /aws/vendedlogs/states/', () => {
    const { template } = synthesize();
    const [, group] = findResource(template, 'AWS::Logs::LogGroup', 'GuardSweepWorkflowLogs');
    expect(String(group.LogGroupName)).toMatch(/^\/aws\/vendedlogs\/states\/\S+$/);
  });
});

describe('the optional trail', () => {
  function inRegion(region: string, props: ConstructorParameters<typeof EcrImmutabilityGuard>[2]) {
    const app = new App({ context: cdkJsonContext() });
    const stack = new Stack(app, `Stack-${region}`, { env: { region, account: '111122223333' } });
    return new EcrImmutabilityGuard(stack, 'Guard', { bundleDir: stubBundleDir(), ...props });
  }

  it('expires the trail logs after 365 days by default and aborts incomplete uploads', () => {
    const { template } = synthesize({ createTrail: true });
    const [, bucket] = findResource(template, 'AWS::S3::Bucket', 'GuardTrailBucket');
    expect(bucket.LifecycleConfiguration).toMatchObject({
      Rules: [
        expect.objectContaining({
          Status: 'Enabled',
          ExpirationInDays: 365,
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        }),
      ],
    });
    const [, custom] = findResource(
      synthesize({ createTrail: true, trailRetentionDays: 30 }).template,
      'AWS::S3::Bucket',
      'GuardTrailBucket',
    );
    expect(JSON.stringify(custom.LifecycleConfiguration)).toContain('"ExpirationInDays":30');
  });

  it('is created once: only by the stack in its home Region', () => {
    expect(inRegion('eu-west-1', { createTrail: true, trailHomeRegion: 'eu-west-1' }).trail).toBeDefined();
    expect(inRegion('us-east-1', { createTrail: true, trailHomeRegion: 'eu-west-1' }).trail).toBeUndefined();
    expect(() => synthesize({ createTrail: true, trailHomeRegion: 'eu-west-1' })).toThrow(
      /explicit env.region/,
    );
    expect(() => synthesize({ trailHomeRegion: 'Europe' })).toThrow(/trailHomeRegion: must be a Region name/);
  });
});

describe('cdk-nag acknowledgements', () => {
  it.each([
    ['the guardrail role', (guard: EcrImmutabilityGuard) => guard.guardrailRole],
    [
      'the sweep role (with creation templates and tracing)',
      (guard: EcrImmutabilityGuard) => guard.sweepRole,
    ],
    ['the state machine role', (guard: EcrImmutabilityGuard) => guard.sweepStateMachine.role],
  ])('cover exact statements: a new "*" statement on %s is reported', (_name, roleOf) => {
    const { app, stack } = synthesize({
      checkCreationTemplates: true,
      activeTracing: true,
      alarmEmail: 'ops@example.com',
    });
    const before = new AwsSolutionsChecks(app).validateScope(stack);
    expect(before.violations).toEqual([]);
    roleOf(stack.guard).addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }),
    );
    const after = new AwsSolutionsChecks(app).validateScope(stack);
    const wildcard = after.violations.filter(
      (violation) => violation.ruleName === 'AwsSolutions-IAM5[Resource::*]',
    );
    expect(wildcard.flatMap((violation) => violation.violatingResources.map((r) => r.constructPath))).toEqual(
      [expect.stringMatching(/\/DefaultPolicy\/Resource$/)],
    );
  });
});
