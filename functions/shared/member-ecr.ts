/**
 * ECR adapters of other account-regions for the functions, built lazily and kept for the container's
 * life: the STS and Organizations clients (lib/member-access.ts) are loaded on first use only, so a
 * single-account deployment never pays for them at cold start. One member access per member role name;
 * credentials and ECR clients are cached per account and per account-region inside it.
 */
import type { EcrAdapter } from '../../lib/ecr.ts';
import type { MemberAccess } from '../../lib/member-access.ts';
import type { Runtime } from './runtime.ts';

export interface MemberEcrRequest {
  readonly accountId: string;
  readonly region: string;
  /** Another member role than the configured one. */
  readonly roleName?: string | undefined;
  /** The function's own account (from its ARN); unknown: STS GetCallerIdentity tells. */
  readonly ownAccountId: string | undefined;
}

export function memberEcrFactory(
  runtime: Pick<Runtime, 'config' | 'region'> & Partial<Pick<Runtime, 'limitCalls'>>,
  options: { readonly runId: string; readonly defaultMaxAttempts: number },
): (request: MemberEcrRequest) => Promise<EcrAdapter> {
  const accesses = new Map<string, Promise<MemberAccess>>();
  return async (request) => {
    const roleName = request.roleName ?? runtime.config.organization.roleName;
    let access = accesses.get(roleName);
    if (access === undefined) {
      access = import('../../lib/member-access.ts').then(({ createMemberAccess }) =>
        createMemberAccess(runtime.config, {
          region: runtime.region,
          ownAccountId: request.ownAccountId,
          runId: options.runId,
          roleName,
          client: { defaultMaxAttempts: options.defaultMaxAttempts },
          // The container's call limits: no STS or ECR call runs past the invocation's deadline.
          onClient: runtime.limitCalls,
        }),
      );
      // A failed start (STS unreachable) is not kept: the next invocation tries again.
      access.catch(() => accesses.delete(roleName));
      accesses.set(roleName, access);
    }
    const ready = await access;
    const target = { accountId: request.accountId, region: request.region };
    // AssumeRole now (cached), so a role that cannot be assumed fails with STS's code before any ECR call.
    await ready.credentials.ensure(target.accountId);
    return ready.ecrFor(target);
  };
}
