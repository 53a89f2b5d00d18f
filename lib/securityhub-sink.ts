/**
 * The Security Hub audit sink: once the decisions of an invocation are made (a sweep page, a guardrail event,
 * one account-region of a CLI pass), each decided repository's ACTIVE ECR.2 finding is brought in line with
 * the decision: lib/findings-sync.ts plans, lib/securityhub.ts reads and writes. Per account-region the
 * findings are read either whole (one paged GetFindings pass, 100 a page) or only the decided repositories'
 * (GetFindings filtered by `ResourceId`, 20 a call), whichever takes fewer calls: whole only when the records
 * cover the account-region (`complete`). Every call starts only while the invocation has time for it; what
 * could not be synced (an error, the deadline, a finding with no room for the guard's marker) is counted as
 * failed, logged, and never changes a repository's outcome. See docs/architecture.md, "Security Hub".
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AuditPublisher, AuditRecord, SinkResult } from './audit.ts';
import { errorCodeOf } from './errors.ts';
import {
  type ControlFinding,
  decidesFinding,
  emptyOutcomes,
  FINDING_OUTCOMES,
  type FindingOutcome,
  MAX_FINDINGS_PER_UPDATE,
  planFindingUpdates,
  repositoryArnOf,
  type SyncInput,
} from './findings-sync.ts';
import { isDecision, SECURITY_HUB_SYNC_FAILURES_METRIC } from './outcomes.ts';
import type { SecurityHubAdapter } from './securityhub.ts';
import {
  BATCH_UPDATE_FINDINGS_PER_SECOND,
  GET_FINDINGS_PAGE_SIZE,
  GET_FINDINGS_PER_SECOND,
  MAX_FILTER_VALUES,
} from './securityhub-limits.ts';

/** The sink's name in summaries (`sinks.securityHub` in the functions' and the CLI's output). */
export const SECURITY_HUB_SINK = 'securityHub';

/** No call starts with less than this left before the invocation's deadline. */
export const SYNC_CALL_MARGIN_MS = 3_000;

export interface SecurityHubSinkOptions {
  /**
   * The adapter that syncs findings in `region` (the aggregation Region, or the account-region's own); it may
   * be loaded on first use, so that the client is not loaded before there is something to sync.
   */
  readonly adapterFor: (region: string) => SecurityHubAdapter | Promise<SecurityHubAdapter>;
  /** The Region findings are synced in; undefined: each account-region's own. */
  readonly syncRegion?: string | undefined;
  readonly policy: SyncInput['policy'];
  readonly now: () => Date;
  /** Milliseconds left in the invocation (undefined: no deadline, as in the CLI). */
  readonly remainingMs?: () => number | undefined;
  readonly logger: Pick<Logger, 'warn'>;
}

/** What the sink did, beside `published` (findings updated) and `failed`. */
export interface SyncDetails extends Record<FindingOutcome, number> {
  /** ACTIVE ECR.2 findings read. */
  readonly findings: number;
  /** GetFindings pages answered. */
  readonly pages: number;
  /** BatchUpdateFindings requests sent. */
  readonly batches: number;
}

/** The decisions of one account-region, the last one per repository. */
interface Group {
  readonly accountId: string;
  readonly region: string;
  readonly decided: Map<string, AuditRecord>;
  /** Repositories with any decision (gone and failed included): what a whole read would cover. */
  readonly repositories: Set<string>;
}

/** GetFindings calls to read `decided` repositories' findings one filtered chunk at a time. */
const chunkCalls = (decided: number) => Math.ceil(decided / MAX_FILTER_VALUES);

/**
 * Milliseconds a sync of `decided` repositories takes at the documented rates, read by `ResourceId` (the
 * upper bound of both ways) with one BatchUpdateFindings request per 100 findings, and a second of slack.
 */
export function syncCostMs(decided: number): number {
  if (decided === 0) return 0;
  const reads = chunkCalls(decided) * (1000 / GET_FINDINGS_PER_SECOND);
  const writes = Math.ceil(decided / MAX_FINDINGS_PER_UPDATE) * (1000 / BATCH_UPDATE_FINDINGS_PER_SECOND);
  return Math.ceil(reads + writes) + 1_000;
}

/** Whether to read the account-region whole: only when the records cover it and that takes fewer calls. */
export function readsWhole(group: { decided: number; repositories: number }, complete: boolean): boolean {
  return complete && Math.ceil(group.repositories / GET_FINDINGS_PAGE_SIZE) <= chunkCalls(group.decided);
}

/** The counts a settle adds up: findings updated (`published`), `failed`, and the details. */
type Totals = Record<keyof SyncDetails | 'published' | 'failed', number>;

/** Creates the sink of one invocation (its records are kept until it settles). */
export function createSecurityHubSink(options: SecurityHubSinkOptions): AuditPublisher {
  const groups = new Map<string, Group>();
  let unplaced = 0;

  /** Why no call may start now (the deadline is near), or undefined. */
  const noTime = () =>
    (options.remainingMs?.() ?? Number.POSITIVE_INFINITY) < SYNC_CALL_MARGIN_MS ? 'Deadline' : undefined;

  /**
   * Reads the group's findings, plans, and sends the updates. A read that fails (or the deadline) ends the
   * reads and an update that fails ends the updates: what was read is still brought in line, and every
   * repository not read and every finding not updated is counted failed.
   */
  async function syncGroup(group: Group, complete: boolean, totals: Totals): Promise<void> {
    const where = { accountId: group.accountId, region: group.region };
    const arns = [...group.decided.keys()];
    let failed = 0;
    let problem: string | undefined;
    const warn = () => {
      totals.failed += failed;
      // Every problem leaves something unsynced (failed > 0): nothing unsynced is nothing to say.
      if (failed === 0) return;
      options.logger.warn('Security Hub sync incomplete', {
        ...where,
        syncRegion: options.syncRegion ?? group.region,
        errorCode: problem,
        unsynced: failed,
      });
    };
    let adapter: SecurityHubAdapter;
    try {
      adapter = await options.adapterFor(options.syncRegion ?? group.region);
    } catch (error) {
      problem = errorCodeOf(error);
      failed = arns.length;
      return warn();
    }
    const whole = readsWhole({ decided: arns.length, repositories: group.repositories.size }, complete);
    const chunks: (readonly string[] | undefined)[] = whole ? [undefined] : [];
    for (let start = 0; !whole && start < arns.length; start += MAX_FILTER_VALUES)
      chunks.push(arns.slice(start, start + MAX_FILTER_VALUES));
    const findings: ControlFinding[] = [];
    for (const [index, resourceIds] of chunks.entries()) {
      problem = noTime();
      if (problem === undefined) {
        try {
          const pass = await adapter.findControlFindings({ ...where, resourceIds });
          findings.push(...pass.findings);
          totals.pages += pass.pages;
          continue;
        } catch (error) {
          problem = errorCodeOf(error);
        }
      }
      // Unread: the repositories of this chunk and the next ones (all of them for a whole read, its only chunk).
      failed += arns.length - index * MAX_FILTER_VALUES;
      break;
    }
    totals.findings += findings.length;
    const plan = planFindingUpdates({
      records: [...group.decided.values()],
      findings,
      policy: options.policy,
      now: options.now(),
    });
    for (const outcome of FINDING_OUTCOMES) totals[outcome] += plan.outcomes[outcome];
    failed += plan.outcomes['fields-full'];
    // Stryker disable next-line ConditionalExpression,StringLiteral: `false` and `''` are equivalent, the time left only shrinks (Lambda's remaining time), so the check before each update finds the deadline the reads stopped at; `true`, disabled with them, sends no update and fails every sync test.
    let stopped = problem === 'Deadline';
    for (const update of plan.updates) {
      const late = noTime();
      if (!stopped && late === undefined) {
        try {
          const result = await adapter.updateFindings([update]);
          totals.batches += result.batches;
          totals.published += result.processed;
          failed += result.unprocessed.length;
          continue;
        } catch (error) {
          problem ??= errorCodeOf(error);
        }
      }
      problem ??= late;
      stopped = true;
      failed += update.findings.length;
    }
    warn();
  }

  return {
    name: SECURITY_HUB_SINK,
    failureMetric: SECURITY_HUB_SYNC_FAILURES_METRIC,
    accepts: (record) => record.templatePrefix === undefined && !record.dryRun && isDecision(record.outcome),
    async publish(records) {
      for (const record of records) {
        const accountId = record.accountId ?? record.registryId;
        const arn = repositoryArnOf(record);
        if (accountId === undefined || record.region === undefined || arn === undefined) {
          if (decidesFinding(record)) unplaced += 1;
          continue;
        }
        const key = `${accountId}/${record.region}`;
        let group = groups.get(key);
        if (group === undefined) {
          group = { accountId, region: record.region, decided: new Map(), repositories: new Set() };
          groups.set(key, group);
        }
        group.repositories.add(arn);
        if (decidesFinding(record)) group.decided.set(arn, record);
        else group.decided.delete(arn);
      }
      return { published: 0, failed: 0 };
    },
    settleMs() {
      let ms = 0;
      for (const group of groups.values()) ms += syncCostMs(group.decided.size);
      return ms;
    },
    async settle({ complete }): Promise<SinkResult> {
      const totals: Totals = {
        published: 0,
        failed: unplaced,
        ...emptyOutcomes(),
        findings: 0,
        pages: 0,
        batches: 0,
      };
      if (unplaced > 0)
        options.logger.warn('Security Hub sync: decisions without account or region', { unplaced });
      for (const group of groups.values()) {
        if (group.decided.size > 0) await syncGroup(group, complete === true, totals);
      }
      groups.clear();
      unplaced = 0;
      const { published, failed, ...details } = totals;
      return { published, failed, details };
    },
  };
}
