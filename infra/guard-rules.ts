/**
 * The EventBridge rules of a deployment: the guardrail rule (the CloudTrail events of
 * infra/guardrail-event-pattern.ts, to the guardrail function) and the sweep's schedule (to the sweep state
 * machine), both with the dead-letter queue for what they cannot deliver.
 */
import { Duration, Names } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { defaultBusRuleArn, eventsRoleFor } from './events-roles.ts';
import { guardrailEventPattern } from './guardrail-event-pattern.ts';

/**
 * The guardrail rule with {@link guardrailEventPattern}: on the default bus (where CloudTrail delivers
 * ECR's events) or on the given bus; 8 retries over at most 2 hours, then the dead-letter queue.
 */
export function createGuardrailRule(
  scope: Construct,
  guardrail: lambda.IFunction,
  deadLetterQueue: sqs.IQueue,
  eventBus?: events.IEventBus,
): events.Rule {
  const rule = new events.Rule(scope, 'GuardrailRule', {
    description: 'Successful ECR CreateRepository / PutImageTagMutability calls that may leave tags mutable.',
    eventPattern: guardrailEventPattern(),
    ...(eventBus === undefined ? {} : { eventBus }),
  });
  rule.addTarget(
    new targets.LambdaFunction(guardrail, {
      deadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    }),
  );
  return rule;
}

/** The schedule a deployment runs its sweep on: `rate(1 day)` by default, none with `false`. */
export function sweepSchedule(schedule: events.Schedule | false | undefined): events.Schedule | false {
  return schedule ?? events.Schedule.rate(Duration.days(1));
}

/**
 * The sweep's schedule rule, or undefined with no schedule. Its name is fixed at synthesis (unique to the
 * construct's path) so its role can trust only it (infra/events-roles.ts).
 */
export function createScheduleRule(
  scope: Construct,
  schedule: events.Schedule | false,
  stateMachine: sfn.IStateMachine,
  deadLetterQueue: sqs.IQueue,
): events.Rule | undefined {
  if (schedule === false) return undefined;
  const ruleName = `${Names.uniqueResourceName(scope, { maxLength: 48 })}-SweepSchedule`;
  const role = eventsRoleFor(scope, 'SweepScheduleRole', defaultBusRuleArn(scope, ruleName), {
    description: 'ecr-immutability-guard: starts the sweep state machine on its schedule',
  });
  return new events.Rule(scope, 'SweepSchedule', {
    ruleName,
    description: 'Starts the ECR immutability sweep.',
    schedule,
    targets: [
      new targets.SfnStateMachine(stateMachine, {
        role,
        retryAttempts: 4,
        // A start that still fails (throttling, a deleted machine) lands next to the guardrail's failures.
        deadLetterQueue,
      }),
    ],
  });
}
