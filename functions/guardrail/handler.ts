/**
 * The guardrail: one EventBridge event in (a CloudTrail CreateRepository / PutImageTagMutability),
 * parse → load → decide → apply → record. Built by a factory so tests pass their own dependencies.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import {
  type AuditRecord,
  failedRecord,
  goneRecord,
  ignoredRecord,
  type OutcomeCounts,
} from '../../lib/audit.ts';
import type { Auditor } from '../../lib/auditor.ts';
import type { GuardConfig } from '../../lib/config.ts';
import type { EcrAdapter } from '../../lib/ecr.ts';
import { enforceRepository } from '../../lib/enforce.ts';
import { EcrCallError, errorCodeOf, InvalidEventError } from '../../lib/errors.ts';
import { interpretEvent } from '../../lib/events.ts';

export interface GuardrailDependencies {
  readonly config: GuardConfig;
  readonly ecr: EcrAdapter;
  readonly logger: Logger;
  /** A fresh auditor per invocation (counts are per event). */
  readonly createAuditor: () => Auditor;
  readonly now?: () => Date;
}

export interface GuardrailSummary {
  readonly counts: OutcomeCounts;
  readonly records: AuditRecord[];
}

/**
 * The account and region this function runs in, from its own ARN
 * (`arn:<partition>:lambda:<region>:<account>:function:<name>`); undefined without a Lambda context.
 */
export function deploymentOf(
  context: Pick<Context, 'invokedFunctionArn'> | undefined,
): { account: string; region: string } | undefined {
  const [arn, , service, region, account] = context?.invokedFunctionArn?.split(':') ?? [];
  if (arn !== 'arn' || service !== 'lambda' || !region || !account || !/^\d{12}$/.test(account)) {
    return undefined;
  }
  return { account, region };
}

export function createGuardrailHandler(
  deps: GuardrailDependencies,
): (event: unknown, context?: Pick<Context, 'invokedFunctionArn'>) => Promise<GuardrailSummary> {
  const now = deps.now ?? (() => new Date());
  const { config, logger } = deps;

  return async (event, context) => {
    const auditor = deps.createAuditor();
    const records: AuditRecord[] = [];
    const record = (entry: AuditRecord) => {
      records.push(entry);
      auditor.record(entry);
    };
    const finish = async () => {
      await auditor.flush();
      return { counts: { ...auditor.counts }, records };
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
      const tag = overwrite.imageTag === undefined ? 'a tag' : `tag '${overwrite.imageTag}'`;
      record({
        outcome: 'blocked-overwrite',
        repositoryName: overwrite.repositoryName,
        repositoryArn: undefined,
        registryId: overwrite.registryId,
        region: overwrite.region,
        before: undefined,
        after: undefined,
        trigger,
        dryRun,
        reason: `push to ${tag} refused with ${overwrite.errorCode}: the tag is immutable`,
        eventId: overwrite.context.eventId,
        eventName: overwrite.context.eventName,
        actor: overwrite.context.actor,
        sourceIp: overwrite.context.sourceIp,
        errorCode: overwrite.errorCode,
        imageTag: overwrite.imageTag,
      });
      return finish();
    }

    const { target } = interpretation;
    const home = deploymentOf(context);
    if (home !== undefined && (target.registryId !== home.account || target.region !== home.region)) {
      // An event forwarded from another account or region: a single-account, single-region deployment
      // never reads or writes a registry other than its own (nor a same-named repository of its own).
      record(
        ignoredRecord(
          target,
          `registry ${target.registryId} in ${target.region} is not this deployment's (${home.account} in ${home.region}); not acted on`,
          { dryRun },
          target.context,
        ),
      );
      return finish();
    }
    const options = {
      ecr: deps.ecr,
      policy: config.policy,
      dryRun,
      now: now(),
      trigger,
      region: target.region,
    };
    try {
      const described = await deps.ecr.describeRepository(
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
      if (error instanceof EcrCallError && !error.retryable) {
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
