/**
 * An organisation sweep through the library alone (no CLI, no function): the scope from AWS Organizations,
 * one cached `sts:AssumeRole` per member account (lib/credentials.ts), and the existing sweep per
 * account-region (lib/org-sweep.ts `runOverScope` + `sweepJob`) over real SDK clients built with
 * lib/aws-client-config.ts. Used by `npm run bench` (bench/org-sweep-child.ts) and `npm run test:moto`
 * (scripts/moto-org.ts) against any endpoint that speaks ECR, STS and Organizations.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig } from '../lib/aws-client-config.ts';
import { loadConfig } from '../lib/config.ts';
import { type AwsCredentials, createMemberCredentials } from '../lib/credentials.ts';
import { createEcrAdapter } from '../lib/ecr.ts';
import { type OrgRunSummary, runOverScope, type ScopedAuditRecord, sweepJob } from '../lib/org-sweep.ts';
import { createOrganizationsAdapter } from '../lib/organizations.ts';
import { parseScopeRequest, resolveScope, type Scope } from '../lib/scope.ts';
import { parseSweepInput } from '../lib/sweep-input.ts';

export interface OrgSweepOptions {
  /** Every service's endpoint (the emulator or moto). */
  readonly endpoint: string;
  /** The caller's credentials (an access key of the central account). */
  readonly credentials: AwsCredentials;
  /** The account those credentials belong to: swept with them, never assumed into. */
  readonly ownAccountId: string;
  /** The caller's region (STS, the partition of role ARNs). */
  readonly homeRegion: string;
  readonly regions: readonly string[];
  readonly excludeAccounts?: readonly string[] | undefined;
  readonly roleName?: string | undefined;
  /** Account-regions at once. */
  readonly maxParallel: number;
  /** Repositories at once within an account-region (the sweep's adaptive limit starts here). */
  readonly concurrency: number;
  readonly runId: string;
  readonly dryRun?: boolean | undefined;
  readonly record?: ((record: ScopedAuditRecord) => void) | undefined;
}

export interface OrgSweepOutcome {
  readonly scope: Scope;
  readonly summary: OrgRunSummary;
  /** AssumeRole requests lib/credentials.ts sent. */
  readonly assumeRoleCalls: number;
}

export async function sweepOrganization(options: OrgSweepOptions): Promise<OrgSweepOutcome> {
  const config = loadConfig({});
  const base = awsClientConfig(config.sdk, { defaultMaxAttempts: 8, endpoint: options.endpoint });
  const credentials = options.credentials;
  const sts = new STSClient({ ...base, region: options.homeRegion, credentials });
  // Organizations is a global service whose endpoint is in us-east-1.
  const organizations = new OrganizationsClient({ ...base, region: 'us-east-1', credentials });
  try {
    const members = createMemberCredentials(sts, {
      ownAccountId: options.ownAccountId,
      region: options.homeRegion,
      roleName: options.roleName,
      runId: options.runId,
      ownCredentials: async () => credentials,
    });
    const scope = await resolveScope(
      parseScopeRequest({
        organization: true,
        excludeAccounts: options.excludeAccounts === undefined ? undefined : [...options.excludeAccounts],
        regions: [...options.regions],
      }),
      createOrganizationsAdapter(organizations),
      // The caller's own account needs no member role, the management account included.
      { callerAccountId: options.ownAccountId },
    );
    const request = parseSweepInput({ trigger: 'sweep', dryRun: options.dryRun ?? false }, false);
    const job = sweepJob(request, (target) => {
      // One client per account-region: its adaptive retry learns that account-region's rate limit.
      const client = new ECRClient({
        ...base,
        region: target.region,
        credentials: members.providerFor(target.accountId) ?? credentials,
      });
      return {
        deps: {
          ecr: createEcrAdapter(client),
          region: target.region,
          policy: config.policy,
          now: () => new Date(),
          remainingMs: () => Number.POSITIVE_INFINITY,
          safetyMarginMs: 0,
          maxConcurrency: options.concurrency,
        },
        close: () => client.destroy(),
      };
    });
    const summary = await runOverScope(scope, job, {
      maxParallel: options.maxParallel,
      prepareAccount: (accountId) => members.ensure(accountId),
      record: options.record ?? (() => {}),
    });
    return { scope, summary, assumeRoleCalls: members.assumeRoleCalls };
  } finally {
    sts.destroy();
    organizations.destroy();
  }
}
