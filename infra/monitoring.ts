/**
 * The monitoring of a deployment, as its props ask: the alarm topic (infra/alarm-topic.ts), the alarms
 * (infra/alarms.ts, with a warning when they notify nobody) and the dashboard (infra/dashboard.ts).
 */
import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { createAlarmTopic } from './alarm-topic.ts';
import { createAlarms, type GuardAlarms, heartbeatWindow, warnWithoutAlarmActions } from './alarms.ts';
import type { AuditSink } from './audit-sinks.ts';
import { createDashboard } from './dashboard.ts';
import type { EcrImmutabilityGuardBaseProps } from './guard-props.ts';
import type { GuardSettings } from './guard-settings.ts';

export interface GuardMonitoring {
  readonly alarmTopic: sns.ITopic | undefined;
  readonly alarmsByName: GuardAlarms | undefined;
  readonly alarms: cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard | undefined;
}

export interface MonitoringInputs {
  readonly guardrailFunction: lambda.IFunction;
  readonly guardrailRule: events.IRule;
  /** The custom bus the guardrail rule is on; unset for the default bus. */
  readonly guardrailEventBus?: events.IEventBus;
  readonly scheduleRule: events.IRule | undefined;
  readonly schedule: events.Schedule | false;
  readonly deadLetterQueue: sqs.IQueue;
  readonly stateMachine: sfn.IStateMachine;
  readonly executionTimeout: Duration;
  /** The audit sinks that are on: each gets an alarm on its failures. */
  readonly sinks: readonly AuditSink[];
  /** The organisation dashboard rows (per-account outcomes). */
  readonly accountOutcomes?: boolean;
  /** The organisation sweep checks the member forwarding rules: alarm on unguarded account-regions. */
  readonly footprint?: boolean;
}

/** The alarm topic, the alarms and the dashboard, as the props ask. */
export function createGuardMonitoring(
  scope: Construct,
  props: EcrImmutabilityGuardBaseProps,
  settings: GuardSettings,
  inputs: MonitoringInputs,
): GuardMonitoring {
  const alarmTopic = createAlarmTopic(scope, props);
  const outcome = { namespace: settings.values.metricsNamespace, serviceName: settings.values.serviceName };
  let alarmsByName: GuardAlarms | undefined;
  let alarms: cloudwatch.Alarm[] = [];
  if (props.createAlarms !== false) {
    alarmsByName = createAlarms(scope, {
      outcome,
      guardrailFunction: inputs.guardrailFunction,
      guardrailRule: inputs.guardrailRule,
      guardrailEventBus: inputs.guardrailEventBus,
      scheduleRule: inputs.scheduleRule,
      deadLetterQueue: inputs.deadLetterQueue,
      stateMachine: inputs.stateMachine,
      heartbeat:
        inputs.schedule === false
          ? undefined
          : heartbeatWindow(inputs.schedule, inputs.executionTimeout, props.sweepHeartbeatHours),
      sinks: inputs.sinks.map((sink) => sink.alarm),
      alarmTopic,
      footprint: inputs.footprint === true,
    });
    alarms = Object.values(alarmsByName).filter((alarm) => alarm !== undefined);
    if (alarmTopic === undefined) warnWithoutAlarmActions(scope);
  }
  const dashboard =
    props.dashboard === false
      ? undefined
      : createDashboard(scope, {
          outcome,
          guardrailFunction: inputs.guardrailFunction,
          deadLetterQueue: inputs.deadLetterQueue,
          stateMachine: inputs.stateMachine,
          accountOutcomes: inputs.accountOutcomes === true,
        });
  return { alarmTopic, alarmsByName, alarms, dashboard };
}
