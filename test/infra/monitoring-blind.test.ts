/**
 * Monitoring that cannot go quietly blind: the heartbeat, the alarms on losses EventBridge
 * and Lambda only count, the warning when alarms notify nobody, and the createAlarms switch.
 */
import { Duration, type Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { heartbeatWindow, NO_ALARM_ACTIONS_WARNING, scheduleRate } from '../../infra/alarms.ts';
import { findResource, resources, synthesize } from './helpers.ts';

type Template = ReturnType<typeof synthesize>['template'];

function alarm(template: Template, prefix: string): Record<string, unknown> {
  return findResource(template, 'AWS::CloudWatch::Alarm', prefix)[1];
}

const onAnyLoss = {
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold',
  EvaluationPeriods: 1,
  TreatMissingData: 'notBreaching',
  Statistic: 'Sum',
  Period: 300,
};

describe('monitoring that cannot go blind', () => {
  const { template, stack } = synthesize();

  it('fires the heartbeat when no sweep succeeded within the schedule period plus the execution timeout', () => {
    const [machineId] = findResource(
      template,
      'AWS::StepFunctions::StateMachine',
      'GuardSweepWorkflowStateMachine',
    );
    expect(alarm(template, 'GuardSweepHeartbeatAlarm')).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsSucceeded',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      // Missing data is what a disabled schedule or a broken role produces: it must breach.
      TreatMissingData: 'breaching',
      // rate(1 day) + the 6-hour execution timeout.
      Period: 30 * 3600,
    });
  });

  it('takes the heartbeat window from the schedule, an explicit number of hours, and none without a schedule', () => {
    expect(scheduleRate(events.Schedule.rate(Duration.hours(12)))?.toHours()).toBe(12);
    expect(scheduleRate(events.Schedule.cron({ minute: '0', hour: '3' }))).toBeUndefined();
    expect(
      heartbeatWindow(events.Schedule.rate(Duration.hours(12)), Duration.hours(1), undefined).toHours(),
    ).toBe(13);
    expect(heartbeatWindow(events.Schedule.cron({ minute: '0' }), Duration.hours(6), 48).toHours()).toBe(48);
    expect(() =>
      heartbeatWindow(events.Schedule.rate(Duration.days(7)), Duration.hours(6), undefined),
    ).toThrow(/7-day alarm range/);
    const hourly = synthesize({ sweepHeartbeatHours: 3 }).template;
    expect(alarm(hourly, 'GuardSweepHeartbeatAlarm')).toMatchObject({ Period: 3 * 3600 });
    const unscheduled = synthesize({ schedule: false }).template;
    expect(() => findResource(unscheduled, 'AWS::CloudWatch::Alarm', 'GuardSweepHeartbeatAlarm')).toThrow();
  });

  it.each([
    ['GuardGuardrailRuleFailedInvocationsAlarm', 'GuardGuardrailRule', 'FailedInvocations'],
    ['GuardGuardrailRuleDeadLetterFailuresAlarm', 'GuardGuardrailRule', 'InvocationsFailedToBeSentToDlq'],
    ['GuardSweepScheduleFailedInvocationsAlarm', 'GuardSweepSchedule', 'FailedInvocations'],
    ['GuardSweepScheduleDeadLetterFailuresAlarm', 'GuardSweepSchedule', 'InvocationsFailedToBeSentToDlq'],
  ])('%s alarms on the rule metric %s/%s', (alarmId, rulePrefix, metricName) => {
    const [ruleId] = findResource(template, 'AWS::Events::Rule', rulePrefix);
    expect(alarm(template, alarmId)).toMatchObject({
      ...onAnyLoss,
      Namespace: 'AWS/Events',
      MetricName: metricName,
      // Rules on the default bus report with RuleName alone.
      Dimensions: [{ Name: 'RuleName', Value: { Ref: ruleId } }],
    });
  });

  it.each([
    ['GuardGuardrailAsyncEventsDroppedAlarm', 'AsyncEventsDropped'],
    ['GuardGuardrailDestinationDeliveryFailuresAlarm', 'DestinationDeliveryFailures'],
  ])('%s alarms on the guardrail metric %s', (alarmId, metricName) => {
    const [fnId] = findResource(template, 'AWS::Lambda::Function', 'GuardGuardrailFunction');
    expect(alarm(template, alarmId)).toMatchObject({
      ...onAnyLoss,
      Namespace: 'AWS/Lambda',
      MetricName: metricName,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
    });
  });

  it('warns at synthesis when the alarms notify nobody, and not when they notify a topic', () => {
    Annotations.fromStack(stack).hasWarning(
      '/EcrImmutabilityGuardStack/Guard',
      Match.stringLikeRegexp('nobody is notified'),
    );
    const warned = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
    expect(JSON.stringify(warned)).toContain(NO_ALARM_ACTIONS_WARNING);
    for (const props of [
      { alarmEmail: 'ops@example.com' },
      (scope: Stack) => ({ alarmTopic: new sns.Topic(scope, 'Ops') }),
      { createAlarms: false },
    ]) {
      const quiet = synthesize(props).stack;
      Annotations.fromStack(quiet).hasNoWarning('*', Match.stringLikeRegexp('nobody is notified'));
    }
  });

  it('notifies a topic the user brings from every alarm, and creates no topic of its own', () => {
    const { template: own, stack: ownStack } = synthesize((scope) => ({
      alarmTopic: new sns.Topic(scope, 'Ops'),
    }));
    const [topicId] = findResource(own, 'AWS::SNS::Topic', 'Ops');
    const topics = Object.values(resources(own)).filter((resource) => resource.Type === 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const alarms = Object.values(resources(own)).filter(
      (resource) => resource.Type === 'AWS::CloudWatch::Alarm',
    );
    for (const each of alarms) expect(each.Properties?.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(ownStack.guard.alarmTopic).toBeDefined();
  });

  it('creates no alarm with createAlarms: false, and exposes every alarm by name otherwise', () => {
    const { template: none, stack: noneStack } = synthesize({ createAlarms: false });
    expect(
      Object.values(resources(none)).some((resource) => resource.Type === 'AWS::CloudWatch::Alarm'),
    ).toBe(false);
    expect(noneStack.guard.alarms).toEqual([]);
    expect(noneStack.guard.alarmsByName).toBeUndefined();
    const named = stack.guard.alarmsByName;
    expect(named?.sweepHeartbeat).toBeDefined();
    expect(named?.guardrailRuleFailedInvocations).toBeDefined();
    expect(stack.guard.alarms).toHaveLength(
      Object.values(resources(template)).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm')
        .length,
    );
  });

  it('fails synthesis naming the prop when the heartbeat hours are out of range', () => {
    expect(() => synthesize({ sweepHeartbeatHours: 200 })).toThrow(
      /sweepHeartbeatHours: must be an integer from 1 to 168/,
    );
  });
});
