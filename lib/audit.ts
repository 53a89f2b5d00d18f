/**
 * The audit record contract: outcomes, the record's fields, the metric and log names, and the named
 * builders every decision goes through (guardrail, sweep, CLI alike). Dependency-free (no Powertools,
 * no SDK): this is what infra/ may import. The Powertools-based auditor that logs and counts records is
 * lib/auditor.ts. See docs/architecture.md, "Outcomes" and "Audit".
 */
import { AwsCallError, callTimeoutOf, errorCodeOf } from './errors.ts';
import type { EventContext } from './events.ts';
import type { MutabilitySetting, RepositoryFacts, TemplateFacts } from './policy.ts';

/** Every way a repository decision can end: what a sweep counts and an organisation sweep sums. */
export const DECISION_OUTCOMES = [
  'compliant',
  'remediated',
  'would-remediate',
  'exempt',
  'gone',
  'failed',
] as const;

/** Every way a repository decision (or an event) can end. */
export const OUTCOMES = [
  ...DECISION_OUTCOMES,
  'ignored',
  // Records that are no repository decision: a staged exemption (`ecr-guard plan`), a refused tag overwrite.
  'exemption-staged',
  'blocked-overwrite',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcome counts as returned by the handlers. */
export type OutcomeCounts = Record<Outcome, number>;

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

/** Metric name per outcome (namespace and `service` dimension come from Powertools configuration). */
export const OUTCOME_METRICS = {
  compliant: 'Compliant',
  remediated: 'Remediated',
  'would-remediate': 'WouldRemediate',
  exempt: 'Exempt',
  gone: 'Gone',
  failed: 'Failed',
  ignored: 'Ignored',
  'exemption-staged': 'ExemptionsStaged',
  'blocked-overwrite': 'OverwritesBlocked',
} as const satisfies Record<Outcome, string>;

/**
 * The dimension naming the member account in the per-account outcome metrics: an invocation acting on
 * another account adds the counts of {@link ACCOUNT_OUTCOMES} once more under `{service, AccountId}`
 * (docs/architecture.md, "Metrics").
 */
export const ACCOUNT_DIMENSION = 'AccountId';

/**
 * The outcomes counted per member account, and only these (no region dimension): at most
 * accounts × 5 metrics, whatever the number of regions or repositories (docs/architecture.md, "Metrics").
 */
export const ACCOUNT_OUTCOMES = [
  'compliant',
  'remediated',
  'exempt',
  'gone',
  'failed',
] as const satisfies readonly Outcome[];

export const NON_COMPLIANT_METRIC = 'NonCompliantRepositories';
export const INVALID_EVENTS_METRIC = 'InvalidEvents';
export const AUDIT_PUBLISH_FAILURES_METRIC = 'AuditPublishFailures';

/** The log message of every audit line: filter on it in CloudWatch Logs Insights. */
export const AUDIT_MESSAGE = 'ecr-guard audit';

/** The counts of repository decisions only: what a sweep reports (no events, no notices). */
export type DecisionCounts = Omit<OutcomeCounts, 'ignored' | 'exemption-staged' | 'blocked-overwrite'>;

export function decisionCounts(counts: Readonly<OutcomeCounts>): DecisionCounts {
  const { ignored: _i, 'exemption-staged': _s, 'blocked-overwrite': _b, ...decisions } = counts;
  return decisions;
}

export function emptyCounts(): OutcomeCounts {
  const counts = {
    compliant: 0,
    remediated: 0,
    'would-remediate': 0,
    exempt: 0,
    gone: 0,
    failed: 0,
    ignored: 0,
  };
  return { ...counts, 'exemption-staged': 0, 'blocked-overwrite': 0 };
}

export function toAuditSetting(setting: MutabilitySetting | undefined): AuditSetting | undefined {
  if (setting === undefined) return undefined;
  return { imageTagMutability: setting.mutability, exclusionFilters: [...setting.exclusionFilters].sort() };
}

/** Publishes audit records elsewhere (EventBridge); never throws, reports how many it could not publish. */
export interface AuditPublisher {
  publish(records: readonly AuditRecord[]): Promise<{ published: number; failed: number }>;
}

/** Outcomes worth an EventBridge audit event: findings, changes, exemptions and failures. */
export function isPublishable(outcome: Outcome): boolean {
  switch (outcome) {
    case 'remediated':
    case 'would-remediate':
    case 'exempt':
    case 'failed':
    case 'exemption-staged':
    case 'blocked-overwrite':
      return true;
    case 'compliant':
    case 'gone':
    case 'ignored':
      return false;
  }
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
  return {
    outcome: 'exemption-staged',
    repositoryName: facts.repositoryName,
    repositoryArn: facts.repositoryArn,
    registryId: facts.registryId,
    region: scope.region,
    before: toAuditSetting(facts.setting),
    after: toAuditSetting(facts.setting),
    trigger: scope.trigger,
    dryRun: scope.dryRun,
    reason,
  };
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
