/** The two Lambda functions as synthesized: runtime, architecture, logging, configuration, failure handling. */

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { findResource, synthesize } from './helpers.ts';

const functionIds = { guardrail: 'GuardGuardrailFunction', sweep: 'GuardSweepFunction' } as const;

describe('the guardrail and sweep functions', () => {
  const { template } = synthesize();

  it.each(Object.entries(functionIds))(
    'runs %s on nodejs24.x, arm64, with source maps and JSON logs',
    (_name, id) => {
      const [, fn] = findResource(template, 'AWS::Lambda::Function', id);
      expect(fn).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO' },
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
      });
    },
  );

  it('writes each function to its own log group, kept 90 days by default', () => {
    for (const [name, id] of Object.entries(functionIds)) {
      const [, fn] = findResource(template, 'AWS::Lambda::Function', id);
      const logGroupId = name === 'guardrail' ? 'GuardGuardrailLogs' : 'GuardSweepLogs';
      const [logicalId, logGroup] = findResource(template, 'AWS::Logs::LogGroup', logGroupId);
      expect(fn.LoggingConfig).toMatchObject({ LogGroup: { Ref: logicalId } });
      expect(logGroup.RetentionInDays).toBe(90);
    }
    const [, stateMachineLogs] = findResource(template, 'AWS::Logs::LogGroup', 'GuardSweepWorkflowLogs');
    expect(stateMachineLogs.RetentionInDays).toBe(90);
    // The audit records outlive the stack unless asked otherwise.
    template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('takes another retention and removal policy for all three log groups', () => {
    const { template: shortLived } = synthesize({
      logRetention: logs.RetentionDays.ONE_WEEK,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
    shortLived.resourceCountIs('AWS::Logs::LogGroup', 3);
    shortLived.allResources('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Delete',
      Properties: { RetentionInDays: 7 },
    });
  });

  it('sets the Powertools and policy environment, and only the optional variables that were given', () => {
    const [, guardrail] = findResource(template, 'AWS::Lambda::Function', functionIds.guardrail);
    expect(guardrail.Environment).toEqual({
      Variables: {
        TARGET_MUTABILITY: 'IMMUTABLE',
        DRY_RUN: 'false',
        VERBOSE_AUDIT: 'false',
        CHECK_CREATION_TEMPLATES: 'false',
        POWERTOOLS_SERVICE_NAME: 'ecr-immutability-guard',
        POWERTOOLS_METRICS_NAMESPACE: 'EcrImmutabilityGuard',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
  });

  it('sizes the functions: guardrail 30 s / 256 MB, sweep 15 min / 512 MB, no reserved concurrency by default', () => {
    const [, guardrail] = findResource(template, 'AWS::Lambda::Function', functionIds.guardrail);
    const [, sweep] = findResource(template, 'AWS::Lambda::Function', functionIds.sweep);
    expect(guardrail).toMatchObject({ Timeout: 30, MemorySize: 256 });
    // A default reservation fails to deploy in new accounts whose concurrency limit is 10.
    expect(guardrail.ReservedConcurrentExecutions).toBeUndefined();
    expect(sweep).toMatchObject({ Timeout: 900, MemorySize: 512 });
    expect(sweep.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('bounds the guardrail retries and sends what still fails to the dead-letter queue', () => {
    const [queueId, queue] = findResource(template, 'AWS::SQS::Queue', 'GuardDeadLetterQueue');
    expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^GuardGuardrailFunction') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    const [ruleId, rule] = findResource(template, 'AWS::Events::Rule', 'GuardGuardrailRule');
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^GuardGuardrailFunction/), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
      }),
    ]);
    // Only TLS, and only this rule may send its undeliverable events.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('passes every policy property through as the documented environment variable', () => {
    const { template: configured } = synthesize((stack) => ({
      targetMutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['latest', 'dev-*'],
      allowedExclusions: ['latest', 'dev-*', 'pr-*'],
      dryRun: true,
      exemptRepositories: ['sandbox/*', 'legacy-*'],
      exemptTagKey: 'ecr-guard:exempt',
      exemptExpiryTagKey: 'ecr-guard:exempt-until',
      auditEventBus: events.EventBus.fromEventBusName(stack, 'Audit', 'security-audit'),
      verboseAudit: true,
      checkCreationTemplates: true,
      serviceName: 'guard',
      metricsNamespace: 'Guard',
      logLevel: 'DEBUG',
      sweepConcurrency: 8,
      sweepSafetyMargin: Duration.seconds(45),
    }));
    const [, guardrail] = findResource(configured, 'AWS::Lambda::Function', functionIds.guardrail);
    const [, sweep] = findResource(configured, 'AWS::Lambda::Function', functionIds.sweep);
    const expected = {
      TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION',
      EXCLUSION_FILTERS: 'latest,dev-*',
      ALLOWED_EXCLUSIONS: 'latest,dev-*,pr-*',
      DRY_RUN: 'true',
      EXEMPT_REPOSITORIES: 'sandbox/*,legacy-*',
      EXEMPT_TAG_KEY: 'ecr-guard:exempt',
      EXEMPT_EXPIRY_TAG_KEY: 'ecr-guard:exempt-until',
      AUDIT_EVENT_BUS_NAME: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':events:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':event-bus/security-audit',
          ],
        ],
      },
      VERBOSE_AUDIT: 'true',
      CHECK_CREATION_TEMPLATES: 'true',
      POWERTOOLS_SERVICE_NAME: 'guard',
      POWERTOOLS_METRICS_NAMESPACE: 'Guard',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      NODE_OPTIONS: '--enable-source-maps',
    };
    expect(guardrail.Environment).toEqual({ Variables: expected });
    expect(sweep.Environment).toEqual({
      Variables: { ...expected, SWEEP_CONCURRENCY: '8', SWEEP_SAFETY_MARGIN_MS: '45000' },
    });
    expect(guardrail.LoggingConfig).toMatchObject({ ApplicationLogLevel: 'DEBUG' });
  });

  it('reserves no concurrency when asked not to', () => {
    const { template: unreserved } = synthesize({ guardrailReservedConcurrency: false });
    const [, guardrail] = findResource(unreserved, 'AWS::Lambda::Function', functionIds.guardrail);
    expect(guardrail.ReservedConcurrentExecutions).toBeUndefined();
  });

  it.each([
    [{ targetMutability: 'IMMUTABLE_WITH_EXCLUSION' as const }, /1 to 5 filters/],
    [
      { exclusionFilters: ['latest'] },
      /exclusionFilters: must be empty unless targetMutability is IMMUTABLE_WITH_EXCLUSION/,
    ],
    [{ exemptExpiryTagKey: 'until' }, /needs exemptTagKey/],
    [{ guardrailReservedConcurrency: 0 }, /positive integer/],
  ])('rejects inconsistent properties: %o', (props, message) => {
    expect(() => synthesize(props)).toThrow(message);
  });

  it('says to build first when a bundle is missing', () => {
    expect(() => synthesize({ bundleDir: '/nonexistent/dist' })).toThrow(/run `npm run build` first/);
  });
});
