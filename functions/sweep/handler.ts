/**
 * The sweep handler: a scheduled event or a backfill payload in, a summary out. Failures on one
 * repository never stop the sweep; they are counted in `counts.failed` (the state machine fails
 * the execution at the end when any repository failed, see infra/).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { type DecisionCounts, decisionCounts, NON_COMPLIANT_METRIC } from '../../lib/audit.ts';
import type { Auditor } from '../../lib/auditor.ts';
import type { GuardConfig } from '../../lib/config.ts';
import type { EcrAdapter } from '../../lib/ecr.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { runSweep } from '../../lib/sweep.ts';
import { parseSweepInput } from '../../lib/sweep-input.ts';

/** What the sweep handler is built from (the sweep core's own are `SweepDependencies` in lib/sweep.ts). */
export interface SweepHandlerDependencies {
  readonly config: GuardConfig;
  readonly ecr: EcrAdapter;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly region: string;
  readonly createAuditor: (options: { logCompliant: boolean }) => Auditor;
  readonly now?: () => Date;
}

/** The sweep's answer (docs/architecture.md, "Sweep"): counts per outcome, repositories scanned, and where to resume. */
export interface SweepSummary {
  readonly counts: DecisionCounts;
  readonly scanned: number;
  readonly nextToken?: string;
  /** Outcomes of repository creation templates, when CHECK_CREATION_TEMPLATES is on and they were checked. */
  readonly templates?: DecisionCounts;
}

export function createSweepHandler(
  deps: SweepHandlerDependencies,
): (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<SweepSummary> {
  const { config, logger } = deps;
  return async (event, context) => {
    let request: ReturnType<typeof parseSweepInput>;
    try {
      request = parseSweepInput(event, config.dryRun);
    } catch (error) {
      if (error instanceof InvalidInputError)
        logger.error('rejected invalid sweep input', { issues: error.issues });
      throw error;
    }
    const auditor = deps.createAuditor({ logCompliant: config.verboseAudit });
    logger.info('sweep started', {
      trigger: request.trigger,
      dryRun: request.dryRun,
      resumed: request.resume !== undefined,
      repositoryNames: request.repositoryNames?.length,
    });
    const result = await runSweep(request, {
      ecr: deps.ecr,
      policy: config.policy,
      region: deps.region,
      now: deps.now ?? (() => new Date()),
      remainingMs: () => context.getRemainingTimeInMillis(),
      safetyMarginMs: config.sweepSafetyMarginMs,
      maxConcurrency: config.sweepConcurrency,
      record: (record) => auditor.record(record),
      checkCreationTemplates: config.checkCreationTemplates,
    });
    deps.metrics.addMetric(NON_COMPLIANT_METRIC, MetricUnit.Count, result.nonCompliant);
    await auditor.flush();
    const counts = decisionCounts(auditor.counts);
    const templates = decisionCounts(auditor.templateCounts);
    const templatesChecked = Object.values(templates).some((count) => count > 0);
    const summary: SweepSummary = {
      counts,
      scanned: result.scanned,
      ...(result.nextToken !== undefined ? { nextToken: result.nextToken } : {}),
      ...(templatesChecked ? { templates } : {}),
    };
    logger.info('sweep finished', {
      counts,
      scanned: result.scanned,
      resumable: result.nextToken !== undefined,
      retriedErrors: result.retriedErrors,
    });
    return summary;
  };
}
