/**
 * The audit sinks the guardrail and the sweep write to besides their log lines and metrics
 * (docs/architecture.md, "Audit"): for each sink that its setting turns on, what the functions are granted
 * and the alarm on the metric counting its failures (a sink never blocks enforcement, so its failures are
 * alarmed instead). A new sink is one entry of {@link auditSinks}.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { AUDIT_EVENT_ACTIONS, GUARD_WORKFLOW_STATUSES, SECURITY_HUB_ACTIONS } from '../lib/iam-actions.ts';
import { AUDIT_PUBLISH_FAILURES_METRIC, SECURITY_HUB_SYNC_FAILURES_METRIC } from '../lib/outcomes.ts';
import type { SettingValues } from '../lib/settings.ts';
import type { SinkAlarm } from './alarms.ts';
import type { GuardFunction } from './functions.ts';
import { acknowledgedPolicy, nagResource, wildcardFinding } from './nag.ts';

export interface AuditSink {
  readonly alarm: SinkAlarm;
  /** Grants one function what the sink's calls need. */
  readonly grant: (fn: GuardFunction) => void;
}

/**
 * The condition key that limits `securityhub:BatchUpdateFindings` by the workflow status a request sets
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchupdatefindings.html).
 */
export const WORKFLOW_STATUS_CONDITION_KEY = 'securityhub:ASFFSyntaxPath/Workflow.Status';

/** The audit bus (`auditEventBus`): `events:PutEvents` on that bus only. */
function eventBridgeSink(busArn: string): AuditSink {
  return {
    alarm: {
      name: 'auditPublishFailures',
      id: 'AuditPublishFailuresAlarm',
      description: 'Audit events could not be published to the audit event bus.',
      metricName: AUDIT_PUBLISH_FAILURES_METRIC,
    },
    grant: (fn) =>
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'AuditEvents',
          actions: [...AUDIT_EVENT_ACTIONS],
          resources: [busArn],
        }),
      ),
  };
}

/**
 * Security Hub's ECR.2 findings (`syncSecurityHub`), on the hub of this account in `region`: the
 * `securityHubRegion` when set, else the Region of the account-region synced, which is the stack's for the
 * single-account guard and any of the swept Regions (`*`) for the organisation's. An administrator account's hub updates its members' findings too, so the
 * organisation's central functions need no member permission. `BatchUpdateFindings` may set no workflow
 * status but the guard's (`StringEqualsIfExists`: a request that sets none, a note on a remediation, is
 * allowed; a condition that required the key would refuse it).
 */
function securityHubSink(scope: Construct, region: string | undefined): AuditSink {
  const hubArn = Stack.of(scope).formatArn({
    service: 'securityhub',
    ...(region === undefined ? {} : { region }),
    resource: 'hub',
    resourceName: 'default',
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  const { updateFindings, ...reads } = SECURITY_HUB_ACTIONS;
  return {
    alarm: {
      name: 'securityHubSyncFailures',
      id: 'SecurityHubSyncFailuresAlarm',
      description:
        "Security Hub's ECR.2 findings could not be brought in line with the guard's decisions (enforcement went on; see the functions' logs).",
      metricName: SECURITY_HUB_SYNC_FAILURES_METRIC,
    },
    grant: ({ fn, role }) => {
      const statements = [
        new iam.PolicyStatement({
          sid: 'SecurityHubFindingsRead',
          actions: Object.values(reads).flat(),
          resources: [hubArn],
        }),
        new iam.PolicyStatement({
          sid: 'SecurityHubFindingsUpdate',
          actions: [...updateFindings],
          resources: [hubArn],
          conditions: {
            StringEqualsIfExists: { [WORKFLOW_STATUS_CONDITION_KEY]: [...GUARD_WORKFLOW_STATUSES] },
          },
        }),
      ];
      if (region !== '*') {
        for (const statement of statements) role.addToPrincipalPolicy(statement);
        return;
      }
      acknowledgedPolicy(fn, 'SecurityHubFindings', {
        role,
        statements,
        findings: [wildcardFinding(nagResource(scope, hubArn))],
        reason:
          "This account's own Security Hub hub in each Region the organisation sweep covers (findings are synced in their account-region's Region when no securityHubRegion aggregates them); the update only for the workflow statuses the guard sets.",
        dependent: fn,
      });
    },
  };
}

/** The sinks the settings turn on, in the order their grants and alarms are created. */
export function auditSinks(scope: Construct, values: SettingValues): AuditSink[] {
  return [
    ...(values.auditEventBusName === undefined ? [] : [eventBridgeSink(values.auditEventBusName)]),
    ...(values.syncSecurityHub
      ? [securityHubSink(scope, values.securityHubRegion ?? (values.organization ? '*' : undefined))]
      : []),
  ];
}
