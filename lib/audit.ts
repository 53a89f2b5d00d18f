/**
 * The audit record contract: the record's fields, the log message, the named builders every decision goes
 * through (guardrail, sweep, CLI alike) and the audit sinks' interface; the outcomes are lib/outcomes.ts'
 * table. Dependency-free (no Powertools, no SDK): infra/ may import it. The auditor that logs, counts and
 * hands records to the sinks is lib/auditor.ts. See docs/architecture.md, "Outcomes" and "Audit".
 */
import { AwsCallError, callTimeoutOf, errorCodeOf } from './errors.ts';
import type { EventContext } from './events.ts';
import type { Outcome } from './outcomes.ts';
import type { MutabilitySetting, RepositoryFacts, TemplateFacts } from './policy.ts';

export {
  ACCOUNT_DIMENSION,
  ACCOUNT_OUTCOMES,
  AUDIT_PUBLISH_FAILURES_METRIC,
  DECISION_OUTCOMES,
  type DecisionCounts,
  decisionCounts,
  emptyCounts,
  NON_COMPLIANT_METRIC,
  OUTCOME_METRICS,
  OUTCOMES,
  type Outcome,
  type OutcomeCounts,
} from './outcomes.ts';

export type Trigger = 'event' | 'sweep' | 'backfill';

/** A repository's setting as written in audit records. */
export interface AuditSetting {
  readonly imageTagMutability: string;
  readonly exclusionFilters: readonly string[];
}

/** One audit record (docs/architecture.md, "Audit"). Build it with the builders below, not by hand. */
export interface AuditRecord {
  readonly outcome: Outcome;
  readonly repositoryName: string | undefined;
  readonly repositoryArn: string | undefined;
  readonly registryId: string | undefined;
  readonly region: string | undefined;
  /** The account the record is about; set by the organisation runner (lib/org-sweep.ts) on every record. */
  readonly accountId?: string | undefined;
  readonly before: AuditSetting | undefined;
  readonly after: AuditSetting | undefined;
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  readonly reason: string;
  readonly eventId?: string | undefined;
  readonly eventName?: string | undefined;
  readonly actor?: string | undefined;
  readonly sourceIp?: string | undefined;
  readonly errorCode?: string | undefined;
  /** The image tag a `blocked-overwrite` push tried to move. */
  readonly imageTag?: string | undefined;
  /** Set when the record is about a repository creation template rather than a repository. */
  readonly templatePrefix?: string | undefined;
}

/** The log message of every audit line: filter on it in CloudWatch Logs Insights. */
export const AUDIT_MESSAGE = 'ecr-guard audit';

export function toAuditSetting(setting: MutabilitySetting | undefined): AuditSetting | undefined {
  if (setting === undefined) return undefined;
  return { imageTagMutability: setting.mutability, exclusionFilters: [...setting.exclusionFilters].sort() };
}

/** What a sink did: records (or findings) carried through, those it could not, and its own counts. */
export interface SinkResult {
  readonly published: number;
  readonly failed: number;
  readonly details?: Readonly<Record<string, number>>;
}

/**
 * An audit sink: where the auditor (lib/auditor.ts) sends records besides the log line and the metrics:
 * EventBridge audit events (lib/audit-events.ts), Security Hub findings (lib/securityhub-sink.ts), listed
 * from settings (lib/audit-sinks.ts). It never throws: what it could not do it reports as `failed`, counted
 * under its `failureMetric`, and enforcement goes on (docs/architecture.md, "Audit").
 */
export interface AuditPublisher {
  /** Its name in summaries (`sinks.<name>`); default `auditEvents`. */
  readonly name?: string;
  /** The metric its failures are counted under; default `AuditPublishFailures`. */
  readonly failureMetric?: string;
  /** The records it takes; default: the outcomes published as audit events (lib/outcomes.ts). */
  accepts?(record: AuditRecord): boolean;
  /** Takes records in batches as they are made. */
  publish(records: readonly AuditRecord[]): Promise<SinkResult>;
  /**
   * Once per flush, after the last batch: what a sink does with the invocation's records as a whole.
   * `complete`: they cover every repository of their account-region, so it may read that one whole.
   */
  settle?(scope: { readonly complete?: boolean | undefined }): Promise<SinkResult>;
  /** Milliseconds its settle would need for what it holds, so a sweep stops early enough to leave them. */
  settleMs?(): number;
}

/** Who decided, and how: the fields every record of one invocation shares. */
export interface RecordScope {
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  readonly region: string | undefined;
}

function eventFields(context: Partial<EventContext> | undefined) {
  if (context === undefined) return {};
  return {
    eventId: context.eventId,
    eventName: context.eventName,
    actor: context.actor,
    sourceIp: context.sourceIp,
  };
}

/** A repository that was looked at and decided: compliant, exempt, remediated or would-remediate. */
export function repositoryRecord(
  facts: Pick<RepositoryFacts, 'repositoryName' | 'repositoryArn' | 'registryId' | 'setting'>,
  outcome: Outcome,
  reason: string,
  scope: RecordScope,
  extra: {
    readonly after?: MutabilitySetting | undefined;
    readonly context?: EventContext | undefined;
  } = {},
): AuditRecord {
  return {
    outcome,
    repositoryName: facts.repositoryName,
    repositoryArn: facts.repositoryArn,
    registryId: facts.registryId,
    region: scope.region,
    before: toAuditSetting(facts.setting),
    after: toAuditSetting(extra.after ?? facts.setting),
    trigger: scope.trigger,
    dryRun: scope.dryRun,
    reason,
    ...eventFields(extra.context),
  };
}

/** A repository that no longer exists (deleted before we got to it). */
export function goneRecord(
  ref: { readonly repositoryName: string; readonly registryId: string | undefined },
  reason: string,
  scope: RecordScope,
  context?: EventContext,
): AuditRecord {
  return {
    outcome: 'gone',
    repositoryName: ref.repositoryName,
    repositoryArn: undefined,
    registryId: ref.registryId,
    region: scope.region,
    before: undefined,
    after: undefined,
    trigger: scope.trigger,
    dryRun: scope.dryRun,
    reason,
    ...eventFields(context),
  };
}

/** A repository we could not act on: the reason names the failed operation, `errorCode` the AWS code. */
export function failedRecord(
  facts: Pick<RepositoryFacts, 'repositoryName'> &
    Partial<Pick<RepositoryFacts, 'repositoryArn' | 'setting'>> & { readonly registryId: string | undefined },
  error: unknown,
  scope: RecordScope,
  context?: EventContext,
): AuditRecord {
  const errorCode = errorCodeOf(error);
  // The ECR operation that failed on the repository; a failure to reach the account is named by its code.
  const operation = error instanceof AwsCallError && error.service === 'ecr' ? `${error.operation} ` : '';
  // A call that got no answer says which endpoint and which limit: what to fix.
  const timeout = callTimeoutOf(error);
  return {
    outcome: 'failed',
    repositoryName: facts.repositoryName,
    repositoryArn: facts.repositoryArn,
    registryId: facts.registryId,
    region: scope.region,
    before: toAuditSetting(facts.setting),
    after: toAuditSetting(facts.setting),
    trigger: scope.trigger,
    dryRun: scope.dryRun,
    reason: `${operation}failed with ${errorCode}${timeout === undefined ? '' : `: ${timeout.message}`}`,
    errorCode,
    ...eventFields(context),
  };
}

/**
 * An event the guardrail does not act on (not a handled shape, or another deployment's registry).
 * It names a repository only when the event did and we trust it enough to say so.
 */
export function ignoredRecord(
  subject: {
    readonly repositoryName?: string | undefined;
    readonly registryId: string | undefined;
    readonly region: string | undefined;
  },
  reason: string,
  scope: Pick<RecordScope, 'dryRun'>,
  context: Partial<EventContext>,
): AuditRecord {
  return {
    outcome: 'ignored',
    repositoryName: subject.repositoryName,
    repositoryArn: undefined,
    registryId: subject.registryId,
    region: subject.region,
    before: undefined,
    after: undefined,
    trigger: 'event',
    dryRun: scope.dryRun,
    reason,
    ...eventFields(context),
  };
}

/** A repository creation template that was decided (any outcome); `errorCode` only for `failed`. */
export function templateRecord(
  template: TemplateFacts,
  outcome: Outcome,
  reason: string,
  scope: RecordScope,
  extra: { readonly after?: MutabilitySetting | undefined; readonly errorCode?: string | undefined } = {},
): AuditRecord {
  return {
    outcome,
    repositoryName: undefined,
    repositoryArn: undefined,
    registryId: template.registryId,
    region: scope.region,
    before: toAuditSetting(template.setting),
    after: toAuditSetting(extra.after ?? template.setting),
    trigger: scope.trigger,
    dryRun: scope.dryRun,
    reason,
    templatePrefix: template.prefix,
    ...(extra.errorCode !== undefined ? { errorCode: extra.errorCode } : {}),
  };
}

/** A repository creation template we could not set (UpdateRepositoryCreationTemplate failed). */
export function templateFailedRecord(
  template: TemplateFacts,
  error: unknown,
  scope: RecordScope,
): AuditRecord {
  const errorCode = errorCodeOf(error);
  return templateRecord(
    template,
    'failed',
    `UpdateRepositoryCreationTemplate failed with ${errorCode}`,
    scope,
    {
      errorCode,
    },
  );
}

/** The registry's creation templates could not be listed: one `failed` record for all of them (prefix `*`). */
export function templatesUnlistedRecord(
  registryId: string | undefined,
  error: unknown,
  scope: RecordScope,
): AuditRecord {
  const errorCode = errorCodeOf(error);
  return {
    outcome: 'failed',
    repositoryName: undefined,
    repositoryArn: undefined,
    registryId,
    region: scope.region,
    before: undefined,
    after: undefined,
    trigger: scope.trigger,
    dryRun: scope.dryRun,
    reason: `DescribeRepositoryCreationTemplates failed with ${errorCode}`,
    templatePrefix: '*',
    errorCode,
  };
}

/**
 * A push ECR refused because the tag is immutable (a CloudTrail `PutImage` failed with
 * `ImageTagAlreadyExistsException`): the guard working, recorded without any ECR call.
 */
export function blockedOverwriteRecord(
  overwrite: {
    readonly registryId: string;
    readonly region: string;
    readonly repositoryName: string;
    readonly imageTag: string | undefined;
    readonly errorCode: string;
  },
  scope: Pick<RecordScope, 'trigger' | 'dryRun'>,
  context: EventContext,
): AuditRecord {
  const tag = overwrite.imageTag === undefined ? 'a tag' : `tag '${overwrite.imageTag}'`;
  return {
    outcome: 'blocked-overwrite',
    repositoryName: overwrite.repositoryName,
    repositoryArn: undefined,
    registryId: overwrite.registryId,
    region: overwrite.region,
    before: undefined,
    after: undefined,
    trigger: scope.trigger,
    dryRun: scope.dryRun,
    reason: `push to ${tag} refused with ${overwrite.errorCode}: the tag is immutable`,
    ...eventFields(context),
    errorCode: overwrite.errorCode,
    imageTag: overwrite.imageTag,
  };
}

/** An exemption tag `ecr-guard plan --stage-exemptions` wrote; the setting itself is unchanged. */
export function exemptionStagedRecord(
  facts: Pick<RepositoryFacts, 'repositoryName' | 'repositoryArn' | 'registryId' | 'setting'>,
  reason: string,
  scope: RecordScope,
): AuditRecord {
  return repositoryRecord(facts, 'exemption-staged', reason, scope);
}

/**
 * A repository `ecr-guard plan --stage-exemptions` set within the allowed exclusions instead of exempting
 * it: `remediated` (it is compliant now), `after` as ECR answered the write, the tags kept mutable in the
 * reason. The write never leaves a tag mutable that `before` kept immutable (docs/architecture.md, "Strictness").
 */
export function exclusionSetRecord(
  facts: Pick<RepositoryFacts, 'repositoryName' | 'repositoryArn' | 'registryId' | 'setting'>,
  after: MutabilitySetting,
  reason: string,
  scope: RecordScope,
): AuditRecord {
  return repositoryRecord(facts, 'remediated', reason, scope, { after });
}
