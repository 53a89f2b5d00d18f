/**
 * The small organisation of the demo (`npm start`) and the organisation end-to-end tests: four ACTIVE
 * accounts × two regions and one SUSPENDED account. The management account runs the guard; two members
 * trust it through the member role; one member has no member role (its AssumeRole is denied, so its
 * account-regions end `failed` with `AccessDenied`); the suspended account is listed as skipped.
 */
import type { OrganizationSeedRequest } from '../emulator/index.ts';

export const ORG_REGIONS = ['eu-west-1', 'us-east-1'] as const;
export const ORG_ROLE_NAME = 'EcrImmutabilityGuardMember';
/** The management account's access key: the caller's own credentials. */
export const MANAGEMENT_ACCESS_KEY = 'AKIAMANAGEMENT000001';

export const ORG_ACCOUNTS = {
  management: '111111111111',
  payments: '222222222222',
  analytics: '333333333333',
  /** ACTIVE, but no member role: AssumeRole is denied. */
  legacy: '444444444444',
  /** SUSPENDED: skipped. */
  closed: '555555555555',
} as const;

/** Mutable repositories per account-region: `mutableEvery` of `count` are MUTABLE. */
export const REPOSITORIES_PER_ACCOUNT_REGION = 6;
export const MUTABLE_EVERY = 2;

/**
 * The exemptions of the demo organisation, as flags of every command: repositories under `sandbox/` by
 * name, and the exemption tags (reason and expiry) the seed puts on some repositories.
 */
export const ORG_POLICY_FLAGS = [
  '--exempt-repository',
  'sandbox/**',
  '--exempt-tag-key',
  'ecr-guard:exempt',
  '--exempt-expiry-tag-key',
  'ecr-guard:exempt-until',
] as const;

export function orgSeed(): OrganizationSeedRequest {
  const { management, payments, analytics, legacy, closed } = ORG_ACCOUNTS;
  const memberRole = (account: string) => ({
    account,
    name: ORG_ROLE_NAME,
    trustedPrincipals: [management],
  });
  return {
    organization: { managementAccount: management },
    organizationalUnits: [{ name: 'Workloads' }],
    accounts: [
      { id: management, name: 'management', accessKeyIds: [MANAGEMENT_ACCESS_KEY] },
      { id: payments, name: 'payments', ou: 'Workloads' },
      { id: analytics, name: 'analytics', ou: 'Workloads' },
      { id: legacy, name: 'legacy', ou: 'Workloads' },
      { id: closed, name: 'closed', ou: 'Workloads', status: 'SUSPENDED' },
    ],
    roles: [memberRole(payments), memberRole(analytics)],
    registries: [management, payments, analytics, legacy, closed].flatMap((account) =>
      ORG_REGIONS.map((region) => ({
        account,
        region,
        generate: {
          count: REPOSITORIES_PER_ACCOUNT_REGION,
          prefix: 'team',
          mutableEvery: MUTABLE_EVERY,
        },
      })),
    ),
  };
}
