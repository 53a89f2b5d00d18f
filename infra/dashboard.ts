/** The CloudWatch dashboard of the outcomes and the saved Logs Insights query of remediations. */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
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
import { type OutcomeMetrics, outcomeMetric } from './outcome-metric.ts';

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
