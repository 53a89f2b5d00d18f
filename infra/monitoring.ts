/**
 * Monitoring of the guard: the alarm topic, the alarms, the dashboard and the saved Logs Insights
 * query. Designed not to go quietly blind (docs/architecture.md, "Outcome contract"):
 * - a heartbeat alarm fires when no sweep succeeded within the schedule period (missing data
 *   breaches), so a disabled schedule, a broken role or a trail that stopped logging is noticed;
 * - losses EventBridge and Lambda otherwise only count get alarms (the rules' FailedInvocations and
 *   InvocationsFailedToBeSentToDlq, the guardrail's AsyncEventsDropped and DestinationDeliveryFailures);
 * - guardrail errors page only when they were not recovered: a message in the dead-letter queue, or
 *   errors in every one of several periods, never one throttle that a retry absorbed.
 * Metric names: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html,
 * https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html.
 */
import { Annotations, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  ACCOUNT_DIMENSION,
  ACCOUNT_OUTCOMES,
  AUDIT_MESSAGE,
  AUDIT_PUBLISH_FAILURES_METRIC,
  NON_COMPLIANT_METRIC,
  OUTCOME_METRICS,
} from '../lib/audit.ts';
import { UNGUARDED_METRIC } from '../lib/forwarding.ts';

/** The warning synthesis raises when alarms would notify nobody (acknowledge it to silence it). */
export const NO_ALARM_ACTIONS_WARNING = 'ecr-immutability-guard:alarmsWithoutActions';

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
  readonly auditPublishFailures?: cloudwatch.Alarm;
  /** Organisation deployments: an account-region without the guard's forwarding rule (lib/forwarding.ts). */
  readonly unguardedAccountRegions?: cloudwatch.Alarm;
}

/** The service's outcome metrics (Powertools: namespace, `service` dimension). */
export interface OutcomeMetrics {
  readonly namespace: string;
  readonly serviceName: string;
}

export function outcomeMetric(
  outcome: OutcomeMetrics,
  metricName: string,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: outcome.namespace,
    metricName,
    dimensionsMap: { service: outcome.serviceName },
    statistic,
    period,
  });
}

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
  readonly auditEvents: boolean;
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
    ...(inputs.auditEvents
      ? {
          auditPublishFailures: alarm(
            'AuditPublishFailuresAlarm',
            'Audit events could not be published to the audit event bus.',
            outcomeMetric(inputs.outcome, AUDIT_PUBLISH_FAILURES_METRIC, 'Sum', fiveMinutes),
          ),
        }
      : {}),
  };
}

/** Warns at synthesis when alarms exist but notify nobody (README, "Monitoring"). */
export function warnWithoutAlarmActions(scope: Construct): void {
  Annotations.of(scope).addWarningV2(
    NO_ALARM_ACTIONS_WARNING,
    'The alarms have no actions: nobody is notified when enforcement stops or fails. Set alarmEmail or alarmTopic (or -c alarmEmail=...), or acknowledge this warning if you watch the alarms another way.',
  );
}

export interface DashboardInputs {
  readonly outcome: OutcomeMetrics;
  readonly guardrailFunction: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly stateMachine: sfn.IStateMachine;
  /**
   * Adds one row per outcome of {@link ACCOUNT_OUTCOMES}, and one for unguarded account-regions: the top
   * accounts by each, from the per-account metrics an organisation deployment emits (docs/architecture.md,
   * "Metrics").
   * @default false (a single-account dashboard has nothing to show there)
   */
  readonly accountOutcomes?: boolean;
}

/** How many accounts each per-account row shows (the Metrics Insights `LIMIT`). */
export const TOP_ACCOUNTS = 10;

const QUOTES = /["'\\]/;

/**
 * The Metrics Insights query of the top accounts by one outcome metric: only the `{service, AccountId}`
 * dimension set (SCHEMA), this service's metrics (WHERE), one series per account ordered by its sum over
 * the graphed range. Identifiers are double-quoted, the value single-quoted
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-reserved-keywords.html).
 */
export function topAccountsQuery(outcome: OutcomeMetrics, metricName: string): string {
  for (const [what, value] of [
    ['metricsNamespace', outcome.namespace],
    ['serviceName', outcome.serviceName],
  ] as const) {
    if (QUOTES.test(value))
      throw new Error(
        `EcrImmutabilityGuard: ${what} ${JSON.stringify(value)} cannot go in the dashboard's Metrics Insights queries: remove the quotes and backslashes`,
      );
  }
  return (
    `SELECT SUM("${metricName}") FROM SCHEMA("${outcome.namespace}", "${ACCOUNT_DIMENSION}", "service") ` +
    `WHERE "service" = '${outcome.serviceName}' GROUP BY "${ACCOUNT_DIMENSION}" ORDER BY SUM() DESC LIMIT ${TOP_ACCOUNTS}`
  );
}

/**
 * One row per outcome, and one for unguarded account-regions: the top {@link TOP_ACCOUNTS} accounts by it,
 * per hour. Metrics Insights graphs up
 * to two weeks and returns at most 500 series from at most 10,000 metrics per query
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-limits.html).
 * Each query matches one metric per account (its outcome's), so up to 10,000 accounts are all ranked.
 */
function accountOutcomeRows(outcome: OutcomeMetrics, period: Duration): cloudwatch.IWidget[][] {
  const rows: { title: string; metricName: string }[] = [
    ...ACCOUNT_OUTCOMES.map((name) => ({
      title: `Top ${TOP_ACCOUNTS} accounts by ${name} repositories (per hour)`,
      metricName: OUTCOME_METRICS[name],
    })),
    {
      title: `Top ${TOP_ACCOUNTS} accounts by unguarded account-regions (per hour)`,
      metricName: UNGUARDED_METRIC,
    },
  ];
  return rows.map(({ title, metricName }) => {
    return [
      new cloudwatch.GraphWidget({
        title,
        left: [
          new cloudwatch.MathExpression({
            expression: topAccountsQuery(outcome, metricName),
            // No label: each series keeps CloudWatch's own, its AccountId (CDK would label it with the query).
            label: '',
            period,
          }),
        ],
        legendPosition: cloudwatch.LegendPosition.RIGHT,
        width: 24,
      }),
    ];
  });
}

export function createDashboard(scope: Construct, inputs: DashboardInputs): cloudwatch.Dashboard {
  const hour = Duration.hours(1);
  const outcomeMetrics = Object.values(OUTCOME_METRICS).map((name) =>
    outcomeMetric(inputs.outcome, name, 'Sum', hour),
  );
  const fn = inputs.guardrailFunction;
  return new cloudwatch.Dashboard(scope, 'Dashboard', {
    defaultInterval: Duration.days(7),
    widgets: [
      [
        new cloudwatch.GraphWidget({
          title: 'Repository outcomes (per hour)',
          left: outcomeMetrics,
          stacked: true,
          width: 16,
        }),
        new cloudwatch.SingleValueWidget({
          title: 'Non-compliant repositories at the last sweep',
          metrics: [outcomeMetric(inputs.outcome, NON_COMPLIANT_METRIC, 'Maximum', Duration.days(1))],
          width: 8,
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Guardrail',
          left: [
            fn.metricInvocations({ period: hour }),
            fn.metricErrors({ period: hour }),
            fn.metricThrottles({ period: hour }),
          ],
          right: [inputs.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: hour })],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Sweep executions',
          left: [
            inputs.stateMachine.metricSucceeded({ period: hour }),
            inputs.stateMachine.metricFailed({ period: hour }),
            inputs.stateMachine.metricTimedOut({ period: hour }),
          ],
          right: [outcomeMetric(inputs.outcome, AUDIT_PUBLISH_FAILURES_METRIC, 'Sum', hour)],
          width: 12,
        }),
      ],
      ...(inputs.accountOutcomes === true ? accountOutcomeRows(inputs.outcome, hour) : []),
    ],
  });
}

/** The saved Logs Insights query of remediations over both function log groups. */
export function createRemediationsQuery(
  scope: Construct,
  serviceName: string,
  logGroups: logs.ILogGroup[],
): logs.QueryDefinition {
  return new logs.QueryDefinition(scope, 'RemediationsQuery', {
    queryDefinitionName: `${serviceName}/remediations`,
    logGroups,
    queryString: new logs.QueryString({
      fields: [
        '@timestamp',
        'outcome',
        'repositoryName',
        'before.imageTagMutability',
        'after.imageTagMutability',
        'trigger',
        'actor',
        'reason',
      ],
      filterStatements: [`message = "${AUDIT_MESSAGE}"`, 'outcome in ["remediated", "would-remediate"]'],
      sort: '@timestamp desc',
      limit: 1000,
    }),
  });
}
