/**
 * The auditor: every decision of an invocation goes through it. It counts the records, logs one JSON line
 * each through the Powertools Logger, adds the counts as Powertools Metrics (EMF), and hands the records to
 * its audit sinks (lib/audit.ts `AuditPublisher`: EventBridge audit events, Security Hub findings), each
 * taking the records it wants, in batches while recording and the rest on flush. The CLI's auditor has no
 * logger and no metrics (it prints the records itself) but the same sinks. See docs/architecture.md, "Audit".
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { AUDIT_MESSAGE, type AuditPublisher, type AuditRecord, type SinkResult } from './audit.ts';
import {
  ACCOUNT_DIMENSION,
  ACCOUNT_OUTCOMES,
  AUDIT_PUBLISH_FAILURES_METRIC,
  emptyCounts,
  INVALID_EVENTS_METRIC,
  isFailure,
  isPublishable,
  OUTCOME_METRICS,
  OUTCOMES,
  type OutcomeCounts,
} from './outcomes.ts';

export interface AuditorOptions {
  /** Where each record is logged; none: not logged (the CLI prints records itself). */
  readonly logger?: Logger | undefined;
  /** Where the counts go; none: not emitted (the CLI has no CloudWatch metrics). */
  readonly metrics?: Metrics | undefined;
  /** The audit sinks, built from settings (lib/audit-sinks.ts). */
  readonly sinks?: readonly AuditPublisher[] | undefined;
  /** When false, `compliant` decisions are counted but not logged (a 100,000-repository sweep writes no 100,000 lines). */
  readonly logCompliant: boolean;
}

/** What one sink did over an invocation, under its name. */
export interface SinkReport extends SinkResult {
  readonly name: string;
}

/** What the sinks did, as the functions' and the CLI's summaries carry it: `{ securityHub: { published, failed, … } }`. */
export type SinkSummaries = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** The summaries' `sinks` field of `reports`, or undefined when there is no sink. */
export function sinkSummaries(reports: readonly SinkReport[]): SinkSummaries | undefined {
  if (reports.length === 0) return undefined;
  return Object.fromEntries(
    reports.map(({ name, published, failed, details }) => [name, { published, failed, ...details }]),
  );
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
  /** Milliseconds the sinks would need to settle what they hold (a sweep leaves them before its deadline). */
  settleMs(): number;
  /**
   * Hands the pending records to the sinks and lets each settle, then adds one metric per outcome seen and
   * each sink's failures under its metric. Call once per invocation. With `memberAccountId` (the invocation
   * acted on another account than the function's own), the counts of {@link ACCOUNT_OUTCOMES} are emitted
   * once more under `{service, AccountId}`.
   *
   * @returns what each sink did, in the order of the sinks.
   */
  flush(options?: FlushOptions): Promise<readonly SinkReport[]>;
}

export interface FlushOptions {
  /** The member account the invocation acted on; undefined for the function's own account. */
  readonly memberAccountId?: string | undefined;
  /** The records cover every repository of their account-region (see `AuditPublisher.settle`). */
  readonly complete?: boolean | undefined;
}

const PUBLISH_BATCH = 10;
/** Powertools' `MetricUnit.Count`, spelled out so that only the types of Powertools are imported (the CLI has none). */
const COUNT: Parameters<Metrics['addMetric']>[1] = 'Count';

/** One sink and what the auditor holds for it. */
interface SinkState {
  readonly sink: AuditPublisher;
  readonly accepts: (record: AuditRecord) => boolean;
  pending: AuditRecord[];
  inflight: Promise<void>;
  /** Records it took since the last flush. */
  taken: number;
  published: number;
  failed: number;
}

/** Never throws for a sink: a sink that does anyway lost the records it was given. */
async function guarded(attempt: () => Promise<SinkResult>, given: number): Promise<SinkResult> {
  try {
    return await attempt();
  } catch {
    return { published: 0, failed: given };
  }
}

export function createAuditor(options: AuditorOptions): Auditor {
  const counts = emptyCounts();
  const templateCounts = emptyCounts();
  let invalidEvents = 0;
  const sinks: SinkState[] = (options.sinks ?? []).map((sink) => ({
    sink,
    accepts: sink.accepts?.bind(sink) ?? ((record) => isPublishable(record.outcome)),
    pending: [],
    inflight: Promise.resolve(),
    taken: 0,
    published: 0,
    failed: 0,
  }));

  function publishPending(state: SinkState): void {
    if (state.pending.length === 0) return;
    const batch = state.pending;
    state.pending = [];
    state.inflight = state.inflight.then(async () => {
      const result = await guarded(() => state.sink.publish(batch), batch.length);
      state.published += result.published;
      state.failed += result.failed;
    });
  }

  async function settle(state: SinkState, flushOptions: FlushOptions): Promise<SinkReport> {
    publishPending(state);
    await state.inflight;
    const settleSink = state.sink.settle?.bind(state.sink);
    const settled: SinkResult =
      settleSink === undefined
        ? { published: 0, failed: 0 }
        : await guarded(() => settleSink({ complete: flushOptions.complete }), state.taken);
    const report = {
      name: state.sink.name ?? 'auditEvents',
      published: state.published + settled.published,
      failed: state.failed + settled.failed,
      ...(settled.details === undefined ? {} : { details: settled.details }),
    };
    state.taken = 0;
    state.published = 0;
    state.failed = 0;
    return report;
  }

  function addMetric(name: string, value: number): void {
    if (value > 0) options.metrics?.addMetric(name, COUNT, value);
  }

  return {
    counts,
    templateCounts,
    record(record) {
      if (record.templatePrefix !== undefined) templateCounts[record.outcome] += 1;
      else counts[record.outcome] += 1;
      if (isFailure(record.outcome)) {
        options.logger?.error(AUDIT_MESSAGE, { ...record });
      } else if (record.outcome !== 'compliant' || options.logCompliant) {
        options.logger?.info(AUDIT_MESSAGE, { ...record });
      }
      for (const state of sinks) {
        if (!state.accepts(record)) continue;
        state.taken += 1;
        state.pending.push(record);
        if (state.pending.length >= PUBLISH_BATCH) publishPending(state);
      }
    },
    countInvalidEvent() {
      invalidEvents += 1;
    },
    settleMs() {
      return sinks.reduce((sum, { sink }) => sum + (sink.settleMs?.() ?? 0), 0);
    },
    async flush(flushOptions = {}) {
      const reports = await Promise.all(sinks.map((state) => settle(state, flushOptions)));
      const failures = new Map<string, number>();
      for (const [index, report] of reports.entries()) {
        const metric = sinks[index]?.sink.failureMetric ?? AUDIT_PUBLISH_FAILURES_METRIC;
        failures.set(metric, (failures.get(metric) ?? 0) + report.failed);
      }
      for (const [metric, failed] of failures) addMetric(metric, failed);
      addMetric(INVALID_EVENTS_METRIC, invalidEvents);
      invalidEvents = 0;
      for (const outcome of OUTCOMES) addMetric(OUTCOME_METRICS[outcome], counts[outcome]);
      const accountId = flushOptions.memberAccountId;
      if (accountId === undefined || options.metrics === undefined) return reports;
      // A separate EMF document per metric (Powertools singleMetric), so that only these outcome metrics
      // carry the account dimension: the invocation's other metrics keep their `{service}` set alone.
      // Bounded cardinality: accounts × ACCOUNT_OUTCOMES (docs/architecture.md, "Metrics").
      for (const outcome of ACCOUNT_OUTCOMES) {
        if (counts[outcome] === 0) continue;
        options.metrics
          .singleMetric()
          .addDimension(ACCOUNT_DIMENSION, accountId)
          .addMetric(OUTCOME_METRICS[outcome], COUNT, counts[outcome]);
      }
      return reports;
    },
  };
}
