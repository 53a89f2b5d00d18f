/**
 * The properties the single-account construct (`EcrImmutabilityGuard`) and the organisation's central one
 * (`EcrImmutabilityGuardOrg`) share; each extends them with its own. A prop that is a setting of
 * lib/settings.ts opens its TSDoc with the setting's description and states its default
 * (test/infra/construct-docs.test.ts); the functions' environment is derived from the same rows
 * (infra/function-environment.ts).
 */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { GuardFunctionProps, GuardLogLevel } from './functions.ts';
import type { TargetMutability } from './guardrail-event-pattern.ts';

/** The Lambda code of the guardrail and the sweep, when not taken from the bundle directory. */
export interface GuardCode {
  /** The guardrail's code (`dist/guardrail`). */
  readonly guardrail: lambda.Code;
  /** The sweep's code (`dist/sweep`). */
  readonly sweep: lambda.Code;
}

/** Properties both constructs take. Every property is optional. */
export interface EcrImmutabilityGuardBaseProps {
  /**
   * Directory holding the bundles built by `npm run build` (`guardrail/index.mjs`, `sweep/index.mjs`,
   * `scope/index.mjs`).
   * @default the package's `dist/` folder
   */
  readonly bundleDir?: string;

  /** The setting to enforce: `IMMUTABLE` or `IMMUTABLE_WITH_EXCLUSION`. @default 'IMMUTABLE' */
  readonly targetMutability?: TargetMutability;
  /**
   * With `IMMUTABLE_WITH_EXCLUSION`: 1–5 wildcard tag filters (`latest,dev-*`) a repository may leave
   * mutable. A remediation (only of a setting not at least as strict: `IMMUTABLE` is left alone) leaves
   * mutable only the tags that were mutable before and match one (`IMMUTABLE` when none is left). A filter of
   * only `*` (every tag) is refused.
   * @default none (required with `IMMUTABLE_WITH_EXCLUSION`)
   */
  readonly exclusionFilters?: readonly string[];
  /**
   * A repository at `IMMUTABLE_WITH_EXCLUSION` whose filters are each covered by one in this list or in the
   * target (`pr-12` or `pr-1*` by `pr-*`) is compliant, and one that is not keeps what its filters share with
   * them when remediated. `MUTABLE` and `MUTABLE_WITH_EXCLUSION` never are (`ecr-guard plan` may set them
   * within these). A filter of only `*` is refused.
   * @default none allowed beyond the target
   */
  readonly allowedExclusions?: readonly string[];
  /**
   * Decide and record (`would-remediate`), change nothing (the CLI exits 3 when something would change). A
   * sweep payload can add dry-run, never remove it.
   * @default false
   */
  readonly dryRun?: boolean;
  /** Repository name globs left alone (`sandbox/**`, `*\/tmp`, `legacy-?`). @default none */
  readonly exemptRepositories?: readonly string[];
  /**
   * A repository tagged with this key is exempt; the tag’s value is the reason and must not be empty. Grants
   * `ecr:ListTagsForResource`.
   * @default tag exemptions off
   */
  readonly exemptTagKey?: string;
  /**
   * Optional tag holding an ISO date-time, or a date (`2026-12-31`, its first instant: 00:00 UTC), after
   * which the exemption lapses (reported, not honoured); a value that is not one, or a day that does not exist (`2099-02-30`), is not
   * honoured either; needs the tag key ({@link exemptTagKey}).
   * @default exemptions do not lapse
   */
  readonly exemptExpiryTagKey?: string;
  /**
   * Name or ARN of an event bus for audit events (CDK: `auditEventBus`); the CLI publishes there with the
   * caller’s credentials in its first region. Bring your own bus: it receives an audit event per finding and
   * the functions get `events:PutEvents` on it.
   * @default no audit events
   */
  readonly auditEventBus?: events.IEventBus;
  /**
   * Keep Security Hub’s ECR.2 findings in step with the decisions: an exempt repository’s finding
   * `SUPPRESSED` with the rule, reason and expiry, one compliant under the policy that the control fails
   * `SUPPRESSED` naming the policy, a remediation noted, the guard’s own suppression lifted when the exemption
   * goes (a person’s never touched). Failures are counted (`SecurityHubSyncFailures`) and never block
   * enforcement. Grants the guardrail and the sweep
   * `securityhub:GetFindings` and `securityhub:BatchUpdateFindings` (the latter only for the workflow statuses
   * the guard sets) on the hub of {@link securityHubRegion}, and alarms on the sync's failures.
   * @default false
   */
  readonly syncSecurityHub?: boolean;
  /**
   * With `syncSecurityHub`: the Region findings are synced in, Security Hub’s aggregation Region (there the
   * administrator account sees and updates its members’ findings of every linked Region).
   * @default each account-region’s own
   */
  readonly securityHubRegion?: string;
  /** Also log `compliant` repositories (otherwise they are only counted). @default false */
  readonly verboseAudit?: boolean;
  /**
   * A full sweep first checks every repository creation template and sets non-compliant ones (not in
   * dry-run), so repositories ECR creates itself are born compliant. Grants the sweep
   * `ecr:DescribeRepositoryCreationTemplates` and `ecr:UpdateRepositoryCreationTemplate`.
   * @default false
   */
  readonly checkCreationTemplates?: boolean;

  /** Service name in logs, `service` metric dimension. @default 'ecr-immutability-guard' */
  readonly serviceName?: string;
  /** CloudWatch namespace of the outcome metrics. @default 'EcrImmutabilityGuard' */
  readonly metricsNamespace?: string;
  /**
   * Log level (the CDK construct accepts TRACE to ERROR, which Lambda’s log controls share): Powertools' and
   * Lambda's advanced logging controls'.
   * @default 'INFO'
   */
  readonly logLevel?: GuardLogLevel;
  /** Retention of the log groups (they hold the audit records), the state machine's too. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups (the audit records) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * Overrides of the guardrail function's properties, merged over the defaults (AWS Solutions
   * Constructs' `lambdaFunctionProps`): e.g. `vpc`, `layers`, `environment` (merged; the guard's own
   * variables win). `code`, `handler`, `runtime` and `logGroup` cannot be overridden.
   * @default the guard's defaults
   */
  readonly guardrailFunctionProps?: GuardFunctionProps;
  /** Overrides of the sweep function's properties, as {@link guardrailFunctionProps}. @default the guard's defaults */
  readonly sweepFunctionProps?: GuardFunctionProps;
  /** X-Ray active tracing on both functions (grants the X-Ray write actions). @default false */
  readonly activeTracing?: boolean;

  /** Guardrail timeout: one describe and at most one write per event. @default Duration.seconds(30) */
  readonly guardrailTimeout?: Duration;
  /** Memory of the guardrail function, in MB. @default 256 */
  readonly guardrailMemorySize?: number;
  /**
   * Reserved concurrency of the guardrail; unset by default (new accounts, limited to 10, cannot reserve
   * any). Set it where other workloads could starve the guardrail or to cap its ECR call rate: Lambda keeps
   * 10 unreserved, so in a new account the deployment would fail. `false` reserves none.
   * @default unset (no reservation)
   */
  readonly guardrailReservedConcurrency?: number | false;
  /** Sweep timeout per page; the sweep stops before it and returns a nextToken. @default Duration.minutes(15) */
  readonly sweepTimeout?: Duration;
  /** Memory of the sweep function, in MB. @default 512 */
  readonly sweepMemorySize?: number;
  /** Repositories decided in parallel by the sweep (1–64; backs off under throttling). @default 4 */
  readonly sweepConcurrency?: number;
  /**
   * The sweep stops starting work when less time than this is left (ms): how long before its deadline a
   * sweep page stops.
   * @default Duration.seconds(30)
   */
  readonly sweepSafetyMargin?: Duration;
  /** Schedule of the sweep, or `off` (backfills still work): `false` for none. @default rate(1 day) */
  readonly schedule?: events.Schedule | false;
  /**
   * Upper bound of one sweep execution, all pages (and, in an organisation, all account-regions) included.
   * @default Duration.hours(6), 24 hours in the organisation construct
   */
  readonly sweepExecutionTimeout?: Duration;

  /**
   * Bring your own dead-letter queue: the guardrail's on-failure destination and both rules' DLQ.
   * @default a new SQS-encrypted, TLS-only queue keeping messages 14 days
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Create the CloudWatch alarms; without `alarmEmail` or an alarm topic they notify nobody and synthesis
   * warns (README, "Monitoring").
   * @default true
   */
  readonly createAlarms?: boolean;
  /**
   * Hours within which a sweep must have succeeded before the heartbeat alarm fires (a cron schedule counts
   * as daily).
   * @default schedule rate + execution timeout ({@link sweepExecutionTimeout})
   */
  readonly sweepHeartbeatHours?: number;
  /**
   * Bring your own topic for the alarms. Without a topic or an email the alarms notify nobody, and
   * synthesis warns.
   * @default a new encrypted topic when {@link alarmEmail} is set, else no actions
   */
  readonly alarmTopic?: sns.ITopic;
  /** Email address subscribed to the alarm topic. @default no subscription */
  readonly alarmEmail?: string;
  /** Create a CloudWatch dashboard of the outcomes. @default true */
  readonly dashboard?: boolean;

  /**
   * The role assumed in each member account (`arn:<partition>:iam::<account>:role/<name>`); it needs the ECR
   * actions the guard uses.
   * @default 'EcrImmutabilityGuardMember'
   */
  readonly memberRoleName?: string;
  /** External id passed to AssumeRole when the member roles’ trust policy requires one. @default none */
  readonly memberExternalId?: string;
  /**
   * With organisation mode: only the accounts under these OUs or roots (`ou-ab12-cdef3456`, `r-ab12`),
   * walked recursively.
   * @default the whole organisation
   */
  readonly organizationalUnits?: readonly string[];
  /**
   * Accounts to cover: an explicit list without organisation mode, a restriction of the organisation’s
   * accounts with it.
   * @default none (the deployment's own account, or the whole organisation)
   */
  readonly scopeAccounts?: readonly string[];
  /** Accounts never acted on (listed as skipped by the sweep, ignored by the guardrail). @default none */
  readonly excludedAccounts?: readonly string[];
  /**
   * With organisation mode: sweep the management account too, through the member role deployed there by hand
   * (service-managed StackSets never deploy to it). Off, it is listed as skipped with that reason, unless the
   * caller is the management account itself.
   * @default false
   */
  readonly includeManagementAccount?: boolean;
  /**
   * Regions of the organisation sweep, and the regions the guardrail accepts member events from (the CLI
   * takes `--region`).
   * @default the stack's Region (in the organisation construct, the member StackSet's Regions)
   */
  readonly scopeRegions?: readonly string[];
  /**
   * Account-regions swept at once in organisation mode (1–64; each keeps its own adaptive concurrency, ECR’s
   * quotas are per account and region).
   * @default 4
   */
  readonly accountRegionParallelism?: number;
}
