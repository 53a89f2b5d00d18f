/**
 * One account-region of `ecr-guard plan`: its non-compliant repositories (the sweep's listing and decision,
 * in dry-run), one CloudTrail pass over the window, a verdict per repository (lib/plan.ts), DescribeImages
 * for those the history shows safe, and staging when asked (bin/commands/plan-staging.ts); then the exit
 * code of all of them.
 */
import { failedRecord, goneRecord } from '../../lib/audit.ts';
import { type CloudTrailAdapter, LookupFailedError } from '../../lib/cloudtrail.ts';
import { errorCodeOf } from '../../lib/errors.ts';
import { planRepository, type RepositoryPlan } from '../../lib/plan.ts';
import { describeSetting, type RepositoryFacts } from '../../lib/policy.ts';
import { groupPushes, type History } from '../../lib/push-history.ts';
import { runSweep } from '../../lib/sweep.ts';
import { EXIT } from '../exit-codes.ts';
import type { PlanOptions } from './plan-options.ts';
import { recordScope, type Staging, type StagingDependencies, stageRepository } from './plan-staging.ts';

/** One line of the plan: a non-compliant repository and its verdict. */
export interface PlanLine {
  readonly region: string;
  readonly repositoryName: string;
  readonly setting: string;
  readonly plan: RepositoryPlan;
  readonly staging?: Staging | undefined;
}

export interface PlanRegionSummary {
  readonly region: string;
  /** Non-compliant repositories planned. */
  readonly candidates: number;
  readonly safeToFlip: number;
  readonly wouldBreak: number;
  readonly noHistory: number;
  readonly unknown: number;
  /** Would-break repositories set within the allowed exclusions (`exclusion-set`). */
  readonly exclusionsSet: number;
  readonly staged: number;
  readonly alreadyExempt: number;
  /** Repositories that could not be read or written. */
  readonly failed: number;
  /** Why CloudTrail could not be read (its error code), when it could not: the plan is then a failure. */
  readonly cloudTrailError?: string | undefined;
  /** LookupEvents calls made, failed ones included. */
  readonly lookupCalls: number;
  readonly pushEvents: number;
  /** PutImage records the plan could not read (each makes the repositories it may concern `unknown`). */
  readonly unreadable: number;
  /** Ctrl-C stopped the region: nothing was written after it, and candidates after it were not planned. */
  readonly interrupted?: boolean | undefined;
  readonly seconds: number;
}

/** One account-region's plan: its ECR and CloudTrail, and where lines, records and progress go. */
export interface PlanDependencies extends StagingDependencies {
  /** Created only when the region has candidates: no LookupEvents call otherwise. */
  readonly cloudTrail: () => CloudTrailAdapter;
  readonly registryId: string | undefined;
  readonly options: PlanOptions;
  readonly onLine: (line: PlanLine) => void;
  readonly onProgress: (message: string) => void;
  /** Ctrl-C: reading stops, and nothing is written after it. */
  readonly signal?: AbortSignal | undefined;
}

/** The non-compliant repositories of the region (the sweep's listing and decision, in dry-run). */
async function listCandidates(
  deps: PlanDependencies,
): Promise<{ candidates: RepositoryFacts[]; failed: number }> {
  const candidates: RepositoryFacts[] = [];
  let failed = 0;
  await runSweep(
    {
      trigger: 'backfill',
      dryRun: true,
      repositoryNames: undefined,
      resume: undefined,
      maxRepositories: undefined,
    },
    {
      ecr: deps.ecr,
      policy: deps.config.policy,
      region: deps.region,
      registryId: deps.registryId,
      now: () => deps.now,
      remainingMs: () => (deps.signal?.aborted === true ? 0 : Number.POSITIVE_INFINITY),
      safetyMarginMs: 0,
      maxConcurrency: deps.config.sweepConcurrency,
      checkCreationTemplates: false,
      record: (record) => {
        if (record.outcome === 'failed') {
          failed += 1;
          deps.onRecord(record);
        }
        if (record.outcome !== 'would-remediate' || record.before === undefined) return;
        if (!record.repositoryName || !record.repositoryArn || !record.registryId) return;
        candidates.push({
          repositoryName: record.repositoryName,
          repositoryArn: record.repositoryArn,
          registryId: record.registryId,
          setting: {
            mutability: record.before.imageTagMutability,
            exclusionFilters: record.before.exclusionFilters,
          },
          tags: undefined,
        });
      },
      onProgress: ({ scanned }) =>
        deps.onProgress(`${deps.region}: scanned ${scanned.toLocaleString('en')} repositories`),
    },
  );
  return { candidates, failed };
}

/** The account-region's CloudTrail history of the window: one paged LookupEvents pass. */
async function readHistory(
  deps: PlanDependencies,
): Promise<{ history: History; calls: number; events: number; unreadable: number; error?: string }> {
  try {
    const result = await deps.cloudTrail().lookupPushes({
      days: deps.options.days,
      now: deps.now,
      signal: deps.signal,
      onPage: (events) =>
        deps.onProgress(`${deps.region}: CloudTrail PutImage events read ${events.toLocaleString('en')}`),
    });
    const attributed = [...result.unreadableByRepository.values()].reduce((sum, count) => sum + count, 0);
    const history: History =
      result.events === 0
        ? { kind: 'no-history' }
        : {
            kind: 'events',
            pushesByRepository: groupPushes(result.pushes),
            unreadable: {
              byRepository: result.unreadableByRepository,
              unattributed: result.unreadable - attributed,
            },
          };
    return { history, calls: result.calls, events: result.events, unreadable: result.unreadable };
  } catch (error) {
    const calls = error instanceof LookupFailedError ? error.calls : 0;
    if (deps.signal?.aborted === true) {
      return { history: { kind: 'unknown', reason: 'interrupted' }, calls, events: 0, unreadable: 0 };
    }
    const code = errorCodeOf(error);
    return {
      history: { kind: 'unknown', reason: `LookupEvents failed with ${code}` },
      calls,
      events: 0,
      unreadable: 0,
      error: code,
    };
  }
}

/**
 * Plans one account-region: the sweep's describe/evaluate path in dry-run, one CloudTrail pass, and
 * DescribeImages (untagged) for each repository the history shows safe. With `--stage-exemptions`,
 * stages each would-break repository; after Ctrl-C it plans and writes nothing more.
 */
export async function planRegion(deps: PlanDependencies): Promise<PlanRegionSummary> {
  const started = Date.now();
  const { config, region } = deps;
  const aborted = () => deps.signal?.aborted === true;
  const listed = await listCandidates(deps);
  const { candidates } = listed;
  let failed = listed.failed;
  const trail =
    candidates.length > 0 && !aborted()
      ? await readHistory(deps)
      : { history: { kind: 'no-history' } as const, calls: 0, events: 0, unreadable: 0 };
  const counts = {
    safeToFlip: 0,
    wouldBreak: 0,
    noHistory: 0,
    unknown: 0,
    exclusionsSet: 0,
    staged: 0,
    alreadyExempt: 0,
  };
  for (const facts of candidates) {
    if (aborted()) break;
    let plan = planRepository(facts, trail.history, config.policy);
    if (plan.verdict === 'safe-to-flip') {
      // Untagged images are what a tag moved before the window leaves: safe only without any.
      try {
        const images = await deps.ecr.listUntaggedImages(facts);
        if (images.kind === 'gone') {
          deps.onRecord(
            goneRecord(facts, 'repository was deleted before its images were read', recordScope(deps.region)),
          );
          continue;
        }
        plan = planRepository(facts, trail.history, config.policy, images.images);
      } catch (error) {
        failed += 1;
        deps.onRecord(failedRecord(facts, error, recordScope(deps.region)));
        plan = {
          ...plan,
          verdict: 'unknown',
          suggestion: undefined,
          reason: `DescribeImages failed with ${errorCodeOf(error)}: cannot tell whether a tag moved before the window; not guessing`,
        };
      }
    }
    if (plan.verdict === 'safe-to-flip') counts.safeToFlip += 1;
    else if (plan.verdict === 'would-break') counts.wouldBreak += 1;
    else if (plan.verdict === 'no-history') counts.noHistory += 1;
    else counts.unknown += 1;
    let staging: Staging | undefined;
    if (plan.verdict === 'would-break' && deps.options.until !== undefined) {
      staging = await stageRepository(deps, facts, plan, deps.options.until);
      if (staging === 'exclusion-set') counts.exclusionsSet += 1;
      else if (staging === 'exemption-staged') counts.staged += 1;
      else if (staging === 'already-exempt') counts.alreadyExempt += 1;
      else if (staging === 'failed') failed += 1;
    }
    deps.onLine({
      region,
      repositoryName: facts.repositoryName,
      setting: describeSetting(facts.setting),
      plan,
      staging,
    });
  }
  return {
    region,
    candidates: candidates.length,
    ...counts,
    failed,
    ...(trail.error === undefined ? {} : { cloudTrailError: trail.error }),
    lookupCalls: trail.calls,
    pushEvents: trail.events,
    unreadable: trail.unreadable,
    ...(aborted() ? { interrupted: true } : {}),
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * Exit code: failures (1: a repository not read or written, or CloudTrail not read) over repositories
 * that would break (unstaged) or whose history is missing or unknown (3).
 */
export function planExitCode(summaries: readonly PlanRegionSummary[]): number {
  const sum = (pick: (line: PlanRegionSummary) => number) =>
    summaries.reduce((total, line) => total + pick(line), 0);
  if (sum((line) => line.failed) > 0 || summaries.some((line) => line.cloudTrailError !== undefined)) {
    return EXIT.failures;
  }
  const unresolved = sum(
    (line) =>
      line.wouldBreak - line.exclusionsSet - line.staged - line.alreadyExempt + line.noHistory + line.unknown,
  );
  return unresolved > 0 ? EXIT.nonCompliant : EXIT.ok;
}
