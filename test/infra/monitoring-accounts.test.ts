/**
 * The dashboard's per-account rows (organisation deployments): one row per outcome, and one for unguarded
 * account-regions, with the top accounts by it, from a Metrics Insights query over the {service, AccountId} dimension set; absent by default, so
 * the single-account dashboard is unchanged (docs/architecture.md, "Metrics").
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { createDashboard, TOP_ACCOUNTS, topAccountsQuery } from '../../infra/dashboard.ts';
import { ACCOUNT_DIMENSION, ACCOUNT_OUTCOMES, OUTCOME_METRICS } from '../../lib/audit.ts';
import { UNGUARDED_METRIC } from '../../lib/forwarding.ts';
import { findResource, renderIntrinsics, synthesize } from './helpers.ts';

const outcome = { namespace: 'EcrImmutabilityGuard', serviceName: 'ecr-immutability-guard' };

interface Widget {
  readonly width: number;
  readonly y: number;
  readonly properties: { readonly title?: string; readonly metrics?: unknown[][]; readonly period?: number };
}

/** The widgets of a dashboard built by createDashboard in a bare stack, in order. */
function dashboardWidgets(accountOutcomes: boolean | undefined): Widget[] {
  const stack = new Stack(new App(), 'Monitoring', { env: { account: '111111111111', region: 'eu-west-1' } });
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({});'),
  });
  createDashboard(stack, {
    outcome,
    guardrailFunction: fn,
    deadLetterQueue: new sqs.Queue(stack, 'Queue'),
    stateMachine: new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')),
    }),
    ...(accountOutcomes === undefined ? {} : { accountOutcomes }),
  });
  const [, dashboard] = findResource(Template.fromStack(stack), 'AWS::CloudWatch::Dashboard', 'Dashboard');
  const body: unknown = JSON.parse(renderIntrinsics(dashboard.DashboardBody));
  if (typeof body !== 'object' || body === null || !('widgets' in body) || !Array.isArray(body.widgets))
    throw new Error('dashboard body has no widgets');
  return body.widgets;
}

const expectedQuery = (metricName: string) =>
  `SELECT SUM("${metricName}") FROM SCHEMA("EcrImmutabilityGuard", "AccountId", "service") ` +
  `WHERE "service" = 'ecr-immutability-guard' GROUP BY "AccountId" ORDER BY SUM() DESC LIMIT 10`;

describe('the per-account dashboard rows', () => {
  const single = dashboardWidgets(undefined);
  const org = dashboardWidgets(true);
  const rows = org.slice(single.length);

  it('are absent by default and when off: the single-account dashboard is exactly as before', () => {
    expect(dashboardWidgets(false)).toEqual(single);
    expect(JSON.stringify(single)).not.toContain(ACCOUNT_DIMENSION);
    expect(JSON.stringify(single)).not.toContain('SCHEMA(');
  });

  it('come after the single-account widgets, which they leave unchanged', () => {
    expect(org.slice(0, single.length)).toEqual(single);
    expect(rows).toHaveLength(ACCOUNT_OUTCOMES.length + 1);
  });

  it.each(ACCOUNT_OUTCOMES.map((name, index) => ({ name, index, metricName: OUTCOME_METRICS[name] })))(
    'show the top 10 accounts by $name in a full-width row of their own, from a Metrics Insights query',
    ({ name, index, metricName }) => {
      const row = rows[index];
      expect(row?.width).toBe(24);
      // Each row below the previous one: one widget per row.
      expect(new Set(rows.map((widget) => widget.y)).size).toBe(rows.length);
      expect(row?.properties.title).toBe(`Top 10 accounts by ${name} repositories (per hour)`);
      expect(row?.properties.metrics).toEqual([[{ expression: expectedQuery(metricName), period: 3600 }]]);
    },
  );

  it('end with the top 10 accounts by unguarded account-regions', () => {
    const row = rows.at(-1);
    expect(row?.width).toBe(24);
    expect(row?.properties.title).toBe('Top 10 accounts by unguarded account-regions (per hour)');
    expect(row?.properties.metrics).toEqual([
      [{ expression: expectedQuery(UNGUARDED_METRIC), period: 3600 }],
    ]);
  });

  it('query only the {service, AccountId} dimension set of this service, bounded by LIMIT', () => {
    expect(TOP_ACCOUNTS).toBe(10);
    expect(topAccountsQuery({ namespace: 'Custom/NS', serviceName: 'guard-b' }, 'Failed')).toBe(
      `SELECT SUM("Failed") FROM SCHEMA("Custom/NS", "AccountId", "service") WHERE "service" = 'guard-b' GROUP BY "AccountId" ORDER BY SUM() DESC LIMIT 10`,
    );
  });

  it.each([
    ['metricsNamespace', { namespace: 'a"b', serviceName: 'guard' }],
    ['serviceName', { namespace: 'NS', serviceName: "o'brien" }],
    ['serviceName', { namespace: 'NS', serviceName: 'back\\slash' }],
  ])('refuse a %s with quotes or backslashes, naming it', (what, names) => {
    expect(() => topAccountsQuery(names, 'Failed')).toThrow(`${what} `);
  });

  it('are not on the single-account construct’s dashboard', () => {
    const { template } = synthesize();
    const [, dashboard] = findResource(template, 'AWS::CloudWatch::Dashboard', 'GuardDashboard');
    expect(renderIntrinsics(dashboard.DashboardBody)).not.toContain(ACCOUNT_DIMENSION);
  });
});
