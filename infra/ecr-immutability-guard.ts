/**
 * `EcrImmutabilityGuard`: keeps every ECR repository of the account and region at IMMUTABLE image
 * tags. It deploys the two bundles built by `npm run build`:
 * - the guardrail (`dist/guardrail`), invoked by an EventBridge rule on the CloudTrail events of
 *   repository creations and mutability changes;
 * - the sweep (`dist/sweep`), run page by page by a Step Functions state machine on a schedule and
 *   for manual backfills.
 * Failures land in an encrypted dead-letter queue and raise CloudWatch alarms.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
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
import { BUNDLES, type GuardFunctionProps, type GuardLogLevel } from './functions.ts';
import {
  acknowledgeInvokeFinding,
  bundleCode,
  createDeadLetterQueue,
  createGuardMonitoring,
  createGuardrailFunction,
  createGuardrailRule,
  createScheduleRule,
  createSweepFunction,
  grantGuardAccess,
  resolveGuardSettings,
  sweepSchedule,
} from './guard-core.ts';
import type { TargetMutability } from './guardrail-event-pattern.ts';
import { createRemediationsQuery, type GuardAlarms } from './monitoring.ts';
import { type GuardOrganizationProps, grantOrganizationAccess } from './org-permissions.ts';
import { SweepWorkflow } from './sweep-workflow.ts';
import { createTrail } from './trail.ts';

export { BUNDLES, type GuardFunctionProps, type GuardLogLevel, HANDLER } from './functions.ts';
export { type GuardAlarms, NO_ALARM_ACTIONS_WARNING } from './monitoring.ts';

/** The Lambda code of the two functions, when not taken from the bundle directory. */
export interface GuardCode {
  readonly guardrail: lambda.Code;
  readonly sweep: lambda.Code;
}

/** Properties of {@link EcrImmutabilityGuard}. Every property is optional. */
export interface EcrImmutabilityGuardProps extends GuardOrganizationProps {
  /**
   * Directory holding the bundles built by `npm run build` (`guardrail/index.mjs`, `sweep/index.mjs`).
   * @default the project's `dist/` folder
   */
  readonly bundleDir?: string;
  /** Lambda code for both functions, replacing {@link bundleDir} (tests pass stub code). */
  readonly code?: GuardCode;

  /** The setting to enforce (`TARGET_MUTABILITY`). @default 'IMMUTABLE' */
  readonly targetMutability?: TargetMutability;
  /** Wildcard exclusion filters, required with `IMMUTABLE_WITH_EXCLUSION` (`EXCLUSION_FILTERS`), 1 to 5. */
  readonly exclusionFilters?: readonly string[];
  /** Exclusion filters a repository may keep (`ALLOWED_EXCLUSIONS`). @default none allowed beyond the target */
  readonly allowedExclusions?: readonly string[];
  /** Report what would change without changing it (`DRY_RUN`). @default false */
  readonly dryRun?: boolean;
  /** Glob patterns of repository names left alone (`EXEMPT_REPOSITORIES`). @default none */
  readonly exemptRepositories?: readonly string[];
  /**
   * A repository tag key that exempts a repository (`EXEMPT_TAG_KEY`); also grants
   * `ecr:ListTagsForResource`. @default tag exemptions off
   */
  readonly exemptTagKey?: string;
  /** A tag key holding the exemption's expiry date (`EXEMPT_EXPIRY_TAG_KEY`); needs {@link exemptTagKey}. */
  readonly exemptExpiryTagKey?: string;
  /** Bring your own event bus: it receives an audit event per finding (`AUDIT_EVENT_BUS_NAME`). @default no audit events */
  readonly auditEventBus?: events.IEventBus;
  /** Log every compliant repository too (`VERBOSE_AUDIT`). @default false */
  readonly verboseAudit?: boolean;
  /**
   * The sweep also checks repository creation templates and sets non-compliant ones to the target
   * (`CHECK_CREATION_TEMPLATES`), so repositories ECR creates itself are born compliant. Grants the
   * sweep `ecr:DescribeRepositoryCreationTemplates` and `ecr:UpdateRepositoryCreationTemplate`.
   * @default false
   */
  readonly checkCreationTemplates?: boolean;

  /** Powertools service name: log field and the `service` metric dimension. @default 'ecr-immutability-guard' */
  readonly serviceName?: string;
  /** CloudWatch namespace of the outcome metrics. @default 'EcrImmutabilityGuard' */
  readonly metricsNamespace?: string;
  /** Application log level (Powertools and Lambda's advanced logging controls). @default 'INFO' */
  readonly logLevel?: GuardLogLevel;
  /** Retention of the functions' and the state machine's log groups. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups (the audit records) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * Overrides of the guardrail function's properties, merged over the defaults (AWS Solutions
   * Constructs' `lambdaFunctionProps`): e.g. `vpc`, `tracing`, `layers`, `environment` (merged; the
   * guard's own variables win). `code`, `handler` and `runtime` cannot be overridden.
   */
  readonly guardrailFunctionProps?: GuardFunctionProps;
  /** Overrides of the sweep function's properties, as {@link guardrailFunctionProps}. */
  readonly sweepFunctionProps?: GuardFunctionProps;
  /** X-Ray active tracing on both functions (grants the X-Ray write actions). @default false */
  readonly activeTracing?: boolean;

  /** Guardrail timeout: one describe and at most one write per event. @default 30 seconds */
  readonly guardrailTimeout?: Duration;
  /** @default 256 */
  readonly guardrailMemorySize?: number;
  /**
   * Reserved concurrency of the guardrail. Set it (e.g. 5) in accounts with a high concurrency limit
   * where other workloads could starve the guardrail, or to cap its ECR call rate during bursts of
   * repository creations. Leave it unset in new accounts: their concurrency limit of 10 leaves no
   * room to reserve (Lambda keeps 10 unreserved), and the deployment would fail. `false` = unset.
   * @default unset (no reservation)
   */
  readonly guardrailReservedConcurrency?: number | false;
  /** Sweep timeout per page; the sweep stops before it and returns a nextToken. @default 15 minutes */
  readonly sweepTimeout?: Duration;
  /** @default 512 */
  readonly sweepMemorySize?: number;
  /** Concurrent ECR calls within one sweep page (`SWEEP_CONCURRENCY`). @default the function's default (4) */
  readonly sweepConcurrency?: number;
  /** How long before its deadline a sweep page stops (`SWEEP_SAFETY_MARGIN_MS`). @default the function's default (30 s) */
  readonly sweepSafetyMargin?: Duration;
  /** Schedule of the sweep, or `false` for none (backfills still work). @default rate(1 day) */
  readonly schedule?: events.Schedule | false;
  /** Upper bound of one sweep execution, all pages included. @default 6 hours */
  readonly sweepExecutionTimeout?: Duration;

  /**
   * Bring your own dead-letter queue: the guardrail's on-failure destination and both rules' DLQ.
   * @default a new SQS-encrypted, TLS-only queue keeping messages 14 days
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /** Create the CloudWatch alarms (README, "Monitoring"). @default true */
  readonly createAlarms?: boolean;
  /**
   * Hours within which a sweep must have succeeded before the heartbeat alarm fires.
   * @default the schedule's rate plus {@link sweepExecutionTimeout} (1 day plus it for a cron schedule)
   */
  readonly sweepHeartbeatHours?: number;
  /**
   * Bring your own topic for the alarms. Without a topic or an email the alarms notify nobody, and
   * synthesis warns. @default a new encrypted topic when {@link alarmEmail} is set, else no actions
   */
  readonly alarmTopic?: sns.ITopic;
  /** Email address subscribed to the alarm topic. @default no subscription */
  readonly alarmEmail?: string;
  /** Create a CloudWatch dashboard of the outcomes. @default true */
  readonly dashboard?: boolean;
  /**
   * Create a multi-Region CloudTrail trail (write management events). EventBridge receives
   * `AWS API Call via CloudTrail` events only while a trail is logging; leave this off when the
   * account or organization already has one (a second trail's events are billed).
   * @default false
   */
  readonly createTrail?: boolean;
  /**
   * The one Region whose stack creates the trail (with {@link createTrail}); stacks of the same app
   * in other Regions do not. Needs an explicit `env.region`. @default the trail is created in this stack
   */
  readonly trailHomeRegion?: string;
  /** Days the trail bucket keeps log files before they expire. @default 365 */
  readonly trailRetentionDays?: number;
}

export class EcrImmutabilityGuard extends Construct {
  readonly guardrailFunction: lambda.Function;
  readonly sweepFunction: lambda.Function;
  readonly guardrailRole: iam.IRole;
  readonly sweepRole: iam.IRole;
  readonly guardrailLogGroup: logs.ILogGroup;
  readonly sweepLogGroup: logs.ILogGroup;
  readonly deadLetterQueue: sqs.IQueue;
  /** Whether the sweep checks repository creation templates (and holds the two registry-level actions). */
  readonly checksCreationTemplates: boolean;
  readonly guardrailRule: events.Rule;
  readonly sweepStateMachine: sfn.StateMachine;
  readonly sweepStateMachineLogGroup: logs.ILogGroup;
  readonly scheduleRule: events.Rule | undefined;
  readonly alarmTopic: sns.ITopic | undefined;
  /** Every alarm (empty with `createAlarms: false`); {@link alarmsByName} names them. */
  readonly alarms: cloudwatch.Alarm[];
  readonly alarmsByName: GuardAlarms | undefined;
  readonly dashboard: cloudwatch.Dashboard | undefined;
  readonly trail: cloudtrail.Trail | undefined;
  readonly trailBucket: s3.Bucket | undefined;
  readonly remediationsQuery: logs.QueryDefinition;
  readonly serviceName: string;
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: EcrImmutabilityGuardProps = {}) {
    super(scope, id);
    // The parts shared with the organisation's central construct (infra/guard-core.ts).
    const settings = resolveGuardSettings(props);
    this.serviceName = settings.serviceName;
    this.metricsNamespace = settings.metricsNamespace;
    const code = props.code ?? {
      guardrail: bundleCode(props.bundleDir, BUNDLES.guardrail),
      sweep: bundleCode(props.bundleDir, BUNDLES.sweep),
    };
    this.checksCreationTemplates = props.checkCreationTemplates === true;

    this.deadLetterQueue = props.deadLetterQueue ?? createDeadLetterQueue(this);
    const guardrail = createGuardrailFunction(this, props, settings, code.guardrail, this.deadLetterQueue);
    this.guardrailFunction = guardrail.fn;
    this.guardrailRole = guardrail.role;
    this.guardrailLogGroup = guardrail.logGroup;
    const sweep = createSweepFunction(this, props, settings, code.sweep);
    this.sweepFunction = sweep.fn;
    this.sweepRole = sweep.role;
    this.sweepLogGroup = sweep.logGroup;

    grantGuardAccess(this, props, settings, guardrail, sweep);
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

    const schedule = sweepSchedule(props);
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
