/**
 * The dead-letter queue: the guardrail's on-failure destination after its retries, and the DLQ of the
 * EventBridge targets (guardrail rule, sweep schedule) when they cannot deliver at all.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** The queue (construct ID `DeadLetterQueue`): SQS-encrypted, TLS only, messages kept 14 days. */
export function createDeadLetterQueue(scope: Construct): sqs.Queue {
  const queue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is the dead-letter queue (Lambda on-failure destination and EventBridge target DLQ); its messages are alarmed on, not redriven.',
  });
  return queue;
}
