/**
 * Every way a decision can end, once: the outcome table. Which outcomes are repository decisions (counted in
 * a sweep's counts and summed by an organisation run), which are published as audit events and under which
 * detail-type, which are counted per member account, which are failures, and the metric of each. The lists,
 * counts, metric names and detail-types the rest of the code uses are derived from it. The metrics that are
 * no outcome (invalid events, the audit sinks' failures) are named here too. Pure and dependency-free:
 * infra/ imports it. See docs/architecture.md, "Outcomes" and "Metrics".
 */

/** The detail-types of the audit events (`source` `ecr-immutability-guard`) on the audit bus. */
export const AUDIT_DETAIL_TYPES = {
  enforced: 'ECR Repository Tag Mutability Enforced',
  exempted: 'ECR Repository Tag Mutability Exempted',
  failed: 'ECR Repository Tag Mutability Failed',
  exemptionStaged: 'ECR Repository Tag Mutability Exemption Staged',
  blockedOverwrite: 'ECR Image Tag Overwrite Blocked',
} as const;

/** What is true of one outcome. */
export interface OutcomeFacts {
  /** A repository decision: counted in a sweep's counts and summed by an organisation run. */
  readonly decision: boolean;
  /** The detail-type of its audit event; undefined: not published as one. */
  readonly detailType: string | undefined;
  /** Counted once more per member account, under `{service, AccountId}`. */
  readonly perAccount: boolean;
  /** A failure: logged at error level, and the account-region (and the CLI's exit code) fails with it. */
  readonly failure: boolean;
  /** Its metric, under `{service}`. */
  readonly metric: string;
}

/**
 * The outcome table, in the order outcomes are listed and counted. The last three are records that are no
 * repository decision: an event that needs no work, a staged exemption (`ecr-guard plan`), a refused overwrite.
 */
export const OUTCOME_TABLE = {
  compliant: {
    decision: true,
    detailType: undefined,
    perAccount: true,
    failure: false,
    metric: 'Compliant',
  },
  remediated: {
    decision: true,
    detailType: AUDIT_DETAIL_TYPES.enforced,
    perAccount: true,
    failure: false,
    metric: 'Remediated',
  },
  'would-remediate': {
    decision: true,
    detailType: AUDIT_DETAIL_TYPES.enforced,
    perAccount: false,
    failure: false,
    metric: 'WouldRemediate',
  },
  exempt: {
    decision: true,
    detailType: AUDIT_DETAIL_TYPES.exempted,
    perAccount: true,
    failure: false,
    metric: 'Exempt',
  },
  gone: { decision: true, detailType: undefined, perAccount: true, failure: false, metric: 'Gone' },
  failed: {
    decision: true,
    detailType: AUDIT_DETAIL_TYPES.failed,
    perAccount: true,
    failure: true,
    metric: 'Failed',
  },
  ignored: { decision: false, detailType: undefined, perAccount: false, failure: false, metric: 'Ignored' },
  'exemption-staged': {
    decision: false,
    detailType: AUDIT_DETAIL_TYPES.exemptionStaged,
    perAccount: false,
    failure: false,
    metric: 'ExemptionsStaged',
  },
  'blocked-overwrite': {
    decision: false,
    detailType: AUDIT_DETAIL_TYPES.blockedOverwrite,
    perAccount: false,
    failure: false,
    metric: 'OverwritesBlocked',
  },
} as const satisfies Record<string, OutcomeFacts>;

type Table = typeof OUTCOME_TABLE;
export type Outcome = keyof Table;
/** The outcomes whose `column` is `value` in the table. */
type OutcomesWhere<Column extends keyof OutcomeFacts, Value> = {
  [K in Outcome]: Table[K][Column] extends Value ? K : never;
}[Outcome];
/** A repository decision. */
export type DecisionOutcome = OutcomesWhere<'decision', true>;
/** An outcome counted per member account. */
export type AccountOutcome = OutcomesWhere<'perAccount', true>;

/** A record keyed by every one of `keys`, each holding `valueFor(key)`. */
export function recordOf<K extends string, V>(keys: readonly K[], valueFor: (key: K) => V): Record<K, V> {
  // The keys are the caller's typed list: the object has exactly them.
  return Object.fromEntries(keys.map((key) => [key, valueFor(key)])) as Record<K, V>;
}

/** Every outcome, in table order. */
export const OUTCOMES: readonly Outcome[] = Object.keys(OUTCOME_TABLE).filter(
  (key): key is Outcome => key in OUTCOME_TABLE,
);

/** Every way a repository decision can end: what a sweep counts and an organisation sweep sums. */
export const DECISION_OUTCOMES: readonly DecisionOutcome[] = OUTCOMES.filter(isDecision);

/**
 * The outcomes counted per member account, and only these (no region dimension): at most
 * accounts × 5 metrics, whatever the number of regions or repositories (docs/architecture.md, "Metrics").
 */
export const ACCOUNT_OUTCOMES: readonly AccountOutcome[] = OUTCOMES.filter(
  (outcome): outcome is AccountOutcome => OUTCOME_TABLE[outcome].perAccount,
);

/** Metric name per outcome (namespace and `service` dimension come from Powertools configuration). */
export const OUTCOME_METRICS: Readonly<Record<Outcome, string>> = recordOf(
  OUTCOMES,
  (outcome) => OUTCOME_TABLE[outcome].metric,
);

/** Outcomes worth an audit event: findings, changes, exemptions and failures. */
export function isPublishable(outcome: Outcome): boolean {
  return OUTCOME_TABLE[outcome].detailType !== undefined;
}

/** The detail-type of the audit event for an outcome, or undefined when the outcome is not published. */
export function auditDetailType(outcome: Outcome): string | undefined {
  return OUTCOME_TABLE[outcome].detailType;
}

/** Whether an outcome is a repository decision. */
export function isDecision(outcome: Outcome): outcome is DecisionOutcome {
  return OUTCOME_TABLE[outcome].decision;
}

/** Whether an outcome is a failure (logged at error level; fails its account-region). */
export function isFailure(outcome: Outcome): boolean {
  return OUTCOME_TABLE[outcome].failure;
}

/** Outcome counts as returned by the handlers. */
export type OutcomeCounts = Record<Outcome, number>;

/** The counts of repository decisions only: what a sweep reports (no events, no notices). */
export type DecisionCounts = Record<DecisionOutcome, number>;

export function emptyCounts(): OutcomeCounts {
  return recordOf(OUTCOMES, () => 0);
}

export function decisionCounts(counts: Readonly<OutcomeCounts>): DecisionCounts {
  return recordOf(DECISION_OUTCOMES, (outcome) => counts[outcome]);
}

/** How many of `counts` are failures. */
export function failuresIn(counts: Readonly<OutcomeCounts>): number {
  return OUTCOMES.reduce((sum, outcome) => sum + (isFailure(outcome) ? counts[outcome] : 0), 0);
}

/**
 * The dimension naming the member account in the per-account outcome metrics: an invocation acting on
 * another account adds the counts of {@link ACCOUNT_OUTCOMES} once more under `{service, AccountId}`
 * (docs/architecture.md, "Metrics").
 */
export const ACCOUNT_DIMENSION = 'AccountId';

export const NON_COMPLIANT_METRIC = 'NonCompliantRepositories';
export const INVALID_EVENTS_METRIC = 'InvalidEvents';
/** Audit events the EventBridge sink could not publish after its retries (alarmed). */
export const AUDIT_PUBLISH_FAILURES_METRIC = 'AuditPublishFailures';
/**
 * ECR.2 findings (or, when they could not be read, repositories) the Security Hub sink could not bring in line
 * with the guard's decisions (lib/securityhub-sink.ts). Never a repository's outcome; alarm-worthy.
 */
export const SECURITY_HUB_SYNC_FAILURES_METRIC = 'SecurityHubSyncFailures';
