/**
 * `EcrImmutabilityGuard`: keeps every ECR repository of the account and region at IMMUTABLE image
 * tags. It deploys the two bundles built by `npm run build`:
 * - the guardrail (`dist/guardrail`), invoked by an EventBridge rule on the CloudTrail events of
 *   repository creations and mutability changes;
 * - the sweep (`dist/sweep`), run page by page by a Step Functions state machine on a schedule and
 *   for manual backfills.
 * Failures land in an encrypted dead-letter queue and raise CloudWatch alarms.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { AUDIT_EVENT_ACTIONS } from '../lib/audit-events.ts';
import {
  BUNDLES,
  createGuardFunction,
  FUNCTION_DEFAULTS,
  type GuardFunctionProps,
  type GuardLogLevel,
  grantAuditEvents,
  grantEcrAccess,
} from './functions.ts';
import { guardrailEventPattern, type TargetMutability } from './guardrail-event-pattern.ts';
import {
  createAlarms,
  createAlarmTopic,
  createDashboard,
  createRemediationsQuery,
  type GuardAlarms,
  heartbeatWindow,
  warnWithoutAlarmActions,
} from './monitoring.ts';
import { type GuardOrganizationProps, grantOrganizationAccess } from './org-permissions.ts';
import { validateGuardProps } from './props-validation.ts';
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

const DEFAULT_SERVICE_NAME = 'ecr-immutability-guard';
const DEFAULT_METRICS_NAMESPACE = 'EcrImmutabilityGuard';
/**
 * The bundles `npm run build` writes to `dist/`: beside `infra/` in this repository, and one level
 * up from the library (`dist/lib-js/index.js`, built by `npm run build:lib`) in the npm package.
 */
const DEFAULT_BUNDLE_DIR = import.meta.filename.endsWith('.ts')
  ? resolve(import.meta.dirname, '..', 'dist')
  : resolve(import.meta.dirname, '..');

function bundleCode(bundleDir: string, name: string): lambda.Code {
  const dir = join(bundleDir, name);
  if (!existsSync(join(dir, 'index.mjs'))) {
    throw new Error(`Lambda bundle ${join(dir, 'index.mjs')} not found: run \`npm run build\` first`);
  }
  return lambda.Code.fromAsset(dir);
}

function joinList(values: readonly string[] | undefined): string | undefined {
  return values === undefined || values.length === 0 ? undefined : values.join(',');
}

/** Drops the unset entries: optional variables are set only when their property is given. */
function definedEntries(entries: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) out[key] = value;
  return out;
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
    const target = props.targetMutability ?? 'IMMUTABLE';
    const logLevel = props.logLevel ?? 'INFO';
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    this.serviceName = props.serviceName ?? DEFAULT_SERVICE_NAME;
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    const values = validateGuardProps(props);

    const code = props.code ?? {
      guardrail: bundleCode(props.bundleDir ?? DEFAULT_BUNDLE_DIR, BUNDLES.guardrail),
      sweep: bundleCode(props.bundleDir ?? DEFAULT_BUNDLE_DIR, BUNDLES.sweep),
    };

    // The policy configuration both functions read (lib/config.ts), set only when given.
    const policyEnvironment = definedEntries({
      TARGET_MUTABILITY: target,
      EXCLUSION_FILTERS: joinList(props.exclusionFilters),
      ALLOWED_EXCLUSIONS: joinList(props.allowedExclusions),
      DRY_RUN: String(props.dryRun ?? false),
      EXEMPT_REPOSITORIES: joinList(props.exemptRepositories),
      EXEMPT_TAG_KEY: props.exemptTagKey,
      EXEMPT_EXPIRY_TAG_KEY: props.exemptExpiryTagKey,
      // The ARN works for PutEvents whether the bus was given by name or by ARN.
      AUDIT_EVENT_BUS_NAME: props.auditEventBus?.eventBusArn,
      VERBOSE_AUDIT: String(props.verboseAudit ?? false),
      CHECK_CREATION_TEMPLATES: String(props.checkCreationTemplates ?? false),
      POWERTOOLS_SERVICE_NAME: this.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: this.metricsNamespace,
      POWERTOOLS_LOG_LEVEL: logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    });
    this.checksCreationTemplates = props.checkCreationTemplates === true;
    // Only the sweep checks creation templates; the guardrail never gets those actions.
    const guardrailFeatures = { tagExemptions: props.exemptTagKey !== undefined, creationTemplates: false };
    const sweepFeatures = { ...guardrailFeatures, creationTemplates: props.checkCreationTemplates === true };
    const activeTracing = props.activeTracing === true;

    // Dead-letter queue: the guardrail's on-failure destination after its retries, and the DLQ of
    // both EventBridge targets (guardrail rule, sweep schedule) when they cannot deliver at all.
    this.deadLetterQueue = props.deadLetterQueue ?? this.createDeadLetterQueue();

    const guardrail = createGuardFunction(this, 'Guardrail', {
      code: code.guardrail,
      description: 'Sets ECR repositories to immutable tags when CloudTrail reports a creation or a change.',
      timeout: props.guardrailTimeout ?? FUNCTION_DEFAULTS.guardrailTimeout,
      memorySize: props.guardrailMemorySize ?? FUNCTION_DEFAULTS.guardrailMemorySize,
      reservedConcurrency:
        props.guardrailReservedConcurrency === false ? undefined : props.guardrailReservedConcurrency,
      environment: policyEnvironment,
      logRetention,
      logRemovalPolicy,
      logLevel,
      activeTracing,
      overrides: props.guardrailFunctionProps,
      overridesName: 'guardrailFunctionProps',
    });
    this.guardrailFunction = guardrail.fn;
    this.guardrailRole = guardrail.role;
    this.guardrailLogGroup = guardrail.logGroup;
    guardrail.fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });

    const sweepTimeout = props.sweepTimeout ?? FUNCTION_DEFAULTS.sweepTimeout;
    const sweep = createGuardFunction(this, 'Sweep', {
      code: code.sweep,
      description: 'Sweeps every ECR repository page by page and sets non-compliant ones to immutable tags.',
      timeout: sweepTimeout,
      memorySize: props.sweepMemorySize ?? FUNCTION_DEFAULTS.sweepMemorySize,
      environment: {
        ...policyEnvironment,
        ...definedEntries({
          SWEEP_CONCURRENCY:
            props.sweepConcurrency === undefined ? undefined : String(props.sweepConcurrency),
          SWEEP_SAFETY_MARGIN_MS:
            props.sweepSafetyMargin === undefined
              ? undefined
              : String(props.sweepSafetyMargin.toMilliseconds()),
        }),
      },
      logRetention,
      logRemovalPolicy,
      logLevel,
      activeTracing,
      overrides: props.sweepFunctionProps,
      overridesName: 'sweepFunctionProps',
    });
    this.sweepFunction = sweep.fn;
    this.sweepRole = sweep.role;
    this.sweepLogGroup = sweep.logGroup;

    grantEcrAccess(this, 'Guardrail', guardrail, guardrailFeatures);
    grantEcrAccess(this, 'Sweep', sweep, sweepFeatures);
    if (props.auditEventBus !== undefined) {
      for (const fn of [guardrail, sweep])
        grantAuditEvents(fn, props.auditEventBus.eventBusArn, AUDIT_EVENT_ACTIONS);
    }
    grantOrganizationAccess(this, 'Guardrail', guardrail, values);
    grantOrganizationAccess(this, 'Sweep', sweep, values);

    // The guardrail rule on the default bus, where CloudTrail delivers ECR's events.
    this.guardrailRule = new events.Rule(this, 'GuardrailRule', {
      description:
        'Successful ECR CreateRepository / PutImageTagMutability calls that may leave tags mutable.',
      eventPattern: guardrailEventPattern(),
    });
    this.guardrailRule.addTarget(
      new targets.LambdaFunction(guardrail.fn, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      }),
    );

    const executionTimeout = props.sweepExecutionTimeout ?? Duration.hours(6);
    const workflow = new SweepWorkflow(this, 'SweepWorkflow', {
      sweepFunction: sweep.fn,
      sweepTimeout,
      executionTimeout,
      logRetention,
      logRemovalPolicy,
    });
    this.sweepStateMachine = workflow.stateMachine;
    this.sweepStateMachineLogGroup = workflow.logGroup;

    const schedule = props.schedule ?? events.Schedule.rate(Duration.days(1));
    this.scheduleRule =
      schedule === false
        ? undefined
        : new events.Rule(this, 'SweepSchedule', {
            description: 'Starts the ECR immutability sweep.',
            schedule,
            targets: [
              new targets.SfnStateMachine(workflow.stateMachine, {
                retryAttempts: 4,
                // A start that still fails (throttling, a deleted machine) lands next to the guardrail's failures.
                deadLetterQueue: this.deadLetterQueue,
              }),
            ],
          });

    this.remediationsQuery = createRemediationsQuery(this, this.serviceName, [
      guardrail.logGroup,
      sweep.logGroup,
    ]);

    this.alarmTopic = createAlarmTopic(this, props);
    const outcome = { namespace: this.metricsNamespace, serviceName: this.serviceName };
    if (props.createAlarms === false) {
      this.alarmsByName = undefined;
      this.alarms = [];
    } else {
      this.alarmsByName = createAlarms(this, {
        outcome,
        guardrailFunction: guardrail.fn,
        guardrailRule: this.guardrailRule,
        scheduleRule: this.scheduleRule,
        deadLetterQueue: this.deadLetterQueue,
        stateMachine: workflow.stateMachine,
        heartbeat:
          schedule === false
            ? undefined
            : heartbeatWindow(schedule, executionTimeout, props.sweepHeartbeatHours),
        auditEvents: props.auditEventBus !== undefined,
        alarmTopic: this.alarmTopic,
      });
      this.alarms = Object.values(this.alarmsByName).filter((alarm) => alarm !== undefined);
      if (this.alarmTopic === undefined) warnWithoutAlarmActions(this);
    }
    this.dashboard =
      props.dashboard === false
        ? undefined
        : createDashboard(this, {
            outcome,
            guardrailFunction: guardrail.fn,
            deadLetterQueue: this.deadLetterQueue,
            stateMachine: workflow.stateMachine,
          });
    const trail =
      props.createTrail === true
        ? createTrail(this, { homeRegion: props.trailHomeRegion, retentionDays: props.trailRetentionDays })
        : undefined;
    this.trail = trail?.trail;
    this.trailBucket = trail?.bucket;

    this.acknowledgeInvokeFinding(workflow);
  }

  private createDeadLetterQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue (Lambda on-failure destination and EventBridge target DLQ); its messages are alarmed on, not redriven.',
    });
    return queue;
  }

  /**
   * CDK's Lambda integration grants `lambda:InvokeFunction` on the sweep function and `<arn>:*` (its
   * versions and aliases) in the state machine role's default policy: acknowledged for that exact
   * resource, so any other wildcard statement there is still reported. The `"*"` statements of
   * logging and tracing are in their own acknowledged policy (infra/sweep-workflow.ts).
   */
  private acknowledgeInvokeFinding(workflow: SweepWorkflow): void {
    const cfnSweep = this.sweepFunction.node.defaultChild;
    if (!(cfnSweep instanceof lambda.CfnFunction)) throw new Error('the sweep function has no CfnFunction');
    const sweepLogicalId = Stack.of(this).getLogicalId(cfnSweep);
    Validations.of(workflow.stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${sweepLogicalId}.Arn>:*]`,
      reason:
        'Granted by CDK for the Lambda integration: lambda:InvokeFunction on the sweep function and its versions and aliases (<arn>:*), no other function.',
    });
  }
}
