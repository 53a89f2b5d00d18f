/** The sweep state machine's definition, parsed from the template, and its schedule. */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { LAMBDA_TRANSIENT_ERRORS, SWEEP_STATE_NAMES } from '../../infra/sweep-workflow.ts';
import {
  type Definition,
  findResource,
  resources,
  type State,
  sweepDefinitionOf,
  synthesize,
} from './helpers.ts';

function state(definition: Definition, name: string): State {
  const found = definition.States[name];
  if (found === undefined) throw new Error(`no state ${name}`);
  return found;
}

describe('the sweep state machine', () => {
  const { template } = synthesize();
  const definition = sweepDefinitionOf(template);
  const [sweepFunctionId] = findResource(template, 'AWS::Lambda::Function', 'GuardSweepFunction');

  it('uses JSONata, starts at Init and times out after 6 hours', () => {
    expect(definition).toMatchObject({
      QueryLanguage: 'JSONata',
      StartAt: SWEEP_STATE_NAMES.init,
      TimeoutSeconds: 21_600,
    });
    expect(state(definition, SWEEP_STATE_NAMES.init)).toMatchObject({
      Type: 'Pass',
      Next: SWEEP_STATE_NAMES.sweepPage,
      Assign: { payload: '{% $states.input %}', failedTotal: 0, scannedTotal: 0, pages: 0 },
    });
  });

  it('invokes the sweep function with the page payload and keeps a running total of failed repositories', () => {
    const page = state(definition, SWEEP_STATE_NAMES.sweepPage);
    expect(page).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<AWS::Partition>:states:::lambda:invoke',
      Arguments: { FunctionName: `<${sweepFunctionId}.Arn>`, Payload: '{% $payload %}' },
      Next: SWEEP_STATE_NAMES.morePages,
      TimeoutSeconds: 960,
    });
    expect(page.Assign?.failedTotal).toMatch(
      /^\{% \$failedTotal \+ .*\$states\.result\.Payload\.counts\.failed/,
    );
    expect(page.Assign?.failedTotal).toContain('$states.result.Payload.templates.failed');
    expect(page.Assign?.more).toBe('{% $exists($states.result.Payload.nextToken) %}');
    expect(page.Assign?.payload).toBe(
      "{% $exists($states.result.Payload.nextToken) ? $merge([$base, {'nextToken': $states.result.Payload.nextToken}]) : {} %}",
    );
    // Later pages carry only the page size besides the token (names, dryRun and trigger are in the token).
    expect(state(definition, SWEEP_STATE_NAMES.init).Assign?.base).toBe(
      "{% $exists($states.input.maxRepositories) ? {'maxRepositories': $states.input.maxRepositories} : {} %}",
    );
  });

  it('retries Lambda service errors and client timeouts with backoff and jitter, and fails visibly on anything else', () => {
    const page = state(definition, SWEEP_STATE_NAMES.sweepPage);
    expect(page.Retry).toEqual([
      {
        ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS, 'Lambda.ClientExecutionTimeoutException'],
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
        MaxDelaySeconds: 60,
        JitterStrategy: 'FULL',
      },
    ]);
    expect(LAMBDA_TRANSIENT_ERRORS).toEqual([
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
    ]);
    expect(page.Catch).toEqual([
      {
        ErrorEquals: ['States.DataLimitExceeded'],
        Next: SWEEP_STATE_NAMES.dataLimitExceeded,
        Output: '{% $states.errorOutput %}',
      },
      {
        ErrorEquals: ['States.ALL'],
        Next: SWEEP_STATE_NAMES.invocationFailed,
        Output: '{% $states.errorOutput %}',
      },
    ]);
    expect(state(definition, SWEEP_STATE_NAMES.invocationFailed).Type).toBe('Fail');
  });

  it('loops on nextToken, then fails when any repository failed and succeeds otherwise', () => {
    expect(state(definition, SWEEP_STATE_NAMES.morePages)).toEqual(
      expect.objectContaining({
        Type: 'Choice',
        Choices: [{ Condition: '{% $more %}', Next: SWEEP_STATE_NAMES.sweepPage }],
        Default: SWEEP_STATE_NAMES.anyFailed,
      }),
    );
    expect(state(definition, SWEEP_STATE_NAMES.anyFailed)).toEqual(
      expect.objectContaining({
        Type: 'Choice',
        Choices: [{ Condition: '{% $failedTotal > 0 %}', Next: SWEEP_STATE_NAMES.repositoriesFailed }],
        Default: SWEEP_STATE_NAMES.succeeded,
      }),
    );
    expect(state(definition, SWEEP_STATE_NAMES.repositoriesFailed)).toMatchObject({
      Type: 'Fail',
      Error: 'RepositoriesFailed',
    });
    expect(state(definition, SWEEP_STATE_NAMES.succeeded).Type).toBe('Succeed');
  });

  it('logs every event with execution data and traces with X-Ray', () => {
    const [logGroupId] = findResource(template, 'AWS::Logs::LogGroup', 'GuardSweepWorkflowLogs');
    const [, machine] = findResource(
      template,
      'AWS::StepFunctions::StateMachine',
      'GuardSweepWorkflowStateMachine',
    );
    expect(machine).toMatchObject({
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('starts daily by default, with retries and the dead-letter queue for starts that fail', () => {
    const [machineId] = findResource(
      template,
      'AWS::StepFunctions::StateMachine',
      'GuardSweepWorkflowStateMachine',
    );
    const [queueId] = findResource(template, 'AWS::SQS::Queue', 'GuardDeadLetterQueue');
    const [, schedule] = findResource(template, 'AWS::Events::Rule', 'GuardSweepSchedule');
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(1 day)',
      Targets: [
        expect.objectContaining({
          Arn: { Ref: machineId },
          RetryPolicy: { MaximumRetryAttempts: 4 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        }),
      ],
    });
  });

  it('takes a custom schedule and execution timeout', () => {
    const { template: custom } = synthesize({
      schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
      sweepExecutionTimeout: Duration.hours(2),
    });
    const [, schedule] = findResource(custom, 'AWS::Events::Rule', 'GuardSweepSchedule');
    expect(schedule.ScheduleExpression).toBe('cron(0 3 * * ? *)');
    expect(sweepDefinitionOf(custom).TimeoutSeconds).toBe(7200);
  });

  it('has no schedule when disabled, and the state machine stays for backfills', () => {
    const { template: unscheduled } = synthesize({ schedule: false });
    const rules = Object.values(resources(unscheduled)).filter(
      (resource) => resource.Type === 'AWS::Events::Rule',
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties?.ScheduleExpression).toBeUndefined();
    expect(sweepDefinitionOf(unscheduled).StartAt).toBe(SWEEP_STATE_NAMES.init);
  });

  it('outputs the state machine ARN for backfills', () => {
    const [machineId] = findResource(
      template,
      'AWS::StepFunctions::StateMachine',
      'GuardSweepWorkflowStateMachine',
    );
    template.hasOutput('SweepStateMachineArn', { Value: { Ref: machineId } });
  });
});
