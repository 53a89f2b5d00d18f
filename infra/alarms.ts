/**
 * The alarms, designed not to go quietly blind (README, "Monitoring"):
 * - a heartbeat alarm fires when no sweep succeeded within the schedule period (missing data
 *   breaches), so a disabled schedule, a broken role or a trail that stopped logging is noticed;
 * - losses EventBridge and Lambda otherwise only count get alarms (the rules' FailedInvocations and
 *   InvocationsFailedToBeSentToDlq, the guardrail's AsyncEventsDropped and DestinationDeliveryFailures);
 * - guardrail errors page only when they were not recovered: a message in the dead-letter queue, or
 *   errors in every one of several periods, never one throttle that a retry absorbed;
 * - each audit sink's failures, which never block enforcement, are alarmed instead.
 * Metric names: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html,
 * https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html.
 */
import { Annotations, Duration, Fn, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { OUTCOME_METRICS } from '../lib/audit.ts';
import { UNGUARDED_METRIC } from '../lib/forwarding.ts';
import { type OutcomeMetrics, outcomeMetric } from './outcome-metric.ts';

/** The warning synthesis raises when alarms would notify nobody (acknowledge it to silence it). */
export const NO_ALARM_ACTIONS_WARNING = 'ecr-immutability-guard:alarmsWithoutActions';

/** The alarm on an audit sink's failure metric (Sum > 0 over 5 minutes), under its name in {@link GuardAlarms}. */
export interface SinkAlarm {
  readonly name: keyof GuardAlarms;
  /** The alarm's construct ID. */
  readonly id: string;
  readonly description: string;
  /** The outcome metric (the service's namespace and `service` dimension) counting the sink's failures. */
  readonly metricName: string;
}

/** Consecutive 5-minute periods with guardrail errors before the errors alarm fires. */
export const GUARDRAIL_ERROR_PERIODS = 3;

/** The alarms, by name; the optional ones exist only with their feature. */
export interface GuardAlarms {
  readonly guardrailErrors: cloudwatch.Alarm;
  readonly deadLetterQueue: cloudwatch.Alarm;
  readonly guardrailRuleFailedInvocations: cloudwatch.Alarm;
  readonly guardrailRuleDeadLetterFailures: cloudwatch.Alarm;
  readonly guardrailAsyncEventsDropped: cloudwatch.Alarm;
  readonly guardrailDestinationDeliveryFailures: cloudwatch.Alarm;
  readonly sweepFailed: cloudwatch.Alarm;
  readonly sweepTimedOut: cloudwatch.Alarm;
  readonly failedRepositories: cloudwatch.Alarm;
  readonly sweepHeartbeat?: cloudwatch.Alarm;
  readonly scheduleRuleFailedInvocations?: cloudwatch.Alarm;
  readonly scheduleRuleDeadLetterFailures?: cloudwatch.Alarm;
  /** The audit bus could not take audit events (with `auditEventBus`). */
  readonly auditPublishFailures?: cloudwatch.Alarm;
  /** Security Hub's findings could not be brought in line (with `syncSecurityHub`). */
  readonly securityHubSyncFailures?: cloudwatch.Alarm;
  /** Organisation deployments: an account-region without the guard's forwarding rule (lib/forwarding.ts). */
  readonly unguardedAccountRegions?: cloudwatch.Alarm;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

/** The interval of a `rate(...)` schedule, or undefined for a cron schedule. */
export function scheduleRate(schedule: events.Schedule): Duration | undefined {
  const match = RATE.exec(schedule.expressionString);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const value = Number(match[1]);
  if (match[2].startsWith('minute')) return Duration.minutes(value);
  if (match[2].startsWith('hour')) return Duration.hours(value);
  return Duration.days(value);
}

/**
 * The heartbeat window: a sweep must have succeeded within it. The schedule period plus the sweep
 * execution timeout (the latest a scheduled run may legitimately end), so a run that takes longer
 * than the previous one does not flap the alarm; `override` (hours) replaces it. A cron schedule
 * has no period to read: one day is assumed unless `override` is given.
 * CloudWatch caps an alarm's evaluation range at 7 days
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
 */
export function heartbeatWindow(
  schedule: events.Schedule,
  executionTimeout: Duration,
  overrideHours: number | undefined,
): Duration {
  if (overrideHours !== undefined) return Duration.hours(overrideHours);
  const period = scheduleRate(schedule) ?? Duration.days(1);
  const minutes = Math.ceil(period.toMinutes() + executionTimeout.toMinutes({ integral: false }));
  const window = Duration.minutes(minutes);
  if (window.toSeconds() > Duration.days(7).toSeconds()) {
    throw new Error(
      `EcrImmutabilityGuard: the sweep heartbeat (schedule period + sweepExecutionTimeout = ${minutes} minutes) exceeds CloudWatch's 7-day alarm range: set sweepHeartbeatHours (at most 168) or createAlarms: false`,
    );
  }
  return window;
}

export interface AlarmInputs {
  readonly outcome: OutcomeMetrics;
  readonly guardrailFunction: lambda.IFunction;
  readonly guardrailRule: events.IRule;
  /**
   * The custom bus the guardrail rule is on (the organisation's central bus); unset for the default bus.
   * EventBridge reports a custom bus's rules under both `EventBusName` and `RuleName`
   * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
   */
  readonly guardrailEventBus?: events.IEventBus;
  readonly scheduleRule: events.IRule | undefined;
  readonly deadLetterQueue: sqs.IQueue;
  readonly stateMachine: sfn.IStateMachine;
  /** Set when there is a schedule: the window a sweep must have succeeded in. */
  readonly heartbeat: Duration | undefined;
  /** The alarms of the audit sinks that are on (infra/audit-sinks.ts). */
  readonly sinks: readonly SinkAlarm[];
  readonly alarmTopic: sns.ITopic | undefined;
  /** The organisation sweep checks each account-region's forwarding rule: alarm on unguarded ones. @default false */
  readonly footprint?: boolean;
}

/**
 * The name a rule's metrics carry in their `RuleName` dimension. CloudFormation's `Ref` of a rule on a custom
 * bus is `<bus name>|<rule name>` (AWS::Events::Rule, "Return values"), which matches no metric: the part after
 * the `|` is the rule's name. A rule on the default bus is its name alone.
 */
export function metricRuleName(rule: events.IRule, bus: events.IEventBus | undefined): string {
  if (bus === undefined || !Token.isUnresolved(rule.ruleName)) return rule.ruleName;
  return Fn.select(1, Fn.split('|', rule.ruleName));
}

/** Every alarm, each notifying the topic when there is one. */
export function createAlarms(scope: Construct, inputs: AlarmInputs): GuardAlarms {
  const fiveMinutes = Duration.minutes(5);
  const alarm = (
    id: string,
    description: string,
    metric: cloudwatch.IMetric,
    options: Partial<cloudwatch.CreateAlarmOptions> = {},
  ): cloudwatch.Alarm => {
    const created = new cloudwatch.Alarm(scope, id, {
      alarmDescription: description,
      metric,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...options,
    });
    if (inputs.alarmTopic !== undefined) created.addAlarmAction(new cwActions.SnsAction(inputs.alarmTopic));
    return created;
  };
  const ruleMetric = (rule: events.IRule, metricName: string, bus: events.IEventBus | undefined) =>
    // Rules on the default bus report with the RuleName dimension alone, a custom bus's with EventBusName too.
    new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName,
      dimensionsMap:
        bus === undefined
          ? { RuleName: rule.ruleName }
          : { EventBusName: bus.eventBusName, RuleName: metricRuleName(rule, bus) },
      statistic: 'Sum',
      period: fiveMinutes,
    });
  const fn = inputs.guardrailFunction;
  const ruleAlarms = (
    prefix: string,
    what: string,
    rule: events.IRule,
    bus: events.IEventBus | undefined = undefined,
  ) => ({
    failed: alarm(
      `${prefix}FailedInvocationsAlarm`,
      `The ${what} could not invoke its target after its retries (the event went to the dead-letter queue or was lost).`,
      ruleMetric(rule, 'FailedInvocations', bus),
    ),
    deadLetter: alarm(
      `${prefix}DeadLetterFailuresAlarm`,
      `The ${what} could not put a failed event in the dead-letter queue: that event is lost.`,
      ruleMetric(rule, 'InvocationsFailedToBeSentToDlq', bus),
    ),
  });
  const guardrailRule = ruleAlarms(
    'GuardrailRule',
    'guardrail rule',
    inputs.guardrailRule,
    inputs.guardrailEventBus,
  );
  const scheduleRule =
    inputs.scheduleRule === undefined
      ? undefined
      : ruleAlarms('SweepSchedule', 'sweep schedule', inputs.scheduleRule);
  return {
    guardrailErrors: alarm(
      'GuardrailErrorsAlarm',
      `The guardrail failed in ${GUARDRAIL_ERROR_PERIODS} consecutive 5-minute periods (a failure its retries recovered does not page; one that was not lands in the dead-letter queue).`,
      fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      { evaluationPeriods: GUARDRAIL_ERROR_PERIODS, datapointsToAlarm: GUARDRAIL_ERROR_PERIODS },
    ),
    deadLetterQueue: alarm(
      'DeadLetterQueueAlarm',
      'Events the guardrail could not handle after its retries are waiting in the dead-letter queue.',
      inputs.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: 'Maximum',
      }),
    ),
    guardrailRuleFailedInvocations: guardrailRule.failed,
    guardrailRuleDeadLetterFailures: guardrailRule.deadLetter,
    guardrailAsyncEventsDropped: alarm(
      'GuardrailAsyncEventsDroppedAlarm',
      'Lambda dropped guardrail events without running the function (event too old, or retries exhausted with no destination).',
      fn.metric('AsyncEventsDropped', { period: fiveMinutes, statistic: 'Sum' }),
    ),
    guardrailDestinationDeliveryFailures: alarm(
      'GuardrailDestinationDeliveryFailuresAlarm',
      'Lambda could not deliver a failed guardrail event to its on-failure destination (the dead-letter queue): that event is lost.',
      fn.metric('DestinationDeliveryFailures', { period: fiveMinutes, statistic: 'Sum' }),
    ),
    sweepFailed: alarm(
      'SweepFailedAlarm',
      'A sweep execution failed (invocation error or repositories that ended as failed).',
      inputs.stateMachine.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
    ),
    sweepTimedOut: alarm(
      'SweepTimedOutAlarm',
      'A sweep execution ran past its execution timeout.',
      inputs.stateMachine.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }),
    ),
    failedRepositories: alarm(
      'FailedRepositoriesAlarm',
      'Repositories ended in the failed outcome (see the audit records).',
      outcomeMetric(inputs.outcome, OUTCOME_METRICS.failed, 'Sum', fiveMinutes),
    ),
    ...(inputs.heartbeat === undefined
      ? {}
      : {
          sweepHeartbeat: alarm(
            'SweepHeartbeatAlarm',
            `No sweep succeeded in the last ${inputs.heartbeat.toHumanString()}: the schedule may be disabled, the sweep broken, or it found failures every time.`,
            inputs.stateMachine.metricSucceeded({ period: inputs.heartbeat, statistic: 'Sum' }),
            {
              threshold: 1,
              comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
              treatMissingData: cloudwatch.TreatMissingData.BREACHING,
            },
          ),
        }),
    ...(scheduleRule === undefined
      ? {}
      : {
          scheduleRuleFailedInvocations: scheduleRule.failed,
          scheduleRuleDeadLetterFailures: scheduleRule.deadLetter,
        }),
    ...(inputs.footprint === true
      ? {
          unguardedAccountRegions: alarm(
            'UnguardedAccountRegionsAlarm',
            'The organisation sweep found account-regions without the guard’s forwarding rule (deleted, disabled, pointed elsewhere, or unreadable): their ECR changes are not guarded between sweeps. The sweep output names them.',
            outcomeMetric(inputs.outcome, UNGUARDED_METRIC, 'Sum', Duration.hours(1)),
          ),
        }
      : {}),
    ...Object.fromEntries(
      inputs.sinks.map((sink) => [
        sink.name,
        alarm(sink.id, sink.description, outcomeMetric(inputs.outcome, sink.metricName, 'Sum', fiveMinutes)),
      ]),
    ),
  };
}

/** Warns at synthesis when alarms exist but notify nobody (README, "Monitoring"). */
export function warnWithoutAlarmActions(scope: Construct): void {
  Annotations.of(scope).addWarningV2(
    NO_ALARM_ACTIONS_WARNING,
    'The alarms have no actions: nobody is notified when enforcement stops or fails. Set alarmEmail or alarmTopic (or -c alarmEmail=...), or acknowledge this warning if you watch the alarms another way.',
  );
}
