/**
 * The shared "decide → apply" step for one repository, used by the guardrail and the sweep.
 * It talks to ECR only through the {@link EcrAdapter} interface it is given.
 */
import { type AuditRecord, type Outcome, type Trigger, toAuditSetting } from './audit.ts';
import type { EcrAdapter } from './ecr.ts';
import { EcrCallError, errorCodeOf } from './errors.ts';
import type { EventContext } from './events.ts';
import { evaluateRepository, type Policy, type RepositoryFacts } from './policy.ts';

export interface EnforceOptions {
  readonly ecr: EcrAdapter;
  readonly policy: Policy;
  readonly dryRun: boolean;
  readonly now: Date;
  readonly trigger: Trigger;
  readonly region: string;
}

function eventFields(context: EventContext | undefined) {
  if (context === undefined) return {};
  return {
    eventId: context.eventId,
    eventName: context.eventName,
    actor: context.actor,
    sourceIp: context.sourceIp,
  };
}

/** Builds an audit record for a repository we looked at. */
export function repositoryRecord(
  facts: Pick<RepositoryFacts, 'repositoryName' | 'repositoryArn' | 'registryId' | 'setting'>,
  outcome: Outcome,
  reason: string,
  options: Pick<EnforceOptions, 'trigger' | 'dryRun' | 'region'>,
  extra: {
    after?: RepositoryFacts['setting'] | undefined;
    context?: EventContext | undefined;
    errorCode?: string;
  } = {},
): AuditRecord {
  return {
    outcome,
    repositoryName: facts.repositoryName,
    repositoryArn: facts.repositoryArn,
    registryId: facts.registryId,
    region: options.region,
    before: toAuditSetting(facts.setting),
    after: toAuditSetting(extra.after ?? facts.setting),
    trigger: options.trigger,
    dryRun: options.dryRun,
    reason,
    ...eventFields(extra.context),
    ...(extra.errorCode !== undefined ? { errorCode: extra.errorCode } : {}),
  };
}

/** A record for a repository that no longer exists (deleted before we got to it). */
export function goneRecord(
  ref: { repositoryName: string; registryId: string | undefined },
  reason: string,
  options: Pick<EnforceOptions, 'trigger' | 'dryRun' | 'region'>,
  context?: EventContext,
): AuditRecord {
  return {
    outcome: 'gone',
    repositoryName: ref.repositoryName,
    repositoryArn: undefined,
    registryId: ref.registryId,
    region: options.region,
    before: undefined,
    after: undefined,
    trigger: options.trigger,
    dryRun: options.dryRun,
    reason,
    ...eventFields(context),
  };
}

/** A record for a repository we could not act on, with the AWS error code. */
export function failedRecord(
  facts: Pick<RepositoryFacts, 'repositoryName'> &
    Partial<Pick<RepositoryFacts, 'repositoryArn' | 'setting'>> & { readonly registryId: string | undefined },
  error: unknown,
  options: Pick<EnforceOptions, 'trigger' | 'dryRun' | 'region'>,
  context?: EventContext,
): AuditRecord {
  const errorCode = errorCodeOf(error);
  const operation = error instanceof EcrCallError ? `${error.operation} ` : '';
  return {
    outcome: 'failed',
    repositoryName: facts.repositoryName,
    repositoryArn: facts.repositoryArn,
    registryId: facts.registryId,
    region: options.region,
    before: toAuditSetting(facts.setting),
    after: toAuditSetting(facts.setting),
    trigger: options.trigger,
    dryRun: options.dryRun,
    reason: `${operation}failed with ${errorCode}`,
    errorCode,
    ...eventFields(context),
  };
}

/**
 * Decides one described repository and applies the decision: fetches tags only when the policy
 * asks for them, writes only when non-compliant and not in dry-run. Idempotent: a compliant
 * repository costs no call at all.
 *
 * @throws EcrCallError when an ECR call fails after the SDK's retries; the caller decides whether
 *   that is a `failed` record (sweep) or a redelivery (guardrail, for retryable errors).
 */
export async function enforceRepository(
  facts: RepositoryFacts,
  options: EnforceOptions,
  context?: EventContext,
): Promise<AuditRecord> {
  let decision = evaluateRepository(facts, options.policy, options.now);
  let current = facts;
  if (decision.kind === 'needs-tags') {
    const tags = await options.ecr.listTags(facts);
    if (tags.kind === 'gone') {
      return goneRecord(facts, 'repository was deleted before its tags were read', options, context);
    }
    current = { ...facts, tags: tags.tags };
    decision = evaluateRepository(current, options.policy, options.now);
  }
  switch (decision.kind) {
    case 'compliant':
      return repositoryRecord(current, 'compliant', decision.reason, options, { context });
    case 'exempt':
      return repositoryRecord(current, 'exempt', decision.reason, options, { context });
    case 'needs-tags':
      // evaluateRepository never asks twice once tags are present.
      throw new EcrCallError('ListTagsForResource', 'TagsUnavailable', false);
    case 'remediate': {
      if (options.dryRun) {
        return repositoryRecord(current, 'would-remediate', `dry-run: ${decision.reason}`, options, {
          after: decision.desired,
          context,
        });
      }
      const result = await options.ecr.setMutability(current, decision.desired);
      if (result.kind === 'gone') {
        return goneRecord(current, 'repository was deleted before it could be set', options, context);
      }
      return repositoryRecord(current, 'remediated', decision.reason, options, {
        after: result.facts.setting,
        context,
      });
    }
  }
}
