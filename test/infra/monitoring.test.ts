/** Alarms (metric, statistic, threshold), the alarm topic, the dashboard, the saved query and the optional trail. */
import { Match } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { AUDIT_MESSAGE, OUTCOME_METRICS } from '../../lib/audit.ts';
import { findResource, renderIntrinsics, resources, synthesize } from './helpers.ts';

function alarm(template: ReturnType<typeof synthesize>['template'], prefix: string): Record<string, unknown> {
  return findResource(template, 'AWS::CloudWatch::Alarm', prefix)[1];
}

const anyAtAll = {
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold',
  EvaluationPeriods: 1,
  TreatMissingData: 'notBreaching',
  Period: 300,
};

describe('monitoring', () => {
  const { template } = synthesize();

  it('alarms on guardrail errors only when they persist over 3 of 3 periods (a retried throttle does not page)', () => {
    const [fnId] = findResource(template, 'AWS::Lambda::Function', 'GuardGuardrailFunction');
    expect(alarm(template, 'GuardGuardrailErrorsAlarm')).toMatchObject({
      ...anyAtAll,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
    });
  });

  it('alarms on any message in the dead-letter queue', () => {
    const [queueId] = findResource(template, 'AWS::SQS::Queue', 'GuardDeadLetterQueue');
    expect(alarm(template, 'GuardDeadLetterQueueAlarm')).toMatchObject({
      ...anyAtAll,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    });
  });

  it.each([
    ['GuardSweepFailedAlarm', 'ExecutionsFailed'],
    ['GuardSweepTimedOutAlarm', 'ExecutionsTimedOut'],
  ])('alarms %s on the state machine metric %s', (prefix, metricName) => {
    const [machineId] = findResource(
      template,
      'AWS::StepFunctions::StateMachine',
      'GuardSweepWorkflowStateMachine',
    );
    expect(alarm(template, prefix)).toMatchObject({
      ...anyAtAll,
      Namespace: 'AWS/States',
      MetricName: metricName,
      Statistic: 'Sum',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
    });
  });

  it('alarms on the Failed outcome metric of the service', () => {
    expect(alarm(template, 'GuardFailedRepositoriesAlarm')).toMatchObject({
      ...anyAtAll,
      Namespace: 'EcrImmutabilityGuard',
      MetricName: OUTCOME_METRICS.failed,
      Statistic: 'Sum',
      Dimensions: [{ Name: 'service', Value: 'ecr-immutability-guard' }],
    });
  });

  it('has no alarm actions and no topic by default', () => {
    for (const resource of Object.values(resources(template))) {
      expect(resource.Type).not.toBe('AWS::SNS::Topic');
      if (resource.Type === 'AWS::CloudWatch::Alarm')
        expect(resource.Properties?.AlarmActions).toBeUndefined();
    }
  });

  it('creates an encrypted, TLS-only topic for an alarm email and notifies it from every alarm', () => {
    const { template: notified } = synthesize((stack) => ({
      alarmEmail: 'ops@example.com',
      metricsNamespace: 'Guard',
      serviceName: 'guard',
      auditEventBus: events.EventBus.fromEventBusName(stack, 'Audit', 'audit'),
    }));
    const [keyId, key] = findResource(notified, 'AWS::KMS::Key', 'GuardAlarmTopicKey');
    const [topicId, topic] = findResource(notified, 'AWS::SNS::Topic', 'GuardAlarmTopic');
    expect(key.EnableKeyRotation).toBe(true);
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    notified.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
    notified.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // CloudWatch may use the key to publish to the encrypted topic.
    expect(JSON.stringify(key.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    const alarms = Object.values(resources(notified)).filter(
      (resource) => resource.Type === 'AWS::CloudWatch::Alarm',
    );
    expect(alarms.length).toBeGreaterThan(6);
    for (const each of alarms) expect(each.Properties?.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(alarm(notified, 'GuardFailedRepositoriesAlarm')).toMatchObject({
      Namespace: 'Guard',
      Dimensions: [{ Name: 'service', Value: 'guard' }],
    });
    expect(alarm(notified, 'GuardAuditPublishFailuresAlarm')).toMatchObject({
      ...anyAtAll,
      Namespace: 'Guard',
      MetricName: 'AuditPublishFailures',
    });
  });

  it('lets CloudWatch publish alarms to the TLS-only topic, from this account only', () => {
    const { template: notified } = synthesize({ alarmEmail: 'ops@example.com' });
    const [topicId] = findResource(notified, 'AWS::SNS::Topic', 'GuardAlarmTopic');
    const [, topicPolicy] = findResource(notified, 'AWS::SNS::TopicPolicy', 'GuardAlarmTopicPolicy');
    expect(topicPolicy.Topics).toEqual([{ Ref: topicId }]);
    const document = topicPolicy.PolicyDocument as { Statement: unknown[] };
    expect(document.Statement).toContainEqual({
      Sid: 'CloudWatchAlarmsPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: topicId },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    // enforceSSL's deny stays: no publish without TLS, CloudWatch's included.
    expect(document.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('shows every outcome metric on the dashboard', () => {
    const [, dashboard] = findResource(template, 'AWS::CloudWatch::Dashboard', 'GuardDashboard');
    const body = renderIntrinsics(dashboard.DashboardBody);
    for (const metric of [
      ...Object.values(OUTCOME_METRICS),
      'NonCompliantRepositories',
      'AuditPublishFailures',
    ]) {
      expect(body).toContain(`"EcrImmutabilityGuard","${metric}","service","ecr-immutability-guard"`);
    }
  });

  it('saves the Logs Insights query of remediations over both function log groups', () => {
    const [guardrailLogs] = findResource(template, 'AWS::Logs::LogGroup', 'GuardGuardrailLogs');
    const [sweepLogs] = findResource(template, 'AWS::Logs::LogGroup', 'GuardSweepLogs');
    const [, query] = findResource(template, 'AWS::Logs::QueryDefinition', 'GuardRemediationsQuery');
    expect(query.Name).toBe('ecr-immutability-guard/remediations');
    expect(query.LogGroupNames).toEqual([{ Ref: guardrailLogs }, { Ref: sweepLogs }]);
    expect(query.QueryString).toContain(`message = "${AUDIT_MESSAGE}"`);
    expect(query.QueryString).toContain('outcome in ["remediated", "would-remediate"]');
  });

  it('creates no trail by default, and a multi-Region write-events trail on request', () => {
    expect(
      Object.values(resources(template)).some((resource) => resource.Type === 'AWS::CloudTrail::Trail'),
    ).toBe(false);
    const { template: withTrail } = synthesize({ createTrail: true });
    const [bucketId, bucket] = findResource(withTrail, 'AWS::S3::Bucket', 'GuardTrailBucket');
    const [logsBucketId] = findResource(withTrail, 'AWS::S3::Bucket', 'GuardTrailAccessLogsBucket');
    expect(bucket).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: logsBucketId } },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    withTrail.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    withTrail.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      IsLogging: true,
      S3BucketName: { Ref: bucketId },
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' }],
    });
  });
});
