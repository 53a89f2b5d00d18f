/**
 * ECR's shapes and the facts the policy reads (lib/policy.ts), both ways: a repository or creation
 * template as the SDK returns it, the target as a write sends it, and the name ECR's not-found message
 * names. Types only from `@aws-sdk/client-ecr`; the calls are lib/ecr.ts.
 */
import type {
  ImageTagMutability,
  ImageTagMutabilityExclusionFilter,
  Repository,
  RepositoryCreationTemplate,
} from '@aws-sdk/client-ecr';
import type { RepositoryFacts, TargetSetting, TemplateFacts } from './policy.ts';

/** ECR's filter list → plain filter strings. */
export function filtersOf(entries: readonly { filter?: string | undefined }[] | undefined): string[] {
  return (entries ?? []).flatMap((entry) => (entry.filter ? [entry.filter] : []));
}

/**
 * The target as a write of ECR wants it (PutImageTagMutability, UpdateRepositoryCreationTemplate): its
 * mutability, and its filters as WILDCARD filters, only with IMMUTABLE_WITH_EXCLUSION.
 */
export function mutabilityRequest(desired: TargetSetting): {
  imageTagMutability: ImageTagMutability;
  imageTagMutabilityExclusionFilters: ImageTagMutabilityExclusionFilter[] | undefined;
} {
  return {
    imageTagMutability: desired.mutability,
    imageTagMutabilityExclusionFilters:
      desired.mutability === 'IMMUTABLE_WITH_EXCLUSION'
        ? desired.exclusionFilters.map((filter) => ({ filter, filterType: 'WILDCARD' }))
        : undefined,
  };
}

/** Maps an SDK repository to the facts the policy reads. Undefined for a malformed entry. */
export function toRepositoryFacts(repository: Repository): RepositoryFacts | undefined {
  const { repositoryName, repositoryArn, registryId } = repository;
  if (!repositoryName || !repositoryArn || !registryId) return undefined;
  return {
    repositoryName,
    repositoryArn,
    registryId,
    setting: {
      // A repository created before the setting existed reports none: ECR's default is MUTABLE.
      mutability: repository.imageTagMutability ?? 'MUTABLE',
      exclusionFilters: filtersOf(repository.imageTagMutabilityExclusionFilters),
    },
  };
}

/** Maps an SDK creation template to the facts the policy reads. */
export function toTemplateFacts(
  template: RepositoryCreationTemplate,
  registryId: string,
): TemplateFacts | undefined {
  if (!template.prefix) return undefined;
  return {
    prefix: template.prefix,
    registryId,
    setting: {
      mutability: template.imageTagMutability ?? 'MUTABLE',
      exclusionFilters: filtersOf(template.imageTagMutabilityExclusionFilters),
    },
  };
}

/** Extracts the repository name from ECR's not-found message ("The repository with name 'x' does not exist …"). */
export function missingNameFromMessage(message: string): string | undefined {
  return /repository with name '([^']+)'/.exec(message)?.[1];
}
