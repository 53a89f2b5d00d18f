/** The topic the alarms notify, and the email subscribed to it. */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

/**
 * The alarm topic: the given one, or a new encrypted topic when only an email is given.
 * CloudWatch can publish to an encrypted topic only with a customer managed key it may use.
 */
export function createAlarmTopic(
  scope: Construct,
  props: { alarmTopic?: sns.ITopic | undefined; alarmEmail?: string | undefined },
): sns.ITopic | undefined {
  let topic = props.alarmTopic;
  if (topic === undefined && props.alarmEmail !== undefined) {
    const key = new kms.Key(scope, 'AlarmTopicKey', {
      description: 'Encrypts the ECR immutability guard alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
      }),
    );
    const created = new sns.Topic(scope, 'AlarmTopic', {
      displayName: 'ECR immutability guard alarms',
      masterKey: key,
      enforceSSL: true,
    });
    // enforceSSL replaces the topic's default policy, so CloudWatch must be allowed to publish:
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
    created.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [created.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
      }),
    );
    topic = created;
  }
  if (topic !== undefined && props.alarmEmail !== undefined) {
    topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
  }
  return topic;
}
