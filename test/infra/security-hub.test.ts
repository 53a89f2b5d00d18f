/**
 * The Security Hub sink in the constructs (`syncSecurityHub`): the guardrail and the sweep may read the
 * findings and update them only to the workflow statuses the guard sets, on the hub of this account in the
 * Region that holds the findings; the sync's failures are alarmed; nothing of it without the setting, and no
 * member permission in an organisation (the central account is the findings' administrator).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { guardPropsFromContext } from '../../infra/app-config.ts';
import { EcrImmutabilityGuardOrg, type EcrImmutabilityGuardOrgProps } from '../../infra/org-guard.ts';
import type { FindingUpdate } from '../../lib/findings-sync.ts';
import { GUARD_WORKFLOW_STATUSES, SECURITY_HUB_ACTIONS } from '../../lib/iam-actions.ts';
import { SECURITY_HUB_SYNC_FAILURES_METRIC } from '../../lib/outcomes.ts';
import {
  attachedStatements,
  cdkJsonContext,
  environmentOf,
  findResource,
  resources,
  synthesize,
} from './helpers.ts';
import { nagFindings } from './nag-helpers.ts';

const HUB = 'arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:hub/default';

/** The two statements each function gets, exactly. */
function securityHubStatements(hub: string) {
  return [
    { Sid: 'SecurityHubFindingsRead', Effect: 'Allow', Action: 'securityhub:GetFindings', Resource: hub },
    {
      Sid: 'SecurityHubFindingsUpdate',
      Effect: 'Allow',
      Action: 'securityhub:BatchUpdateFindings',
      Resource: hub,
      Condition: {
        StringEqualsIfExists: { 'securityhub:ASFFSyntaxPath/Workflow.Status': ['NEW', 'SUPPRESSED'] },
      },
    },
  ];
}

/** The statements naming a Security Hub action attached to the role of this logical ID prefix. */
function securityHubStatementsOf(template: Template, rolePrefix: string): unknown[] {
  const [role] = findResource(template, 'AWS::IAM::Role', rolePrefix);
  return attachedStatements(template, role).filter((statement) =>
    JSON.stringify(statement).includes('"securityhub:'),
  );
}

function synthesizeOrg(props: Partial<EcrImmutabilityGuardOrgProps>) {
  const app = new App({ context: cdkJsonContext() });
  const stack = new Stack(app, 'Central');
  const code = lambda.Code.fromInline('export const handler = async () => ({});');
  const guard = new EcrImmutabilityGuardOrg(stack, 'Guard', {
    code: { guardrail: code, sweep: code, scope: code },
    organizationId: 'o-abcdef1234',
    stackSet: { organizationalUnitIds: ['r-ab12'], regions: ['eu-west-1', 'us-east-1'] },
    alarmEmail: 'ops@example.com',
    ...props,
  });
  return { app, stack, guard, template: Template.fromStack(stack) };
}

describe('the Security Hub sync in the single-account construct', () => {
  it.each(['GuardGuardrailRole', 'GuardSweepRole'])(
    'lets %s read the findings and set only NEW or SUPPRESSED, on the hub of this account and Region',
    (role) => {
      const { template } = synthesize({ syncSecurityHub: true });
      expect(securityHubStatementsOf(template, role)).toEqual(securityHubStatements(HUB));
    },
  );

  it('grants what lib/ declares: the adapter’s actions, and the statuses the sync sets', () => {
    const { template } = synthesize({ syncSecurityHub: true });
    const granted = securityHubStatementsOf(template, 'GuardSweepRole');
    expect(JSON.stringify(granted)).toContain(JSON.stringify([...GUARD_WORKFLOW_STATUSES]));
    for (const action of Object.values(SECURITY_HUB_ACTIONS).flat())
      expect(JSON.stringify(granted)).toContain(`"${action}"`);
    // Every workflow status the sync plans is one the condition allows.
    expectTypeOf<NonNullable<FindingUpdate['workflowStatus']>>().toEqualTypeOf<
      (typeof GUARD_WORKFLOW_STATUSES)[number]
    >();
  });

  it('uses the hub of securityHubRegion when given', () => {
    const { template } = synthesize({ syncSecurityHub: true, securityHubRegion: 'eu-central-1' });
    expect(securityHubStatementsOf(template, 'GuardGuardrailRole')).toEqual(
      securityHubStatements('arn:<AWS::Partition>:securityhub:eu-central-1:<AWS::AccountId>:hub/default'),
    );
    expect(environmentOf(template, 'GuardGuardrailFunction')).toMatchObject({
      SYNC_SECURITY_HUB: 'true',
      SECURITY_HUB_REGION: 'eu-central-1',
    });
  });

  it('tells the guardrail and the sweep to sync', () => {
    const { template } = synthesize({ syncSecurityHub: true });
    for (const fn of ['GuardGuardrailFunction', 'GuardSweepFunction'])
      expect(environmentOf(template, fn)).toMatchObject({ SYNC_SECURITY_HUB: 'true' });
  });

  it('alarms when the sync fails: the sum of SecurityHubSyncFailures over 5 minutes above 0, notifying the topic', () => {
    const { template, stack } = synthesize({ syncSecurityHub: true, alarmEmail: 'ops@example.com' });
    const [topic] = findResource(template, 'AWS::SNS::Topic', 'GuardAlarmTopic');
    const [, alarm] = findResource(template, 'AWS::CloudWatch::Alarm', 'GuardSecurityHubSyncFailuresAlarm');
    expect(alarm).toMatchObject({
      Namespace: 'EcrImmutabilityGuard',
      MetricName: SECURITY_HUB_SYNC_FAILURES_METRIC,
      Dimensions: [{ Name: 'service', Value: 'ecr-immutability-guard' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic }],
    });
    expect(SECURITY_HUB_SYNC_FAILURES_METRIC).toBe('SecurityHubSyncFailures');
    expect(stack.guard.alarmsByName?.securityHubSyncFailures).toBeDefined();
    expect(stack.guard.alarms).toContain(stack.guard.alarmsByName?.securityHubSyncFailures);
  });

  it('is off by default: no Security Hub action, variable or alarm', () => {
    const { template, stack } = synthesize({ alarmEmail: 'ops@example.com' });
    expect(JSON.stringify(template.toJSON())).not.toContain('securityhub');
    expect(environmentOf(template, 'GuardSweepFunction')).not.toHaveProperty('SYNC_SECURITY_HUB');
    expect(stack.guard.alarmsByName?.securityHubSyncFailures).toBeUndefined();
    expect(
      Object.keys(resources(template)).filter((id) => id.startsWith('GuardSecurityHubSyncFailuresAlarm')),
    ).toEqual([]);
  });

  it('stays clean under cdk-nag', () => {
    const { app, stack } = synthesize({ syncSecurityHub: true, alarmEmail: 'ops@example.com' });
    expect(nagFindings(app, stack)).toEqual([]);
  });

  it('is turned on from the app’s context', () => {
    const props = guardPropsFromContext(new Stack(new App(), 'S'), {
      syncSecurityHub: 'true',
      securityHubRegion: 'eu-central-1',
    });
    expect(props).toMatchObject({ syncSecurityHub: true, securityHubRegion: 'eu-central-1' });
    expect(() =>
      guardPropsFromContext(new Stack(new App(), 'T'), { securityHubRegion: 'Frankfurt' }),
    ).toThrow(/context key securityHubRegion: must be an AWS region/);
  });
});

describe('the Security Hub sync in the organisation construct', () => {
  it.each(['GuardGuardrailRole', 'GuardSweepRole'])(
    'lets the central %s update the members’ findings on its own hub in each Region it syncs',
    (role) => {
      // Without an aggregation Region each account-region's findings are synced in its own Region.
      const { template } = synthesizeOrg({ syncSecurityHub: true });
      expect(securityHubStatementsOf(template, role)).toEqual(
        securityHubStatements('arn:<AWS::Partition>:securityhub:*:<AWS::AccountId>:hub/default'),
      );
      const aggregated = synthesizeOrg({ syncSecurityHub: true, securityHubRegion: 'eu-central-1' });
      expect(securityHubStatementsOf(aggregated.template, role)).toEqual(
        securityHubStatements('arn:<AWS::Partition>:securityhub:eu-central-1:<AWS::AccountId>:hub/default'),
      );
    },
  );

  it('gives the scope function and the member role nothing of Security Hub', () => {
    const { template, guard } = synthesizeOrg({ syncSecurityHub: true });
    expect(securityHubStatementsOf(template, 'GuardScopeRole')).toEqual([]);
    expect(environmentOf(template, 'GuardScopeFunction')).not.toHaveProperty('SYNC_SECURITY_HUB');
    expect(guard.memberTemplateBody).not.toContain('securityhub');
  });

  it('alarms on the sync’s failures and stays clean under cdk-nag', () => {
    const { app, stack, guard } = synthesizeOrg({ syncSecurityHub: true });
    expect(guard.alarmsByName?.securityHubSyncFailures).toBeDefined();
    expect(nagFindings(app, stack)).toEqual([]);
  });
});
