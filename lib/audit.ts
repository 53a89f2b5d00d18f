/**
 * Audit records: one JSON line per repository decision through the Powertools Logger, outcome
 * counts as Powertools Metrics (EMF), and optionally an EventBridge audit event per finding.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MutabilitySetting } from './policy.ts';

/** Every way a repository decision (or an event) can end. */
export const OUTCOMES = [
  'compliant',
  'remediated',
  'would-remediate',
  'exempt',
  'gone',
  'failed',
  'ignored',
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

/** One audit record (the contract in DESIGN.md). */
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
} as const satisfies Record<Outcome, string>;

export const NON_COMPLIANT_METRIC = 'NonCompliantRepositories';
export const INVALID_EVENTS_METRIC = 'InvalidEvents';
export const AUDIT_PUBLISH_FAILURES_METRIC = 'AuditPublishFailures';

/** The log message of every audit line: filter on it in CloudWatch Logs Insights. */
export const AUDIT_MESSAGE = 'ecr-guard audit';

export function emptyCounts(): OutcomeCounts {
  return { compliant: 0, remediated: 0, 'would-remediate': 0, exempt: 0, gone: 0, failed: 0, ignored: 0 };
}

export function toAuditSetting(setting: MutabilitySetting | undefined): AuditSetting | undefined {
  if (setting === undefined) return undefined;
  return { imageTagMutability: setting.mutability, exclusionFilters: [...setting.exclusionFilters].sort() };
}

/** Publishes audit records elsewhere (EventBridge); never throws, reports how many it could not publish. */
export interface AuditPublisher {
  publish(records: readonly AuditRecord[]): Promise<{ published: number; failed: number }>;
}

export interface AuditorOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly publisher?: AuditPublisher | undefined;
  /** When false, `compliant` decisions are counted but not logged (a 100,000-repository sweep writes no 100,000 lines). */
  readonly logCompliant: boolean;
}

/** Collects, logs and counts the records of one invocation. */
export interface Auditor {
  record(record: AuditRecord): void;
  /** Outcomes of repositories (and ignored events). */
  readonly counts: Readonly<OutcomeCounts>;
  /** Outcomes of repository creation templates, kept apart so repository counts add up to `scanned`. */
  readonly templateCounts: Readonly<OutcomeCounts>;
  /** Counts an event rejected as invalid (it has no audit record: it names no repository we trust). */
  countInvalidEvent(): void;
  /** Publishes pending audit events and adds one metric per outcome seen. Call once per invocation. */
  flush(): Promise<void>;
}

/** Outcomes worth an EventBridge audit event: findings, changes, exemptions and failures. */
export function isPublishable(outcome: Outcome): boolean {
  switch (outcome) {
    case 'remediated':
    case 'would-remediate':
    case 'exempt':
    case 'failed':
      return true;
    case 'compliant':
    case 'gone':
    case 'ignored':
      return false;
  }
}

const PUBLISH_BATCH = 10;

export function createAuditor(options: AuditorOptions): Auditor {
  const counts = emptyCounts();
  const templateCounts = emptyCounts();
  let invalidEvents = 0;
  let pending: AuditRecord[] = [];
  let inflight: Promise<void> = Promise.resolve();

  function publishPending(): void {
    const publisher = options.publisher;
    if (publisher === undefined || pending.length === 0) return;
    const batch = pending;
    pending = [];
    inflight = inflight.then(async () => {
      const result = await publisher.publish(batch);
      if (result.failed > 0) {
        options.metrics.addMetric(AUDIT_PUBLISH_FAILURES_METRIC, MetricUnit.Count, result.failed);
      }
    });
  }

  return {
    counts,
    templateCounts,
    record(record) {
      if (record.templatePrefix !== undefined) templateCounts[record.outcome] += 1;
      else counts[record.outcome] += 1;
      if (record.outcome === 'failed') {
        options.logger.error(AUDIT_MESSAGE, { ...record });
      } else if (record.outcome !== 'compliant' || options.logCompliant) {
        options.logger.info(AUDIT_MESSAGE, { ...record });
      }
      if (options.publisher !== undefined && isPublishable(record.outcome)) {
        pending.push(record);
        if (pending.length >= PUBLISH_BATCH) publishPending();
      }
    },
    countInvalidEvent() {
      invalidEvents += 1;
    },
    async flush() {
      publishPending();
      await inflight;
      if (invalidEvents > 0)
        options.metrics.addMetric(INVALID_EVENTS_METRIC, MetricUnit.Count, invalidEvents);
      invalidEvents = 0;
      for (const outcome of OUTCOMES) {
        if (counts[outcome] > 0)
          options.metrics.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, counts[outcome]);
      }
    },
  };
}
