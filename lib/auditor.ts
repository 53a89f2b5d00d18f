/**
 * The auditor: one JSON line per decision through the Powertools Logger, outcome counts as Powertools
 * Metrics (EMF), and an EventBridge audit event per finding when a publisher is given. The records it
 * takes are built by lib/audit.ts. See docs/architecture.md, "Audit".
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  ACCOUNT_DIMENSION,
  ACCOUNT_OUTCOMES,
  AUDIT_MESSAGE,
  AUDIT_PUBLISH_FAILURES_METRIC,
  type AuditPublisher,
  type AuditRecord,
  emptyCounts,
  INVALID_EVENTS_METRIC,
  isPublishable,
  OUTCOME_METRICS,
  OUTCOMES,
  type OutcomeCounts,
} from './audit.ts';

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
  /**
   * Publishes pending audit events and adds one metric per outcome seen. Call once per invocation.
   * With `memberAccountId` (the invocation acted on another account than the function's own), the counts
   * of {@link ACCOUNT_OUTCOMES} are emitted once more under `{service, AccountId}`.
   */
  flush(options?: FlushOptions): Promise<void>;
}

export interface FlushOptions {
  /** The member account the invocation acted on; undefined for the function's own account. */
  readonly memberAccountId?: string | undefined;
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
    async flush(flushOptions = {}) {
      publishPending();
      await inflight;
      if (invalidEvents > 0)
        options.metrics.addMetric(INVALID_EVENTS_METRIC, MetricUnit.Count, invalidEvents);
      invalidEvents = 0;
      for (const outcome of OUTCOMES) {
        if (counts[outcome] > 0)
          options.metrics.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, counts[outcome]);
      }
      const accountId = flushOptions.memberAccountId;
      if (accountId === undefined) return;
      // A separate EMF document per metric (Powertools singleMetric), so that only these outcome metrics
      // carry the account dimension: the invocation's other metrics keep their `{service}` set alone.
      // Bounded cardinality: accounts × ACCOUNT_OUTCOMES (docs/architecture.md, "Metrics").
      for (const outcome of ACCOUNT_OUTCOMES) {
        if (counts[outcome] === 0) continue;
        options.metrics
          .singleMetric()
          .addDimension(ACCOUNT_DIMENSION, accountId)
          .addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, counts[outcome]);
      }
    },
  };
}
