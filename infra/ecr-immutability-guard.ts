/**
 * `EcrImmutabilityGuard`: keeps every ECR repository of one account and Region at IMMUTABLE image tags with
 * the guardrail (on CloudTrail's events), the scheduled sweep and their monitoring; with organisation mode
 * or an account list, the same functions reach other accounts through their member role.
 */
import { Duration } from 'aws-cdk-lib';
import type * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { GuardAlarms } from './alarms.ts';
import { auditSinks } from './audit-sinks.ts';
import { createRemediationsQuery } from './dashboard.ts';
import { createDeadLetterQueue } from './dead-letter-queue.ts';
import { BUNDLES } from './functions.ts';
import {
  bundleCode,
  createGuardrailFunction,
  createSweepFunction,
  grantGuardAccess,
} from './guard-functions.ts';
import type { EcrImmutabilityGuardBaseProps, GuardCode } from './guard-props.ts';
import { createGuardrailRule, createScheduleRule, sweepSchedule } from './guard-rules.ts';
import { resolveGuardSettings } from './guard-settings.ts';
import { createGuardMonitoring } from './monitoring.ts';
import { acknowledgeInvokeFinding } from './nag.ts';
import { grantOrganizationAccess } from './org-permissions.ts';
import { SweepWorkflow } from './sweep-workflow.ts';
import { createTrail } from './trail.ts';

/** Properties of {@link EcrImmutabilityGuard}: the shared ones, and the single account's own. Every property is optional. */
export interface EcrImmutabilityGuardProps extends EcrImmutabilityGuardBaseProps {
  /** Lambda code for both functions, replacing {@link bundleDir} (tests pass stub code). @default the bundles of `bundleDir` */
  readonly code?: GuardCode;
  /**
   * Organisation mode: the sweep covers the ACTIVE accounts of AWS Organizations (suspended or closed ones
   * are listed as skipped) and the guardrail acts on events forwarded from member accounts, each through the
   * member role. An organisation is better served by `EcrImmutabilityGuardOrg` (a central bus, one child
   * execution per account-region).
   * @default false
   */
  readonly organization?: boolean;
  /**
   * Create a multi-Region CloudTrail trail (EventBridge sees ECR calls only while a trail logs). Leave it off
   * when the account or organisation already has one (a second trail's events are billed).
   * @default false
   */
  readonly createTrail?: boolean;
  /**
   * With `createTrail`: the one Region whose stack creates the trail; stacks in other Regions do not (needs
   * the stack’s `env.region`).
   * @default the trail is created in this stack
   */
  readonly trailHomeRegion?: string;
  /** Days the trail bucket keeps log files (incomplete uploads are aborted after 7 days). @default 365 */
  readonly trailRetentionDays?: number;
}

/**
 * Keeps every ECR repository of the account and Region at IMMUTABLE image tags, and proves it did so. It
 * deploys the two bundles built by `npm run build`:
 * - the guardrail (`dist/guardrail`), invoked by an EventBridge rule on the CloudTrail events of repository
 *   creations and mutability changes;
 * - the sweep (`dist/sweep`), run page by page by a Step Functions state machine on a schedule and for
 *   manual backfills.
 * Failures land in an encrypted dead-letter queue and raise CloudWatch alarms; every decision is an audit
 * record in the functions' log groups.
 *
 * @example
 * import { Stack } from 'aws-cdk-lib';
 * import { EcrImmutabilityGuard } from 'ecr-immutability-guard';
 *
 * const stack = new Stack(app, 'EcrGuard');
 * new EcrImmutabilityGuard(stack, 'Guard', {
 *   targetMutability: 'IMMUTABLE_WITH_EXCLUSION',
 *   exclusionFilters: ['latest'],
 *   exemptTagKey: 'ecr-guard:exempt',
 *   alarmEmail: 'platform-alarms@example.com',
 * });
 */
export class EcrImmutabilityGuard extends Construct {
  /** The guardrail function: one event, one repository, one decision. */
  readonly guardrailFunction: lambda.Function;
  /** The sweep function: one page of repositories per invocation. */
  readonly sweepFunction: lambda.Function;
  /** The guardrail's execution role (or the one given in `guardrailFunctionProps`). */
  readonly guardrailRole: iam.IRole;
  /** The sweep's execution role (or the one given in `sweepFunctionProps`). */
  readonly sweepRole: iam.IRole;
  /** The guardrail's log group: its audit records. */
  readonly guardrailLogGroup: logs.ILogGroup;
  /** The sweep's log group: its audit records. */
  readonly sweepLogGroup: logs.ILogGroup;
  /** The dead-letter queue: the one given, or the one created. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Whether the sweep checks repository creation templates (and holds the two registry-level actions). */
  readonly checksCreationTemplates: boolean;
  /** The rule sending CloudTrail's ECR events to the guardrail. */
  readonly guardrailRule: events.Rule;
  /** The sweep state machine: the schedule starts it; start it yourself for a backfill. */
  readonly sweepStateMachine: sfn.StateMachine;
  /** The state machine's log group. */
  readonly sweepStateMachineLogGroup: logs.ILogGroup;
  /** The sweep's schedule; undefined with `schedule: false`. */
  readonly scheduleRule: events.Rule | undefined;
  /** The topic the alarms notify; undefined without `alarmTopic` or `alarmEmail`. */
  readonly alarmTopic: sns.ITopic | undefined;
  /** Every alarm (empty with `createAlarms: false`); {@link alarmsByName} names them. */
  readonly alarms: cloudwatch.Alarm[];
  /** The alarms by name; undefined with `createAlarms: false`. */
  readonly alarmsByName: GuardAlarms | undefined;
  /** The outcomes dashboard; undefined with `dashboard: false`. */
  readonly dashboard: cloudwatch.Dashboard | undefined;
  /** The trail; undefined unless this stack creates it (`createTrail`, `trailHomeRegion`). */
  readonly trail: cloudtrail.Trail | undefined;
  /** The trail's bucket, with {@link trail}. */
  readonly trailBucket: s3.Bucket | undefined;
  /** The saved Logs Insights query of remediations over both log groups. */
  readonly remediationsQuery: logs.QueryDefinition;
  /** The `service` of the logs and the metrics' dimension. */
  readonly serviceName: string;
  /** The CloudWatch namespace of the outcome metrics. */
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: EcrImmutabilityGuardProps = {}) {
    super(scope, id);
    const settings = resolveGuardSettings(props);
    this.serviceName = settings.values.serviceName;
    this.metricsNamespace = settings.values.metricsNamespace;
    const code = props.code ?? {
      guardrail: bundleCode(props.bundleDir, BUNDLES.guardrail),
      sweep: bundleCode(props.bundleDir, BUNDLES.sweep),
    };
    this.checksCreationTemplates = settings.values.checkCreationTemplates;

    this.deadLetterQueue = props.deadLetterQueue ?? createDeadLetterQueue(this);
    const guardrail = createGuardrailFunction(this, props, settings, code.guardrail, this.deadLetterQueue);
    this.guardrailFunction = guardrail.fn;
    this.guardrailRole = guardrail.role;
    this.guardrailLogGroup = guardrail.logGroup;
    const sweep = createSweepFunction(this, props, settings, code.sweep);
    this.sweepFunction = sweep.fn;
    this.sweepRole = sweep.role;
    this.sweepLogGroup = sweep.logGroup;

    const sinks = auditSinks(this, settings.values);
    grantGuardAccess(this, settings, { guardrail, sweep }, sinks);
    grantOrganizationAccess(this, 'Guardrail', guardrail, settings.values);
    grantOrganizationAccess(this, 'Sweep', sweep, settings.values);

    // The guardrail rule on the default bus, where CloudTrail delivers ECR's events.
    this.guardrailRule = createGuardrailRule(this, guardrail.fn, this.deadLetterQueue);

    const executionTimeout = props.sweepExecutionTimeout ?? Duration.hours(6);
    const workflow = new SweepWorkflow(this, 'SweepWorkflow', {
      sweepFunction: sweep.fn,
      sweepTimeout: settings.sweepTimeout,
      executionTimeout,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.logRemovalPolicy,
    });
    this.sweepStateMachine = workflow.stateMachine;
    this.sweepStateMachineLogGroup = workflow.logGroup;

    const schedule = sweepSchedule(props.schedule);
    this.scheduleRule = createScheduleRule(this, schedule, workflow.stateMachine, this.deadLetterQueue);

    this.remediationsQuery = createRemediationsQuery(this, this.serviceName, [
      guardrail.logGroup,
      sweep.logGroup,
    ]);

    const monitoring = createGuardMonitoring(this, props, settings, {
      guardrailFunction: guardrail.fn,
      guardrailRule: this.guardrailRule,
      scheduleRule: this.scheduleRule,
      schedule,
      deadLetterQueue: this.deadLetterQueue,
      stateMachine: workflow.stateMachine,
      executionTimeout,
      sinks,
    });
    this.alarmTopic = monitoring.alarmTopic;
    this.alarmsByName = monitoring.alarmsByName;
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
    const trail =
      props.createTrail === true
        ? createTrail(this, { homeRegion: props.trailHomeRegion, retentionDays: props.trailRetentionDays })
        : undefined;
    this.trail = trail?.trail;
    this.trailBucket = trail?.bucket;

    // The "*" statements of logging and tracing are in their own acknowledged policy (infra/sweep-workflow.ts).
    acknowledgeInvokeFinding(workflow.stateMachine.role, sweep.fn, 'sweep');
  }
}
