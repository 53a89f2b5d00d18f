/**
 * The parts both deployments share (docs/architecture.md, "Module map"): the single-account
 * `EcrImmutabilityGuard` (infra/ecr-immutability-guard.ts) and the organisation's central
 * `EcrImmutabilityGuardOrg` (infra/org-guard.ts) build their functions, dead-letter queue, guardrail
 * rule, schedule, alarms and dashboard through these functions, under the same construct IDs, so
 * the two cannot drift apart and the single-account template stays as it was.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { AUDIT_EVENT_ACTIONS, type EcrFeatures } from '../lib/iam-actions.ts';
import type { SettingValues } from '../lib/settings.ts';
import type { EcrImmutabilityGuardProps } from './ecr-immutability-guard.ts';
import { defaultBusRuleArn, eventsRoleFor } from './events-roles.ts';
import {
  createGuardFunction,
  FUNCTION_DEFAULTS,
  type GuardFunction,
  type GuardLogLevel,
  grantAuditEvents,
  grantEcrAccess,
} from './functions.ts';
import { guardrailEventPattern } from './guardrail-event-pattern.ts';
import {
  createAlarms,
  createAlarmTopic,
  createDashboard,
  type GuardAlarms,
  heartbeatWindow,
  warnWithoutAlarmActions,
} from './monitoring.ts';
import { validateGuardProps } from './props-validation.ts';

export const DEFAULT_SERVICE_NAME = 'ecr-immutability-guard';
export const DEFAULT_METRICS_NAMESPACE = 'EcrImmutabilityGuard';
/**
 * The bundles `npm run build` writes to `dist/`: beside `infra/` in this repository, and one level
 * up from the library (`dist/lib-js/index.js`, built by `npm run build:lib`) in the npm package.
 */
export const DEFAULT_BUNDLE_DIR = import.meta.filename.endsWith('.ts')
  ? resolve(import.meta.dirname, '..', 'dist')
  : resolve(import.meta.dirname, '..');

/** The Lambda code of one bundle of `bundleDir`. @throws Error when `npm run build` has not made it. */
export function bundleCode(bundleDir: string | undefined, name: string): lambda.Code {
  const dir = join(bundleDir ?? DEFAULT_BUNDLE_DIR, name);
  if (!existsSync(join(dir, 'index.mjs'))) {
    throw new Error(`Lambda bundle ${join(dir, 'index.mjs')} not found: run \`npm run build\` first`);
  }
  return lambda.Code.fromAsset(dir);
}

function joinList(values: readonly string[] | undefined): string | undefined {
  return values === undefined || values.length === 0 ? undefined : values.join(',');
}

/** Drops the unset entries: optional variables are set only when their property is given. */
export function definedEntries(entries: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) out[key] = value;
  return out;
}

/** The props with their defaults applied, validated once (lib/settings.ts). */
export interface GuardSettings {
  readonly values: SettingValues;
  readonly logLevel: GuardLogLevel;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  /** The policy configuration every function reads (lib/config.ts), set only when given. */
  readonly policyEnvironment: Record<string, string>;
  readonly guardrailFeatures: EcrFeatures;
  readonly sweepFeatures: EcrFeatures;
  readonly activeTracing: boolean;
  readonly sweepTimeout: Duration;
}

/** @throws Error naming the first bad prop (lib/settings.ts schemas). */
export function resolveGuardSettings(props: EcrImmutabilityGuardProps): GuardSettings {
  const target = props.targetMutability ?? 'IMMUTABLE';
  const logLevel = props.logLevel ?? 'INFO';
  const serviceName = props.serviceName ?? DEFAULT_SERVICE_NAME;
  const metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
  const values = validateGuardProps(props);
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
    POWERTOOLS_SERVICE_NAME: serviceName,
    POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
    POWERTOOLS_LOG_LEVEL: logLevel,
    NODE_OPTIONS: '--enable-source-maps',
  });
  // Only the sweep checks creation templates; the guardrail never gets those actions.
  const guardrailFeatures = { tagExemptions: props.exemptTagKey !== undefined, creationTemplates: false };
  return {
    values,
    logLevel,
    logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    logRemovalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    serviceName,
    metricsNamespace,
    policyEnvironment,
    guardrailFeatures,
    sweepFeatures: { ...guardrailFeatures, creationTemplates: props.checkCreationTemplates === true },
    activeTracing: props.activeTracing === true,
    sweepTimeout: props.sweepTimeout ?? FUNCTION_DEFAULTS.sweepTimeout,
  };
}

/**
 * The dead-letter queue: the guardrail's on-failure destination after its retries, and the DLQ of
 * the EventBridge targets (guardrail rule, sweep schedule) when they cannot deliver at all.
 */
export function createDeadLetterQueue(scope: Construct): sqs.Queue {
  const queue = new sqs.Queue(scope, 'DeadLetterQueue', {
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

/** The guardrail function, with 2 async retries, a 1-hour event age and the dead-letter queue. */
export function createGuardrailFunction(
  scope: Construct,
  props: EcrImmutabilityGuardProps,
  settings: GuardSettings,
  code: lambda.Code,
  deadLetterQueue: sqs.IQueue,
): GuardFunction {
  const guardrail = createGuardFunction(scope, 'Guardrail', {
    code,
    description: 'Sets ECR repositories to immutable tags when CloudTrail reports a creation or a change.',
    timeout: props.guardrailTimeout ?? FUNCTION_DEFAULTS.guardrailTimeout,
    memorySize: props.guardrailMemorySize ?? FUNCTION_DEFAULTS.guardrailMemorySize,
    reservedConcurrency:
      props.guardrailReservedConcurrency === false ? undefined : props.guardrailReservedConcurrency,
    environment: settings.policyEnvironment,
    logRetention: settings.logRetention,
    logRemovalPolicy: settings.logRemovalPolicy,
    logLevel: settings.logLevel,
    activeTracing: settings.activeTracing,
    overrides: props.guardrailFunctionProps,
    overridesName: 'guardrailFunctionProps',
  });
  guardrail.fn.configureAsyncInvoke({
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    onFailure: new destinations.SqsDestination(deadLetterQueue),
  });
  return guardrail;
}

/** The sweep function: one page of one account-region per invocation. */
export function createSweepFunction(
  scope: Construct,
  props: EcrImmutabilityGuardProps,
  settings: GuardSettings,
  code: lambda.Code,
): GuardFunction {
  return createGuardFunction(scope, 'Sweep', {
    code,
    description: 'Sweeps every ECR repository page by page and sets non-compliant ones to immutable tags.',
    timeout: settings.sweepTimeout,
    memorySize: props.sweepMemorySize ?? FUNCTION_DEFAULTS.sweepMemorySize,
    environment: {
      ...settings.policyEnvironment,
      ...definedEntries({
        SWEEP_CONCURRENCY: props.sweepConcurrency === undefined ? undefined : String(props.sweepConcurrency),
        SWEEP_SAFETY_MARGIN_MS:
          props.sweepSafetyMargin === undefined
            ? undefined
            : String(props.sweepSafetyMargin.toMilliseconds()),
      }),
    },
    logRetention: settings.logRetention,
    logRemovalPolicy: settings.logRemovalPolicy,
    logLevel: settings.logLevel,
    activeTracing: settings.activeTracing,
    overrides: props.sweepFunctionProps,
    overridesName: 'sweepFunctionProps',
  });
}

/**
 * The ECR statements of both functions (lib/ecr.ts; on repositories of `repositoryRegion`, the stack's by
 * default) and `events:PutEvents` on the audit bus when set.
 */
export function grantGuardAccess(
  scope: Construct,
  props: EcrImmutabilityGuardProps,
  settings: GuardSettings,
  guardrail: GuardFunction,
  sweep: GuardFunction,
  repositoryRegion?: string,
): void {
  grantEcrAccess(scope, 'Guardrail', guardrail, settings.guardrailFeatures, repositoryRegion);
  grantEcrAccess(scope, 'Sweep', sweep, settings.sweepFeatures, repositoryRegion);
  if (props.auditEventBus !== undefined) {
    for (const fn of [guardrail, sweep])
      grantAuditEvents(fn, props.auditEventBus.eventBusArn, AUDIT_EVENT_ACTIONS);
  }
}

/**
 * The guardrail rule with {@link guardrailEventPattern}: on the default bus (where CloudTrail delivers
 * ECR's events) or on the given bus; 8 retries over at most 2 hours, then the dead-letter queue.
 */
export function createGuardrailRule(
  scope: Construct,
  guardrail: lambda.IFunction,
  deadLetterQueue: sqs.IQueue,
  eventBus?: events.IEventBus,
): events.Rule {
  const rule = new events.Rule(scope, 'GuardrailRule', {
    description: 'Successful ECR CreateRepository / PutImageTagMutability calls that may leave tags mutable.',
    eventPattern: guardrailEventPattern(),
    ...(eventBus === undefined ? {} : { eventBus }),
  });
  rule.addTarget(
    new targets.LambdaFunction(guardrail, {
      deadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    }),
  );
  return rule;
}

/**
 * The sweep's schedule (`rate(1 day)` unless given), or undefined with `schedule: false`. Its name is fixed at
 * synthesis (unique to the construct's path) so its role can trust only it.
 */
export function createScheduleRule(
  scope: Construct,
  schedule: events.Schedule | false,
  stateMachine: sfn.IStateMachine,
  deadLetterQueue: sqs.IQueue,
): events.Rule | undefined {
  if (schedule === false) return undefined;
  const ruleName = `${Names.uniqueResourceName(scope, { maxLength: 48 })}-SweepSchedule`;
  const role = eventsRoleFor(scope, 'SweepScheduleRole', defaultBusRuleArn(scope, ruleName), {
    description: 'ecr-immutability-guard: starts the sweep state machine on its schedule',
  });
  return new events.Rule(scope, 'SweepSchedule', {
    ruleName,
    description: 'Starts the ECR immutability sweep.',
    schedule,
    targets: [
      new targets.SfnStateMachine(stateMachine, {
        role,
        retryAttempts: 4,
        // A start that still fails (throttling, a deleted machine) lands next to the guardrail's failures.
        deadLetterQueue,
      }),
    ],
  });
}

/** The schedule a deployment runs its sweep on: `rate(1 day)` by default. */
export function sweepSchedule(props: EcrImmutabilityGuardProps): events.Schedule | false {
  return props.schedule ?? events.Schedule.rate(Duration.days(1));
}

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
  /** The organisation dashboard rows (infra/monitoring.ts, per-account outcomes). */
  readonly accountOutcomes?: boolean;
  /** The organisation sweep checks the member forwarding rules: alarm on unguarded account-regions. */
  readonly footprint?: boolean;
}

/** The alarm topic, the alarms and the dashboard of infra/monitoring.ts, as the props ask. */
export function createGuardMonitoring(
  scope: Construct,
  props: EcrImmutabilityGuardProps,
  settings: GuardSettings,
  inputs: MonitoringInputs,
): GuardMonitoring {
  const alarmTopic = createAlarmTopic(scope, props);
  const outcome = { namespace: settings.metricsNamespace, serviceName: settings.serviceName };
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
      auditEvents: props.auditEventBus !== undefined,
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

/**
 * CDK's Lambda integration grants `lambda:InvokeFunction` on the function and `<arn>:*` (its
 * versions and aliases) in the state machine role's default policy: acknowledged for that exact
 * resource, so any other wildcard statement there is still reported.
 */
export function acknowledgeInvokeFinding(role: iam.IRole, fn: lambda.Function, what: string): void {
  const cfn = fn.node.defaultChild;
  if (!(cfn instanceof lambda.CfnFunction)) throw new Error(`the ${what} function has no CfnFunction`);
  const logicalId = Stack.of(fn).getLogicalId(cfn);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
    reason: `Granted by CDK for the Lambda integration: lambda:InvokeFunction on the ${what} function and its versions and aliases (<arn>:*), no other function.`,
  });
}
