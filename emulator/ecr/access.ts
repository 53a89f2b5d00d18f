/** Which registry a call acts on, and the repository it names: shared by the ECR operations. */
import { AwsError } from '../core/errors.ts';
import type { MemberReader } from '../core/validate.ts';
import type { EcrContext } from './context.ts';
import { type Repository, readRegistryId, repositoryNotFound } from './model.ts';
import type { RegionRegistry } from './store.ts';

/**
 * A registry ID other than the caller's is another account's registry. The emulator grants no
 * cross-account access, so it answers as ECR does when no repository policy allows the call.
 */
export function accessDenied(
  context: EcrContext,
  operation: string,
  registryId: string,
  name: string,
): AwsError {
  return new AwsError(
    'AccessDeniedException',
    `User: arn:aws:iam::${context.account}:user/emulator is not authorized to perform: ecr:${operation} on resource: ` +
      `arn:aws:ecr:${context.region}:${registryId}:repository/${name} because no resource-based policy allows the ecr:${operation} action`,
  );
}

export function callerRegistry(
  context: EcrContext,
  reader: MemberReader,
  operation: string,
  name = '*',
): RegionRegistry {
  const registryId = readRegistryId(reader);
  if (registryId !== undefined && registryId !== context.account) {
    throw accessDenied(context, operation, registryId, name);
  }
  return context.store.registry(context.account, context.region);
}

export function existing(registry: RegionRegistry, name: string): Repository {
  const repository = registry.get(name);
  if (repository === undefined) throw repositoryNotFound(name, registry.account);
  return repository;
}
