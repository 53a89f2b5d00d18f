/**
 * The SDK wiring of a scope's accounts, shared by the functions and the CLI: the STS and Organizations
 * clients (the shared client configuration of lib/aws-client-config.ts, adaptive retries), the caller's own
 * account (STS GetCallerIdentity, once), the member credentials (lib/credentials.ts: one AssumeRole per
 * account, cached; the caller's own account keeps the caller's credentials) and an ECR adapter per
 * account-region, built lazily and kept for the life of the container (or the CLI run).
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { callWithRetries } from './aws-call.ts';
import { type AwsClientConfig, type AwsClientOptions, awsClientConfig } from './aws-client-config.ts';
import type { ClientHook } from './call-limits.ts';
import type { GuardConfig } from './config.ts';
import {
  type AwsCredentialsProvider,
  createMemberCredentials,
  type MemberCredentials,
} from './credentials.ts';
import { createEcrAdapter, type EcrAdapter } from './ecr.ts';
import { AwsCallError } from './errors.ts';
import { createOrganizationsAdapter } from './organizations.ts';
import type { OrganizationLister, ScopeTarget } from './scope.ts';

export interface MemberAccessOptions {
  /** The caller's region: STS is called there (its session tokens are valid in every region). */
  readonly region: string;
  /**
   * The caller's own account when known (a Lambda's ARN; the CLI's `--registry-id`): it is acted on with
   * the caller's own credentials. Otherwise STS GetCallerIdentity tells.
   */
  readonly ownAccountId?: string | undefined;
  /** Names the member sessions (lib/credentials.ts `sessionNameFor`). */
  readonly runId: string;
  /** A member role other than the configured one (a sweep payload may name it). */
  readonly roleName?: string | undefined;
  /** Endpoint, profile and default attempts of every client (the ECR client's as well). */
  readonly client: Omit<AwsClientOptions, 'region'>;
  /** Called on every client made here (STS, Organizations, ECR). */
  readonly onClient?: ClientHook | undefined;
}

/** An SDK client's configuration in one account-region: the shared one, with that account's credentials. */
export type AccountClientConfig = AwsClientConfig & { readonly credentials?: AwsCredentialsProvider };

export interface MemberAccess {
  readonly ownAccountId: string;
  readonly credentials: MemberCredentials;
  /** The organisation's accounts (AWS Organizations, called only when listed). */
  readonly lister: OrganizationLister;
  /** The ECR adapter of an account-region: the caller's own credentials in its own account, the member role elsewhere. */
  ecrFor(target: ScopeTarget): EcrAdapter;
  /** The configuration of another client in this account-region, with the same credentials as {@link ecrFor}. */
  clientConfigFor(target: ScopeTarget, defaultMaxAttempts?: number): AccountClientConfig;
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

/** Builds the access of one container or CLI run. */
export async function createMemberAccess(
  config: GuardConfig,
  options: MemberAccessOptions,
): Promise<MemberAccess> {
  // STS and Organizations are throttle-aware like ECR: adaptive retries whatever AWS_RETRY_MODE says.
  const controlPlane = awsClientConfig(
    { ...config.sdk, retryMode: 'adaptive' },
    { ...options.client, region: options.region },
  );
  const sts = new STSClient(controlPlane);
  const organizations = new OrganizationsClient(controlPlane);
  options.onClient?.(sts);
  options.onClient?.(organizations);
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
    const clientConfigFor = (target: ScopeTarget, defaultMaxAttempts?: number): AccountClientConfig => {
      const provider = credentials.providerFor(target.accountId);
      return {
        ...awsClientConfig(config.sdk, {
          ...options.client,
          region: target.region,
          ...(defaultMaxAttempts === undefined ? {} : { defaultMaxAttempts }),
        }),
        ...(provider === undefined ? {} : { credentials: provider }),
      };
    };
    return {
      ownAccountId,
      credentials,
      lister: createOrganizationsAdapter(organizations),
      ecrFor(target) {
        const key = `${target.accountId}/${target.region}`;
        const cached = ecrClients.get(key);
        if (cached !== undefined) return cached.adapter;
        const client = new ECRClient(clientConfigFor(target));
        options.onClient?.(client);
        const adapter = createEcrAdapter(client);
        ecrClients.set(key, { client, adapter });
        return adapter;
      },
      clientConfigFor,
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
