/**
 * The shared decide → apply → record step, used by the guardrail, the sweep and the CLI: one for a
 * repository ({@link enforceRepository}), one for a repository creation template ({@link enforceTemplate}).
 * Each reads current state, decides with lib/decision.ts, writes only when non-compliant and not in dry-run,
 * and returns the audit record (built by lib/audit.ts). It talks to ECR only through the
 * {@link EcrAdapter} it is given. See docs/architecture.md, "Outcomes".
 */
import { type AuditRecord, goneRecord, repositoryRecord, type Trigger, templateRecord } from './audit.ts';
import { evaluateRepository, evaluateTemplate } from './decision.ts';
import type { EcrAdapter } from './ecr.ts';
import { AwsCallError } from './errors.ts';
import type { EventContext } from './events.ts';
import type { Policy, RepositoryFacts, TemplateFacts } from './policy.ts';

export interface EnforceOptions {
  readonly ecr: EcrAdapter;
  readonly policy: Policy;
  readonly dryRun: boolean;
  readonly now: Date;
  readonly trigger: Trigger;
  readonly region: string;
}

/**
 * Decides one described repository and applies the decision: fetches tags only when the policy
 * asks for them, writes only when non-compliant and not in dry-run. Idempotent: a compliant
 * repository costs no call at all.
 *
 * @throws AwsCallError when an ECR call fails after the SDK's retries; the caller decides whether
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
      // Stryker disable next-line StringLiteral,BooleanLiteral: unreachable, evaluateRepository asks for tags only while facts.tags is undefined, and `current` has them here
      throw new AwsCallError('ecr', 'ListTagsForResource', 'TagsUnavailable', false);
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

/**
 * Decides one repository creation template and applies the decision, as {@link enforceRepository}
 * does for a repository: templates decide how the repositories ECR creates itself are born.
 *
 * @throws AwsCallError when UpdateRepositoryCreationTemplate fails after the SDK's retries; the
 *   caller records it (see `templateFailedRecord` in lib/audit.ts).
 */
export async function enforceTemplate(
  template: TemplateFacts,
  options: EnforceOptions,
): Promise<AuditRecord> {
  const decision = evaluateTemplate(template, options.policy);
  switch (decision.kind) {
    case 'compliant':
      return templateRecord(template, 'compliant', decision.reason, options);
    case 'remediate': {
      if (options.dryRun) {
        return templateRecord(template, 'would-remediate', `dry-run: ${decision.reason}`, options, {
          after: decision.desired,
        });
      }
      const result = await options.ecr.setTemplateMutability(template, decision.desired);
      if (result.kind === 'gone') {
        return templateRecord(template, 'gone', 'template was deleted before it could be set', options);
      }
      return templateRecord(template, 'remediated', decision.reason, options, {
        after: result.template.setting,
      });
    }
  }
}
