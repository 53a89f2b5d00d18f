/**
 * The guardrail: one EventBridge event in (a CloudTrail CreateRepository / PutImageTagMutability),
 * parse → load → decide → apply → record. Built by a factory so tests pass their own dependencies.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import {
  type AuditRecord,
  blockedOverwriteRecord,
  failedRecord,
  goneRecord,
  ignoredRecord,
  type OutcomeCounts,
} from '../../lib/audit.ts';
import { type Auditor, type SinkSummaries, sinkSummaries } from '../../lib/auditor.ts';
import type { GuardConfig } from '../../lib/config.ts';
import type { EcrAdapter } from '../../lib/ecr.ts';
import { enforceRepository } from '../../lib/enforce.ts';
import { AwsCallError, errorCodeOf, InvalidEventError } from '../../lib/errors.ts';
import { routeEvent } from '../../lib/event-routing.ts';
import { interpretEvent } from '../../lib/events.ts';
import { routingSettingsOf } from '../../lib/org-config.ts';
import { deploymentOf } from '../shared/deployment.ts';
import type { MemberEcrRequest } from '../shared/member-ecr.ts';

export interface GuardrailDependencies {
  readonly config: GuardConfig;
  readonly ecr: EcrAdapter;
  readonly logger: Logger;
  /** A fresh auditor per invocation (counts are per event). */
  readonly createAuditor: () => Auditor;
  readonly now?: () => Date;
  /**
   * The ECR adapter of another account or region in scope (organisation mode): through the member role,
   * built lazily and cached per account-region (functions/shared/member-ecr.ts).
   */
  readonly memberEcr?: (request: MemberEcrRequest) => Promise<EcrAdapter>;
}

export interface GuardrailSummary {
  readonly counts: OutcomeCounts;
  readonly records: AuditRecord[];
  /** What the audit sinks did with the event's decisions (`securityHub.failed`: findings not brought in line). */
  readonly sinks?: SinkSummaries;
}

export { deploymentOf } from '../shared/deployment.ts';

export function createGuardrailHandler(
  deps: GuardrailDependencies,
): (event: unknown, context?: Pick<Context, 'invokedFunctionArn'>) => Promise<GuardrailSummary> {
  const now = deps.now ?? (() => new Date());
  const { config, logger } = deps;

  return async (event, context) => {
    const auditor = deps.createAuditor();
    const records: AuditRecord[] = [];
    // Every record names the account it is about: the registry's (an event's registry is its account's).
    const record = (entry: AuditRecord) => {
      const stamped = entry.accountId === undefined ? { ...entry, accountId: entry.registryId } : entry;
      records.push(stamped);
      auditor.record(stamped);
    };
    // Set when the event is acted on in another account: its outcomes also count under that account.
    let memberAccountId: string | undefined;
    const finish = async (): Promise<GuardrailSummary> => {
      const sinks = sinkSummaries(await auditor.flush({ memberAccountId }));
      return { counts: { ...auditor.counts }, records, ...(sinks === undefined ? {} : { sinks }) };
    };

    let interpretation: ReturnType<typeof interpretEvent>;
    try {
      interpretation = interpretEvent(event, config.policy);
    } catch (error) {
      if (error instanceof InvalidEventError) {
        // Logged once with the failing paths, never the event itself; rethrown so the async-invoke
        // retry and dead-letter path keep the event.
        logger.error('rejected invalid event', { errorName: error.name, issues: error.issues });
        auditor.countInvalidEvent();
        await auditor.flush();
      }
      throw error;
    }

    const trigger = 'event' as const;
    const dryRun = config.dryRun;
    if (interpretation.kind === 'ignored') {
      const { context } = interpretation;
      record(
        ignoredRecord(
          { registryId: context.account, region: context.region },
          interpretation.reason,
          { dryRun },
          context,
        ),
      );
      return finish();
    }
    if (interpretation.kind === 'blocked-overwrite') {
      // The guard working: a push refused because the tag is immutable. Recorded, no ECR call.
      const { overwrite } = interpretation;
      record(blockedOverwriteRecord(overwrite, { trigger, dryRun }, overwrite.context));
      return finish();
    }

    const { target } = interpretation;
    const home = deploymentOf(context);
    const ignore = (reason: string) => {
      record(ignoredRecord(target, reason, { dryRun }, target.context));
      return finish();
    };
    let ecr = deps.ecr;
    if (home !== undefined && (target.registryId !== home.account || target.region !== home.region)) {
      // An event forwarded from another account or region: acted on only when that account-region is in
      // the configured scope (organisation mode, not excluded), through the member role; never otherwise.
      const route = routeEvent(
        { accountId: target.registryId, region: target.region },
        { accountId: home.account, region: home.region },
        routingSettingsOf(config.organization),
      );
      if (route.kind === 'ignored') return ignore(`${route.detail}; not acted on`);
      if (deps.memberEcr === undefined) {
        return ignore(
          `account ${route.accountId} in ${route.region}: this deployment has no member access; not acted on`,
        );
      }
      if (route.accountId !== home.account) memberAccountId = route.accountId;
      try {
        ecr = await deps.memberEcr({
          accountId: route.accountId,
          region: route.region,
          ownAccountId: home.account,
        });
      } catch (error) {
        // A role that cannot be assumed: recorded with STS's code; transient errors are redelivered.
        const options = { trigger, dryRun, region: target.region };
        const retryable = error instanceof AwsCallError && error.retryable;
        if (!retryable) record(failedRecord(target, error, options, target.context));
        else
          logger.warn('transient error reaching the member account; rethrowing for redelivery', {
            accountId: target.registryId,
            errorCode: errorCodeOf(error),
          });
        await finish();
        throw error;
      }
    }
    const options = {
      ecr,
      policy: config.policy,
      dryRun,
      now: now(),
      trigger,
      region: target.region,
    };
    try {
      const described = await ecr.describeRepository(
        { registryId: target.registryId, repositoryName: target.repositoryName },
        { awaitCreation: target.isCreation },
      );
      if (described.kind === 'gone') {
        record(
          goneRecord(
            target,
            'repository does not exist (deleted before we got to it)',
            options,
            target.context,
          ),
        );
      } else {
        record(await enforceRepository(described.facts, options, target.context));
      }
      return await finish();
    } catch (error) {
      if (error instanceof AwsCallError && !error.retryable) {
        // Permanent (e.g. AccessDeniedException): recorded and counted, then rethrown so the
        // invocation fails visibly and the event lands in the dead-letter queue.
        record(failedRecord(target, error, options, target.context));
        await finish();
      } else {
        // Throttling or a server fault that outlasted the SDK's retries: async invoke redelivers.
        logger.warn('transient error; rethrowing for redelivery', {
          repositoryName: target.repositoryName,
          errorCode: errorCodeOf(error),
        });
        await auditor.flush();
      }
      throw error;
    }
  };
}
