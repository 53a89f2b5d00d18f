/**
 * The sweep handler: a scheduled event or a backfill payload in, a summary out. Failures on one
 * repository never stop the sweep; they are counted in `counts.failed` (the state machine fails
 * the execution at the end when any repository failed, see infra/).
 *
 * In an organisation deployment (`CENTRAL_EVENT_BUS_ARN` set), the first page of an account-region a payload
 * names also checks the guard's footprint there (lib/forwarding.ts): the member forwarding rule exists, is
 * enabled and targets the central bus. An account-region without it is `unguarded`: logged, counted
 * (`UnguardedAccountRegions`, also per account) and answered in `forwarding`; its repositories are swept all
 * the same.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import {
  ACCOUNT_DIMENSION,
  type DecisionCounts,
  decisionCounts,
  NON_COMPLIANT_METRIC,
} from '../../lib/audit.ts';
import { type Auditor, type SinkSummaries, sinkSummaries } from '../../lib/auditor.ts';
import type { GuardConfig } from '../../lib/config.ts';
import type { EcrAdapter } from '../../lib/ecr.ts';
import { AwsCallError, InvalidInputError } from '../../lib/errors.ts';
import {
  assessForwarding,
  FORWARDING_RULE_NAME,
  type ForwardingCheck,
  UNGUARDED_METRIC,
  unreadableForwarding,
} from '../../lib/forwarding.ts';
import type { ForwardingRuleReader } from '../../lib/forwarding-rule.ts';
import type { ScopeTarget } from '../../lib/scope.ts';
import { runSweep } from '../../lib/sweep.ts';
import { parseSweepInput } from '../../lib/sweep-input.ts';
import { deploymentOf } from '../shared/deployment.ts';
import { parseSweepTarget, type SweepTargetRequest } from './target.ts';

/** What the sweep handler is built from (the sweep core's own are `SweepDependencies` in lib/sweep.ts). */
export interface SweepHandlerDependencies {
  readonly config: GuardConfig;
  readonly ecr: EcrAdapter;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly region: string;
  readonly createAuditor: (options: { logCompliant: boolean }) => Auditor;
  readonly now?: () => Date;
  /**
   * The ECR adapter of another account or region than the function's own (a payload naming `accountId`
   * or `region`): through the member role (`roleName` or the configured one), credentials resolved first
   * so a role that cannot be assumed fails the invocation with STS's code before any ECR call.
   */
  readonly memberEcr?: (target: MemberTarget) => Promise<EcrAdapter>;
  /**
   * The reader of an account-region's rules on its default bus, through the member role (the function's own
   * credentials in its own account): the footprint check of an organisation sweep child.
   */
  readonly forwardingRules?: (target: MemberTarget) => Promise<ForwardingRuleReader>;
}

/** An account-region other than the function's own, as a payload names it. */
export interface MemberTarget extends ScopeTarget {
  readonly roleName: string | undefined;
  /** The function's own account, when its ARN tells. */
  readonly ownAccountId: string | undefined;
}

/** The sweep's answer (docs/architecture.md, "Sweep"): counts per outcome, repositories scanned, and where to resume. */
export interface SweepSummary {
  readonly counts: DecisionCounts;
  readonly scanned: number;
  readonly nextToken?: string;
  /** Outcomes of repository creation templates, when CHECK_CREATION_TEMPLATES is on and they were checked. */
  readonly templates?: DecisionCounts;
  /** The account swept: the payload's `accountId`, else the function's own (from its ARN). */
  readonly accountId?: string;
  /** The region swept: the payload's `region`, else the function's own. */
  readonly region?: string;
  /** The first page of an organisation sweep child: whether the account-region's forwarding rule is in place. */
  readonly forwarding?: ForwardingCheck;
  /** What the audit sinks did with the page's decisions (`securityHub.failed`: findings not brought in line). */
  readonly sinks?: SinkSummaries;
}

export function createSweepHandler(
  deps: SweepHandlerDependencies,
): (
  event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'> & Partial<Pick<Context, 'invokedFunctionArn'>>,
) => Promise<SweepSummary> {
  const { config, logger } = deps;
  return async (event, context) => {
    let request: ReturnType<typeof parseSweepInput>;
    let target: SweepTargetRequest;
    try {
      // `accountId`, `region` and `roleName` choose where; the rest is the single-account sweep payload.
      target = parseSweepTarget(event);
      request = parseSweepInput(target.payload, config.dryRun);
    } catch (error) {
      if (error instanceof InvalidInputError)
        logger.error('rejected invalid sweep input', { issues: error.issues });
      throw error;
    }
    const arn = context.invokedFunctionArn;
    const home = deploymentOf(arn === undefined ? undefined : { invokedFunctionArn: arn });
    const accountId = target.accountId ?? home?.account;
    const region = target.region ?? deps.region;
    const isHome =
      (target.accountId === undefined || target.accountId === home?.account) && region === deps.region;
    let ecr = deps.ecr;
    if (!isHome) {
      if (deps.memberEcr === undefined || accountId === undefined) {
        throw new InvalidInputError(['accountId: this deployment cannot act outside its own account']);
      }
      ecr = await deps.memberEcr({
        accountId,
        region,
        roleName: target.roleName,
        ownAccountId: home?.account,
      });
    }
    const centralBusArn = config.organization.centralEventBusArn;
    const forwarding =
      centralBusArn !== undefined && target.accountId !== undefined && request.resume === undefined
        ? await checkForwarding(
            deps,
            { accountId: target.accountId, region, roleName: target.roleName, ownAccountId: home?.account },
            centralBusArn,
          )
        : undefined;
    const auditor = deps.createAuditor({ logCompliant: config.verboseAudit });
    logger.info('sweep started', {
      accountId,
      region,
      trigger: request.trigger,
      dryRun: request.dryRun,
      resumed: request.resume !== undefined,
      repositoryNames: request.repositoryNames?.length,
    });
    const result = await runSweep(request, {
      ecr,
      policy: config.policy,
      region,
      now: deps.now ?? (() => new Date()),
      // The audit sinks settle after the page (Security Hub's reads are rate-limited): their time is kept free.
      remainingMs: () => context.getRemainingTimeInMillis() - auditor.settleMs(),
      safetyMarginMs: config.sweepSafetyMarginMs,
      maxConcurrency: config.sweepConcurrency,
      // Every record names the account and region it is about.
      record: (record) => auditor.record(accountId === undefined ? record : { ...record, accountId }),
      checkCreationTemplates: config.checkCreationTemplates,
    });
    deps.metrics.addMetric(NON_COMPLIANT_METRIC, MetricUnit.Count, result.nonCompliant);
    // A page of another account's registry also counts under that account (docs/architecture.md, "Metrics").
    const memberAccountId =
      target.accountId !== undefined && target.accountId !== home?.account ? target.accountId : undefined;
    // A first page that reached the end covered the account-region: a sink may read it whole.
    const complete =
      request.resume === undefined && result.nextToken === undefined && request.repositoryNames === undefined;
    const sinks = sinkSummaries(await auditor.flush({ memberAccountId, complete }));
    const counts = decisionCounts(auditor.counts);
    const templates = decisionCounts(auditor.templateCounts);
    const templatesChecked = Object.values(templates).some((count) => count > 0);
    const summary: SweepSummary = {
      counts,
      scanned: result.scanned,
      ...(result.nextToken !== undefined ? { nextToken: result.nextToken } : {}),
      ...(templatesChecked ? { templates } : {}),
      ...(accountId !== undefined ? { accountId } : {}),
      region,
      ...(forwarding === undefined ? {} : { forwarding }),
      ...(sinks === undefined ? {} : { sinks }),
    };
    logger.info('sweep finished', {
      counts,
      scanned: result.scanned,
      resumable: result.nextToken !== undefined,
      retriedErrors: result.retriedErrors,
      ...(sinks === undefined ? {} : { sinks }),
    });
    return summary;
  };
}

/**
 * The footprint check of one account-region (lib/forwarding.ts). Never throws for AWS's answer: a rule that
 * cannot be read is `unguarded` with the error, and the sweep goes on. An unguarded account-region is logged
 * and counted under `{service}` (the alarm) and `{service, AccountId}` (which account).
 */
async function checkForwarding(
  deps: SweepHandlerDependencies,
  target: MemberTarget,
  centralBusArn: string,
): Promise<ForwardingCheck> {
  if (deps.forwardingRules === undefined) return { status: 'unchecked' };
  let check: ForwardingCheck;
  try {
    const reader = await deps.forwardingRules(target);
    check = assessForwarding(await reader.read(FORWARDING_RULE_NAME), centralBusArn);
  } catch (error) {
    if (!(error instanceof AwsCallError)) throw error;
    check = unreadableForwarding(error.message);
  }
  if (check.status === 'unguarded') {
    deps.logger.warn('account-region unguarded', {
      accountId: target.accountId,
      region: target.region,
      reason: check.reason,
    });
    deps.metrics.addMetric(UNGUARDED_METRIC, MetricUnit.Count, 1);
    deps.metrics
      .singleMetric()
      .addDimension(ACCOUNT_DIMENSION, target.accountId)
      .addMetric(UNGUARDED_METRIC, MetricUnit.Count, 1);
  }
  return check;
}
