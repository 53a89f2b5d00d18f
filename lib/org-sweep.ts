/**
 * The organisation runner: runs one job per account-region of a {@link Scope}, at most `maxParallel` at a
 * time (ECR's request quotas are per account and region, so parallel account-regions multiply throughput
 * while each job keeps the sweep's own adaptive concurrency). A job that fails (a role that cannot be
 * assumed, access denied, a region not enabled) ends its account-region as `failed` with the AWS error code
 * and the counts it reached; the others carry on. The summary lists every account-region of the scope,
 * skipped accounts included, and the overall result is `failed` as soon as one account-region failed.
 */
import type { AuditRecord } from './audit.ts';
import { errorCodeOf } from './errors.ts';
import { emptyCounts, failuresIn, isFailure, OUTCOMES, type OutcomeCounts } from './outcomes.ts';
import type { Scope, ScopeTarget, SkipReason } from './scope.ts';
import { runSweep, type SweepDependencies } from './sweep.ts';
import type { SweepRequest } from './sweep-input.ts';

/** An audit record of an organisation run: the record's optional `accountId` and its `region` are always set. */
export type ScopedAuditRecord = AuditRecord & { readonly accountId: string; readonly region: string };

/**
 * How an account-region ended: `completed` (every repository decided, none failed), `incomplete` (stopped
 * early with a token to resume from), `failed` (the job failed, or a repository or template failed),
 * `skipped` (the account is in the requested scope but not acted on; see {@link SkipReason}).
 */
export type AccountRegionStatus = 'completed' | 'incomplete' | 'failed' | 'skipped';

export interface AccountRegionSummary {
  readonly accountId: string;
  readonly accountName: string | undefined;
  readonly region: string;
  readonly status: AccountRegionStatus;
  /** Repository outcomes. */
  readonly counts: OutcomeCounts;
  /** Repository creation template outcomes, kept apart so `counts` add up to `scanned`. */
  readonly templateCounts: OutcomeCounts;
  readonly scanned: number;
  /** `incomplete`: where to resume this account-region. */
  readonly nextToken?: string;
  /** `failed`: the AWS error code of the job's failure, or of the first failed record. */
  readonly errorCode?: string;
  /** `failed` and `skipped`: why, in a sentence. */
  readonly reason?: string;
  readonly skipReason?: SkipReason;
  readonly seconds: number;
}

export type OrgRunResult = 'succeeded' | 'incomplete' | 'failed';

export interface OrgRunSummary {
  /** `failed` when any account-region failed; else `incomplete` when any stopped early; else `succeeded`. */
  readonly result: OrgRunResult;
  /** Every account-region of the scope, sorted by account then region. */
  readonly accountRegions: readonly AccountRegionSummary[];
  readonly statusCounts: Readonly<Record<AccountRegionStatus, number>>;
  readonly totals: OutcomeCounts;
  readonly templateTotals: OutcomeCounts;
  readonly scanned: number;
}

/** What a job reports for its account-region. */
export interface AccountRegionJobResult {
  readonly scanned: number;
  readonly nextToken: string | undefined;
}

/** The work done in one account-region; its records go to `record` (the runner stamps account and region). */
export type AccountRegionJob = (
  target: ScopeTarget,
  record: (record: AuditRecord) => void,
) => Promise<AccountRegionJobResult>;

export interface OrgRunOptions {
  /** At most this many account-regions at once (an integer ≥ 1). */
  readonly maxParallel: number;
  /**
   * Runs before each account-region's job, e.g. {@link import('./credentials.ts').MemberCredentials.ensure}
   * (cached: one AssumeRole per account), so a role that cannot be assumed fails with STS's code.
   */
  readonly prepareAccount?: ((accountId: string) => Promise<void>) | undefined;
  /** Every record of every account-region, with `accountId` and `region`. */
  readonly record: (record: ScopedAuditRecord) => void;
  readonly onStart?: ((target: ScopeTarget) => void) | undefined;
  /** Each account-region's summary as soon as it ends (skipped ones first), for progress displays. */
  readonly onFinish?: ((summary: AccountRegionSummary) => void) | undefined;
  /** Milliseconds, for durations only (default `performance.now`). */
  readonly now?: (() => number) | undefined;
}

/**
 * The order account-regions start in: region by region, each account once, so parallel jobs spread
 * over different accounts rather than one account's regions (an account-wide limit, like AssumeRole's
 * or a per-account throttle, is then not hit by every worker at once).
 */
export function executionOrder(targets: readonly ScopeTarget[]): ScopeTarget[] {
  const byRegion = new Map<string, ScopeTarget[]>();
  for (const target of targets) {
    const list = byRegion.get(target.region);
    if (list === undefined) byRegion.set(target.region, [target]);
    else list.push(target);
  }
  return [...byRegion.values()].flat();
}

/** Orders strings by UTF-16 code units, as `<` does (not by locale). */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const compareTargets = (a: ScopeTarget, b: ScopeTarget) =>
  byCodeUnits(a.accountId, b.accountId) || byCodeUnits(a.region, b.region);

/** Runs `job` over every target of `scope`, bounded by `maxParallel`; never throws for a job's failure. */
export async function runOverScope(
  scope: Scope,
  job: AccountRegionJob,
  options: OrgRunOptions,
): Promise<OrgRunSummary> {
  if (!Number.isInteger(options.maxParallel) || options.maxParallel < 1) {
    throw new RangeError(`maxParallel must be an integer ≥ 1, got ${options.maxParallel}`);
  }
  const now = options.now ?? (() => performance.now());
  const names = new Map(scope.accounts.map((account) => [account.accountId, account.name]));
  const summaries: AccountRegionSummary[] = [];
  const finish = (summary: AccountRegionSummary) => {
    summaries.push(summary);
    options.onFinish?.(summary);
  };

  for (const account of scope.skipped) {
    for (const region of scope.regions) {
      finish({
        accountId: account.accountId,
        accountName: account.name,
        region,
        status: 'skipped',
        counts: emptyCounts(),
        templateCounts: emptyCounts(),
        scanned: 0,
        reason: account.detail,
        skipReason: account.reason,
        seconds: 0,
      });
    }
  }

  async function runOne(target: ScopeTarget): Promise<void> {
    const started = now();
    const counts = emptyCounts();
    const templateCounts = emptyCounts();
    let firstFailureCode: string | undefined;
    const record = (entry: AuditRecord) => {
      if (entry.templatePrefix === undefined) counts[entry.outcome] += 1;
      else templateCounts[entry.outcome] += 1;
      if (isFailure(entry.outcome)) firstFailureCode ??= entry.errorCode;
      options.record({ ...entry, accountId: target.accountId, region: target.region });
    };
    const base = {
      accountId: target.accountId,
      accountName: names.get(target.accountId),
      region: target.region,
      counts,
      templateCounts,
    };
    options.onStart?.(target);
    let result: AccountRegionJobResult;
    try {
      await options.prepareAccount?.(target.accountId);
      result = await job(target, record);
    } catch (error) {
      finish({
        ...base,
        status: 'failed',
        // Repositories decided before the failure: their records were made and counted.
        scanned: OUTCOMES.reduce((sum, outcome) => sum + counts[outcome], 0),
        errorCode: errorCodeOf(error),
        reason: error instanceof Error ? error.message : String(error),
        seconds: (now() - started) / 1000,
      });
      return;
    }
    const seconds = (now() - started) / 1000;
    const failures = failuresIn(counts) + failuresIn(templateCounts);
    if (failures > 0) {
      finish({
        ...base,
        status: 'failed',
        scanned: result.scanned,
        ...(firstFailureCode !== undefined ? { errorCode: firstFailureCode } : {}),
        reason: `${counts.failed} repositories and ${templateCounts.failed} creation templates failed`,
        ...(result.nextToken !== undefined ? { nextToken: result.nextToken } : {}),
        seconds,
      });
    } else if (result.nextToken !== undefined) {
      finish({
        ...base,
        status: 'incomplete',
        scanned: result.scanned,
        nextToken: result.nextToken,
        seconds,
      });
    } else {
      finish({ ...base, status: 'completed', scanned: result.scanned, seconds });
    }
  }

  const queue = executionOrder(scope.targets);
  let next = 0;
  async function worker(): Promise<void> {
    for (let target = queue[next++]; target !== undefined; target = queue[next++]) await runOne(target);
  }
  await Promise.all(Array.from({ length: Math.min(options.maxParallel, queue.length) }, worker));

  return summarize(summaries);
}

/** Totals and the overall result of a set of account-region summaries (sorted by account, then region). */
export function summarize(summaries: readonly AccountRegionSummary[]): OrgRunSummary {
  const accountRegions = [...summaries].sort(compareTargets);
  const statusCounts: Record<AccountRegionStatus, number> = {
    completed: 0,
    incomplete: 0,
    failed: 0,
    skipped: 0,
  };
  const totals = emptyCounts();
  const templateTotals = emptyCounts();
  let scanned = 0;
  for (const summary of accountRegions) {
    statusCounts[summary.status] += 1;
    scanned += summary.scanned;
    for (const outcome of OUTCOMES) {
      totals[outcome] += summary.counts[outcome];
      templateTotals[outcome] += summary.templateCounts[outcome];
    }
  }
  const result: OrgRunResult =
    statusCounts.failed > 0 ? 'failed' : statusCounts.incomplete > 0 ? 'incomplete' : 'succeeded';
  return { result, accountRegions, statusCounts, totals, templateTotals, scanned };
}

/** Builds the sweep's dependencies for one account-region (an ECR adapter over that account's credentials). */
export type SweepDependenciesFactory = (
  target: ScopeTarget,
) =>
  | Promise<{ readonly deps: Omit<SweepDependencies, 'record'>; readonly close?: () => void }>
  | { readonly deps: Omit<SweepDependencies, 'record'>; readonly close?: () => void };

/**
 * The sweep of lib/sweep.ts as an account-region job: the same request in every
 * account-region, with dependencies built per account-region by `createDependencies`.
 */
export function sweepJob(
  request: SweepRequest,
  createDependencies: SweepDependenciesFactory,
): AccountRegionJob {
  return async (target, record) => {
    const { deps, close } = await createDependencies(target);
    try {
      const result = await runSweep(request, { ...deps, region: target.region, record });
      return { scanned: result.scanned, nextToken: result.nextToken };
    } finally {
      close?.();
    }
  };
}
