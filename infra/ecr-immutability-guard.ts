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
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  AUDIT_MESSAGE,
  AUDIT_PUBLISH_FAILURES_METRIC,
  NON_COMPLIANT_METRIC,
  OUTCOME_METRICS,
} from '../lib/audit.ts';
import { AUDIT_EVENT_ACTIONS } from '../lib/audit-events.ts';
import type { LAMBDA_LOG_LEVELS } from '../lib/settings.ts';
import { ecrPolicyStatements } from './ecr-permissions.ts';
import { guardrailEventPattern, type TargetMutability } from './guardrail-event-pattern.ts';
import {
  type GuardOrganizationProps,
  organizationEnvironment,
  organizationPolicyStatements,
} from './org-permissions.ts';
import { validateGuardProps } from './props-validation.ts';
import { SweepWorkflow } from './sweep-workflow.ts';

/** Log levels both Powertools and Lambda's advanced logging controls understand. */
export type GuardLogLevel = (typeof LAMBDA_LOG_LEVELS)[number];

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
  /** Event bus that receives an audit event per finding (`AUDIT_EVENT_BUS_NAME`). @default no audit events */
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

  /** Guardrail timeout: one describe and at most one write per event. @default 30 seconds */
  readonly guardrailTimeout?: Duration;
  /** @default 256 */
  readonly guardrailMemorySize?: number;
  /**
   * Reserved concurrency of the guardrail, so a burst of repository creations cannot take the
   * account's whole concurrency; `false` reserves none (accounts whose limit is 10 cannot reserve).
   * @default 5
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

  /** Topic the alarms notify. @default a new encrypted topic when {@link alarmEmail} is set, else no actions */
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
/** How cdk-nag prints the repository ARN pattern of {@link ecrPolicyStatements} in its finding IDs. */
const NAG_REPOSITORY_ARN_PATTERN = 'arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*';

/** Where each function's bundle lives under the bundle directory, and its handler. */
export const BUNDLES = { guardrail: 'guardrail', sweep: 'sweep' } as const;
export const HANDLER = 'index.handler';

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
  readonly guardrailLogGroup: logs.LogGroup;
  readonly sweepLogGroup: logs.LogGroup;
  readonly deadLetterQueue: sqs.Queue;
  /** Whether the sweep checks repository creation templates (and holds the two registry-level actions). */
  readonly checksCreationTemplates: boolean;
  readonly guardrailRule: events.Rule;
  readonly sweepStateMachine: sfn.StateMachine;
  readonly scheduleRule: events.Rule | undefined;
  readonly alarmTopic: sns.ITopic | undefined;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard | undefined;
  readonly trail: cloudtrail.Trail | undefined;
  readonly remediationsQuery: logs.QueryDefinition;
  readonly serviceName: string;
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: EcrImmutabilityGuardProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
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

    // Dead-letter queue: the guardrail's on-failure destination after its retries, and the DLQ of
    // both EventBridge targets (guardrail rule, sweep schedule) when they cannot deliver at all.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const guardrail = this.createFunction('Guardrail', {
      code: code.guardrail,
      description: 'Sets ECR repositories to immutable tags when CloudTrail reports a creation or a change.',
      timeout: props.guardrailTimeout ?? Duration.seconds(30),
      memorySize: props.guardrailMemorySize ?? 256,
      reservedConcurrency:
        props.guardrailReservedConcurrency === false ? undefined : (props.guardrailReservedConcurrency ?? 5),
      environment: policyEnvironment,
      logRetention,
      logRemovalPolicy,
      logLevel,
    });
    this.guardrailFunction = guardrail.fn;
    this.guardrailLogGroup = guardrail.logGroup;
    guardrail.fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });

    const sweepTimeout = props.sweepTimeout ?? Duration.minutes(15);
    const sweep = this.createFunction('Sweep', {
      code: code.sweep,
      description: 'Sweeps every ECR repository page by page and sets non-compliant ones to immutable tags.',
      timeout: sweepTimeout,
      memorySize: props.sweepMemorySize ?? 512,
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
    });
    this.sweepFunction = sweep.fn;
    this.sweepLogGroup = sweep.logGroup;

    for (const [fn, features] of [
      [guardrail, guardrailFeatures],
      [sweep, sweepFeatures],
    ] as const) {
      for (const statement of ecrPolicyStatements(stack, features)) fn.role.addToPrincipalPolicy(statement);
      for (const statement of organizationPolicyStatements(values)) fn.role.addToPrincipalPolicy(statement);
      for (const [name, value] of Object.entries(organizationEnvironment(values)))
        fn.fn.addEnvironment(name, value);
      if (props.auditEventBus !== undefined) {
        fn.role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'AuditEvents',
            actions: [...AUDIT_EVENT_ACTIONS],
            resources: [props.auditEventBus.eventBusArn],
          }),
        );
      }
    }

    // The guardrail rule on the default bus, where CloudTrail delivers ECR's events.
    this.guardrailRule = new events.Rule(this, 'GuardrailRule', {
      description:
        'Successful ECR CreateRepository / PutImageTagMutability calls that may leave tags mutable.',
      eventPattern: guardrailEventPattern(target),
    });
    this.guardrailRule.addTarget(
      new targets.LambdaFunction(guardrail.fn, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      }),
    );

    const workflow = new SweepWorkflow(this, 'SweepWorkflow', {
      sweepFunction: sweep.fn,
      sweepTimeout,
      executionTimeout: props.sweepExecutionTimeout,
      logRetention,
      logRemovalPolicy,
    });
    this.sweepStateMachine = workflow.stateMachine;

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

    this.remediationsQuery = new logs.QueryDefinition(this, 'RemediationsQuery', {
      queryDefinitionName: `${this.serviceName}/remediations`,
      logGroups: [guardrail.logGroup, sweep.logGroup],
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

    this.alarmTopic = this.createAlarmTopic(props);
    this.createAlarms(props, workflow.stateMachine);
    this.dashboard = props.dashboard === false ? undefined : this.createDashboard(workflow.stateMachine);
    this.trail = props.createTrail === true ? this.createTrail() : undefined;

    this.suppressNagFindings(workflow, guardrail.role, sweep.role);
  }

  private createFunction(
    id: string,
    options: {
      code: lambda.Code;
      description: string;
      timeout: Duration;
      memorySize: number;
      reservedConcurrency?: number | undefined;
      environment: Record<string, string>;
      logRetention: logs.RetentionDays;
      logRemovalPolicy: RemovalPolicy;
      logLevel: GuardLogLevel;
    },
  ): { fn: lambda.Function; role: iam.Role; logGroup: logs.LogGroup } {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: options.logRetention,
      removalPolicy: options.logRemovalPolicy,
    });
    // An explicit role: no AWSLambdaBasicExecutionRole, only its own log group.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ECR immutability ${id.toLowerCase()} function`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const fn = new lambda.Function(this, `${id}Function`, {
      description: options.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: HANDLER,
      code: options.code,
      role,
      timeout: options.timeout,
      memorySize: options.memorySize,
      reservedConcurrentExecutions: options.reservedConcurrency,
      environment: options.environment,
      logGroup,
      // Powertools writes JSON itself; JSON format makes Lambda's own START/REPORT records JSON too
      // (one query language for everything) and lets Lambda drop lines below the level, so both
      // levels are set to the same value (Powertools honours AWS_LAMBDA_LOG_LEVEL first).
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[options.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
    });
    return { fn, role, logGroup };
  }

  private createAlarmTopic(props: EcrImmutabilityGuardProps): sns.ITopic | undefined {
    let topic = props.alarmTopic;
    if (topic === undefined && props.alarmEmail !== undefined) {
      // CloudWatch can publish to an encrypted topic only with a customer managed key it may use.
      const key = new kms.Key(this, 'AlarmTopicKey', {
        description: 'Encrypts the ECR immutability guard alarm topic',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarms',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
      topic = new sns.Topic(this, 'AlarmTopic', {
        displayName: 'ECR immutability guard alarms',
        masterKey: key,
        enforceSSL: true,
      });
      // enforceSSL replaces the topic's default policy, so CloudWatch must be allowed to publish:
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
    }
    if (topic !== undefined && props.alarmEmail !== undefined) {
      topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    return topic;
  }

  private outcomeMetric(metricName: string, statistic: string, period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName,
      dimensionsMap: { service: this.serviceName },
      statistic,
      period,
    });
  }

  private createAlarms(props: EcrImmutabilityGuardProps, stateMachine: sfn.StateMachine): void {
    const fiveMinutes = Duration.minutes(5);
    const anyAtAll = {
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    const definitions: { id: string; description: string; metric: cloudwatch.IMetric }[] = [
      {
        id: 'GuardrailErrorsAlarm',
        description: 'The guardrail function failed (it is retried twice, then dead-lettered).',
        metric: this.guardrailFunction.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      },
      {
        id: 'DeadLetterQueueAlarm',
        description: 'Events the guardrail could not handle are waiting in the dead-letter queue.',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: 'Maximum',
        }),
      },
      {
        id: 'SweepFailedAlarm',
        description: 'A sweep execution failed (invocation error or repositories that ended as failed).',
        metric: stateMachine.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
      },
      {
        id: 'SweepTimedOutAlarm',
        description: 'A sweep execution ran past its execution timeout.',
        metric: stateMachine.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }),
      },
      {
        id: 'FailedRepositoriesAlarm',
        description: 'Repositories ended in the failed outcome (see the audit records).',
        metric: this.outcomeMetric(OUTCOME_METRICS.failed, 'Sum', fiveMinutes),
      },
    ];
    if (props.auditEventBus !== undefined) {
      definitions.push({
        id: 'AuditPublishFailuresAlarm',
        description: 'Audit events could not be published to the audit event bus.',
        metric: this.outcomeMetric(AUDIT_PUBLISH_FAILURES_METRIC, 'Sum', fiveMinutes),
      });
    }
    for (const definition of definitions) {
      const alarm = new cloudwatch.Alarm(this, definition.id, {
        alarmDescription: definition.description,
        metric: definition.metric,
        ...anyAtAll,
      });
      if (this.alarmTopic !== undefined) alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
      this.alarms.push(alarm);
    }
  }

  private createDashboard(stateMachine: sfn.StateMachine): cloudwatch.Dashboard {
    const hour = Duration.hours(1);
    const outcomeMetrics = Object.values(OUTCOME_METRICS).map((name) =>
      this.outcomeMetric(name, 'Sum', hour),
    );
    return new cloudwatch.Dashboard(this, 'Dashboard', {
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
            metrics: [this.outcomeMetric(NON_COMPLIANT_METRIC, 'Maximum', Duration.days(1))],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Guardrail',
            left: [
              this.guardrailFunction.metricInvocations({ period: hour }),
              this.guardrailFunction.metricErrors({ period: hour }),
              this.guardrailFunction.metricThrottles({ period: hour }),
            ],
            right: [this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: hour })],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Sweep executions',
            left: [
              stateMachine.metricSucceeded({ period: hour }),
              stateMachine.metricFailed({ period: hour }),
              stateMachine.metricTimedOut({ period: hour }),
            ],
            right: [this.outcomeMetric(AUDIT_PUBLISH_FAILURES_METRIC, 'Sum', hour)],
            width: 12,
          }),
        ],
      ],
    });
  }

  private createTrail(): cloudtrail.Trail {
    const accessLogs = new s3.Bucket(this, 'TrailAccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the server access logs of the trail bucket; logging it to itself would loop.',
    });
    const bucket = new s3.Bucket(this, 'TrailBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'trail-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    return new cloudtrail.Trail(this, 'Trail', {
      bucket,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
      // CreateRepository and PutImageTagMutability are write management events.
      managementEvents: cloudtrail.ReadWriteType.WRITE_ONLY,
    });
  }

  /** Each finding the checks raise on what this construct creates, acknowledged on that resource with its reason. */
  private suppressNagFindings(workflow: SweepWorkflow, ...functionRoles: iam.Role[]): void {
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue (Lambda on-failure destination and EventBridge target DLQ); its messages are alarmed on, not redriven.',
    });
    for (const role of functionRoles) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${NAG_REPOSITORY_ARN_PATTERN}]`,
        reason:
          'ECR access is on repository/* of this account and Region only: the guardrail and the sweep must reach every repository, including ones created after deployment. The actions are exactly requiredEcrActions() from lib/ecr.ts.',
      });
    }
    if (this.checksCreationTemplates) {
      const sweepRole = functionRoles.at(-1);
      if (sweepRole !== undefined) {
        Validations.of(sweepRole).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'ecr:DescribeRepositoryCreationTemplates and ecr:UpdateRepositoryCreationTemplate have no resource type in the IAM service authorization reference, so they can only be granted on *; only the sweep gets them, only with checkCreationTemplates.',
        });
      }
    }
    const stateMachineRole = workflow.stateMachine.role;
    const cfnSweep = this.sweepFunction.node.defaultChild;
    if (!(cfnSweep instanceof lambda.CfnFunction)) throw new Error('the sweep function has no CfnFunction');
    const sweepLogicalId = Stack.of(this).getLogicalId(cfnSweep);
    Validations.of(stateMachineRole).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${sweepLogicalId}.Arn>:*]`,
        reason:
          'Granted by CDK for the Lambda integration: lambda:InvokeFunction on the sweep function and its versions and aliases (<arn>:*), no other function.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) do not support resource-level permissions: IAM accepts only "*".',
      },
    );
  }
}
