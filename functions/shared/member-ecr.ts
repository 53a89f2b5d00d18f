/**
 * ECR adapters and forwarding-rule readers of other account-regions for the functions, built lazily and kept
 * for the container's life: the STS and Organizations clients (lib/member-access.ts) and the EventBridge
 * client are loaded on first use only, so a single-account deployment never pays for them at cold start. One
 * member access per member role name; credentials and clients are cached per account and per account-region
 * inside it.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EcrAdapter } from '../../lib/ecr.ts';
import type { ForwardingRuleReader } from '../../lib/forwarding-rule.ts';
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

export interface MemberAccessFactoryOptions {
  readonly runId: string;
  readonly defaultMaxAttempts: number;
}

/** What the functions reach in an account-region: its ECR, and its forwarding rule (lib/forwarding.ts). */
export interface MemberReach {
  /** The ECR adapter; the member role is assumed first, so one that cannot be fails with STS's code. */
  ecr(request: MemberEcrRequest): Promise<EcrAdapter>;
  /** The reader of the account-region's rules on its default bus, with the same credentials as its ECR. */
  forwardingRules(request: MemberEcrRequest): Promise<ForwardingRuleReader>;
}

export function memberAccessFactory(
  runtime: Pick<Runtime, 'config' | 'region'> & Partial<Pick<Runtime, 'limitCalls'>>,
  options: MemberAccessFactoryOptions,
): MemberReach {
  const accesses = new Map<string, Promise<MemberAccess>>();
  const readers = new Map<string, { client: EventBridgeClient; reader: ForwardingRuleReader }>();
  /** The member access of the request's role, with the account's credentials resolved. */
  async function accessFor(request: MemberEcrRequest): Promise<MemberAccess> {
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
          // The container's call limits: no STS, ECR or EventBridge call runs past the invocation's deadline.
          onClient: runtime.limitCalls,
        }),
      );
      // A failed start (STS unreachable) is not kept: the next invocation tries again.
      access.catch(() => accesses.delete(roleName));
      accesses.set(roleName, access);
    }
    const ready = await access;
    // AssumeRole now (cached), so a role that cannot be assumed fails with STS's code before any other call.
    await ready.credentials.ensure(request.accountId);
    return ready;
  }
  return {
    async ecr(request) {
      const ready = await accessFor(request);
      return ready.ecrFor({ accountId: request.accountId, region: request.region });
    },
    async forwardingRules(request) {
      const ready = await accessFor(request);
      const roleName = request.roleName ?? runtime.config.organization.roleName;
      const key = `${roleName}/${request.accountId}/${request.region}`;
      const cached = readers.get(key);
      if (cached !== undefined) return cached.reader;
      const [{ EventBridgeClient }, { createForwardingRuleReader }] = await Promise.all([
        import('@aws-sdk/client-eventbridge'),
        import('../../lib/forwarding-rule.ts'),
      ]);
      const client = new EventBridgeClient(
        ready.clientConfigFor({ accountId: request.accountId, region: request.region }),
      );
      // The same call limits as the access's own clients.
      runtime.limitCalls?.(client);
      const reader = createForwardingRuleReader(client);
      readers.set(key, { client, reader });
      return reader;
    },
  };
}

/** The ECR adapters of {@link memberAccessFactory} alone. */
export function memberEcrFactory(
  runtime: Pick<Runtime, 'config' | 'region'> & Partial<Pick<Runtime, 'limitCalls'>>,
  options: MemberAccessFactoryOptions,
): (request: MemberEcrRequest) => Promise<EcrAdapter> {
  return memberAccessFactory(runtime, options).ecr;
}
