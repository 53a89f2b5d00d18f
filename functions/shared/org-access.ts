/**
 * SDK wiring of organisation runs, shared by the functions and the CLI: the STS and Organizations clients
 * (the shared client configuration of lib/aws-client-config.ts, adaptive retries), the member credentials
 * (lib/credentials.ts: one AssumeRole per account, cached) and an ECR adapter per account-region, built
 * lazily and kept for the life of the container (or the CLI run).
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type AwsClientOptions, awsClientConfig } from '../../lib/aws-client-config.ts';
import { callWithRetries } from '../../lib/aws-retry.ts';
import type { GuardConfig } from '../../lib/config.ts';
import { createMemberCredentials, type MemberCredentials } from '../../lib/credentials.ts';
import { createEcrAdapter, type EcrAdapter } from '../../lib/ecr.ts';
import { AwsCallError } from '../../lib/errors.ts';
import { createOrganizationsAdapter } from '../../lib/organizations.ts';
import type { OrganizationLister, ScopeTarget } from '../../lib/scope.ts';

export interface OrgAccessOptions {
  /** The caller's region: STS is called there (its session tokens are valid in every region). */
  readonly region: string;
  /** The caller's own account when known (a Lambda's ARN); otherwise STS GetCallerIdentity tells. */
  readonly ownAccountId?: string | undefined;
  /** Names the member sessions (lib/credentials.ts `sessionNameFor`). */
  readonly runId: string;
  /** A member role other than the configured one (a sweep payload may name it). */
  readonly roleName?: string | undefined;
  /** Endpoint, profile and default attempts of every client (the ECR client's as well). */
  readonly client: Omit<AwsClientOptions, 'region'>;
  /** Called on every ECR client made (the CLI fails fast on an unreachable endpoint). */
  readonly onEcrClient?: ((client: ECRClient) => void) | undefined;
}

export interface OrgAccess {
  readonly ownAccountId: string;
  readonly credentials: MemberCredentials;
  /** The organisation's accounts (AWS Organizations, called only when listed). */
  readonly lister: OrganizationLister;
  /** The ECR adapter of an account-region: the caller's own credentials in its own account, the member role elsewhere. */
  ecrFor(target: ScopeTarget): EcrAdapter;
  /** Destroys every client made. */
  destroy(): void;
}

/** The account of the caller's credentials (STS GetCallerIdentity), retried like every control-plane call. */
export async function callerAccountOf(sts: STSClient): Promise<string> {
  const identity = await callWithRetries('sts', 'GetCallerIdentity', () =>
    sts.send(new GetCallerIdentityCommand({})),
  );
  if (identity.Account === undefined || !/^\d{12}$/.test(identity.Account)) {
    throw new AwsCallError('sts', 'GetCallerIdentity', 'NoAccount', false);
  }
  return identity.Account;
}

/** Builds the organisation access of one container or CLI run. */
export async function createOrgAccess(config: GuardConfig, options: OrgAccessOptions): Promise<OrgAccess> {
  // STS and Organizations are throttle-aware like ECR: adaptive retries whatever AWS_RETRY_MODE says.
  const controlPlane = awsClientConfig(
    { ...config.sdk, retryMode: 'adaptive' },
    { ...options.client, region: options.region },
  );
  const sts = new STSClient(controlPlane);
  const organizations = new OrganizationsClient(controlPlane);
  const ecrClients = new Map<string, { client: ECRClient; adapter: EcrAdapter }>();
  try {
    const ownAccountId = options.ownAccountId ?? (await callerAccountOf(sts));
    const credentials = createMemberCredentials(sts, {
      ownAccountId,
      region: options.region,
      roleName: options.roleName ?? config.organization.roleName,
      externalId: config.organization.externalId,
      runId: options.runId,
    });
    return {
      ownAccountId,
      credentials,
      lister: createOrganizationsAdapter(organizations),
      ecrFor(target) {
        const key = `${target.accountId}/${target.region}`;
        const cached = ecrClients.get(key);
        if (cached !== undefined) return cached.adapter;
        const provider = credentials.providerFor(target.accountId);
        const client = new ECRClient({
          ...awsClientConfig(config.sdk, { ...options.client, region: target.region }),
          ...(provider === undefined ? {} : { credentials: provider }),
        });
        options.onEcrClient?.(client);
        const adapter = createEcrAdapter(client);
        ecrClients.set(key, { client, adapter });
        return adapter;
      },
      destroy() {
        for (const { client } of ecrClients.values()) client.destroy();
        ecrClients.clear();
        sts.destroy();
        organizations.destroy();
      },
    };
  } catch (error) {
    sts.destroy();
    organizations.destroy();
    throw error;
  }
}
