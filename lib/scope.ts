/**
 * Organisation scope: which (account, region) pairs a run covers (lib/event-routing.ts decides whether the
 * guardrail may act on one event). Pure: the organisation's accounts come from an injected
 * {@link OrganizationLister} (lib/organizations.ts implements it over AWS Organizations), so this file has
 * no SDK, clock or environment.
 *
 * Nothing is silently dropped: an account that is in the requested scope but will not be acted on (excluded,
 * suspended, closing, closed, not yet active, unknown to the organisation, the management account) is listed
 * in {@link Scope.skipped} with its reason.
 *
 * The management account: service-managed StackSets never deploy to it
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html),
 * so it has no member role unless someone deployed the member template there by hand. It is skipped with that
 * reason unless the request includes it, or unless the caller is the management account itself (it then acts
 * with its own credentials and needs no member role).
 */
import * as z from 'zod/mini';
import { InvalidInputError } from './errors.ts';
import { formatIssues } from './validation.ts';

/** An AWS account id: exactly 12 digits. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/**
 * Organizations parent ids, as the API documents them for `ParentId`
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html):
 * a root `r-` + 4-32 of [0-9a-z], or an OU `ou-` + 4-32 of [0-9a-z] + `-` + 8-32 of [a-z0-9].
 */
export const ROOT_ID_PATTERN = /^r-[0-9a-z]{4,32}$/;
export const OU_ID_PATTERN = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
/** An AWS region name (`eu-west-1`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`); same rule as the CLI's. */
export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

const got = (input: unknown) => `, got ${JSON.stringify(input)}`;

export const accountIdSchema = z
  .string()
  .check(
    z.regex(ACCOUNT_ID_PATTERN, { error: (issue) => `must be a 12-digit account id${got(issue.input)}` }),
  );

export const parentIdSchema = z.string().check(
  z.refine((value) => ROOT_ID_PATTERN.test(value) || OU_ID_PATTERN.test(value), {
    error: (issue) =>
      `must be an organizational unit id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)${got(issue.input)}`,
  }),
);

export const regionSchema = z.string().check(
  z.regex(REGION_PATTERN, {
    error: (issue) => `must be an AWS region such as eu-west-1${got(issue.input)}`,
  }),
);

/** What a caller (CLI flags, sweep payload, configuration) asks the scope to be, before validation. */
export const ScopeInputSchema = z.strictObject({
  /** Explicit accounts; with `organization`, restricts the organisation's accounts to these. */
  accounts: z.optional(z.array(accountIdSchema).check(z.minLength(1, 'must not be empty'))),
  /** Take the accounts from AWS Organizations. */
  organization: z.optional(z.boolean()),
  /** With `organization`: only accounts under these OUs or roots (walked recursively). */
  organizationalUnits: z.optional(z.array(parentIdSchema).check(z.minLength(1, 'must not be empty'))),
  excludeAccounts: z.optional(z.array(accountIdSchema)),
  /** With `organization`: sweep the management account too (its member role was deployed by hand). */
  includeManagementAccount: z.optional(z.boolean()),
  regions: z.array(regionSchema).check(z.minLength(1, 'must name at least one region')),
});

/** A validated, de-duplicated scope request. */
export interface ScopeRequest {
  /** True: accounts come from AWS Organizations (ACTIVE ones in scope, the others skipped). */
  readonly organization: boolean;
  /** Explicit accounts (sorted, unique); in organisation mode a restriction of the organisation's accounts. */
  readonly accountIds: readonly string[] | undefined;
  /** Organisation mode only: the OUs/roots whose accounts (recursively) are in scope; undefined = whole organisation. */
  readonly parentIds: readonly string[] | undefined;
  readonly excludedAccountIds: readonly string[];
  /** Organisation mode only: the management account is acted on like a member (through the member role). */
  readonly includeManagementAccount: boolean;
  /** Sorted, unique. */
  readonly regions: readonly string[];
}

const uniqueSorted = (values: readonly string[]): string[] => [...new Set(values)].sort();

/**
 * Validates a scope request.
 *
 * @throws InvalidInputError naming each bad field and what was written there.
 */
export function parseScopeRequest(input: unknown): ScopeRequest {
  const result = ScopeInputSchema.safeParse(input);
  if (!result.success) throw new InvalidInputError(formatIssues(result.error));
  const {
    accounts,
    organization = false,
    organizationalUnits,
    excludeAccounts = [],
    includeManagementAccount = false,
    regions,
  } = result.data;
  const issues: string[] = [];
  if (!organization && accounts === undefined) {
    issues.push('accounts: required unless organization is true');
  }
  if (!organization && organizationalUnits !== undefined) {
    issues.push('organizationalUnits: only valid with organization: true');
  }
  if (!organization && includeManagementAccount) {
    issues.push('includeManagementAccount: only valid with organization: true');
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
  return {
    organization,
    accountIds: accounts === undefined ? undefined : uniqueSorted(accounts),
    parentIds: organizationalUnits === undefined ? undefined : uniqueSorted(organizationalUnits),
    excludedAccountIds: uniqueSorted(excludeAccounts),
    includeManagementAccount,
    regions: uniqueSorted(regions),
  };
}

/**
 * An account as AWS Organizations lists it. `state` is the account's `State` (or the older `Status`):
 * `ACTIVE`, `PENDING_ACTIVATION`, `SUSPENDED`, `PENDING_CLOSURE`, `CLOSED`, or undefined when not reported
 * (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_account_state.html).
 */
export interface OrganizationAccount {
  readonly accountId: string;
  readonly name: string | undefined;
  readonly state: string | undefined;
}

/** What the organisation says about itself (AWS Organizations `DescribeOrganization`). */
export interface OrganizationFacts {
  /** The management account (`MasterAccountId`). */
  readonly managementAccountId: string;
}

/** Where organisation accounts come from (lib/organizations.ts over AWS Organizations; a table in tests). */
export interface OrganizationLister {
  /** Every account of the organisation, in any state. */
  listAccounts(): Promise<readonly OrganizationAccount[]>;
  /** Every account under these OUs/roots, recursively, in any state. */
  listAccountsUnder(parentIds: readonly string[]): Promise<readonly OrganizationAccount[]>;
  /** The organisation's management account. */
  describeOrganization(): Promise<OrganizationFacts>;
}

/** Why an account of the requested scope is not acted on. */
export type SkipReason =
  | 'excluded'
  | 'pending-activation'
  | 'suspended'
  | 'pending-closure'
  | 'closed'
  | 'unknown-state'
  | 'not-in-organization'
  | 'management-account';

export interface ScopeAccount {
  readonly accountId: string;
  readonly name: string | undefined;
}

export interface SkippedAccount extends ScopeAccount {
  readonly reason: SkipReason;
  /** A sentence for people: what was seen (the account's state, the exclusion). */
  readonly detail: string;
}

/** One unit of work: an account in a region. */
export interface ScopeTarget {
  readonly accountId: string;
  readonly region: string;
}

/** A resolved scope. Every list is sorted (accounts by id, then regions by name), so runs are reproducible. */
export interface Scope {
  /** Accounts acted on. */
  readonly accounts: readonly ScopeAccount[];
  /** Accounts of the requested scope that are not acted on, each with its reason. */
  readonly skipped: readonly SkippedAccount[];
  readonly regions: readonly string[];
  /** `accounts × regions`, account-major. */
  readonly targets: readonly ScopeTarget[];
}

/** The skip reason for an account in this state; undefined for ACTIVE (the only state acted on). */
export function skipReasonOfState(state: string | undefined): SkipReason | undefined {
  switch (state) {
    case 'ACTIVE':
      return undefined;
    case 'PENDING_ACTIVATION':
      return 'pending-activation';
    case 'SUSPENDED':
      return 'suspended';
    case 'PENDING_CLOSURE':
      return 'pending-closure';
    case 'CLOSED':
      return 'closed';
    default:
      // Never act on an account whose state we cannot confirm as ACTIVE.
      return 'unknown-state';
  }
}

/** Who resolves the scope, and what the organisation said about itself. */
export interface ScopeContext {
  /** The organisation's management account; unknown outside organisation mode. */
  readonly managementAccountId?: string | undefined;
  /** The account whose credentials run the scope: it reaches itself without a member role. */
  readonly callerAccountId?: string | undefined;
}

/** The detail of a skipped management account: why, and how to include it. */
export const MANAGEMENT_ACCOUNT_DETAIL =
  'the management account: service-managed StackSets deploy no member role there; to sweep it, deploy the member template there by hand and set includeManagementAccount (--include-management-account)';

/**
 * Builds the scope from a validated request and, in organisation mode, the accounts the organisation
 * listed (duplicates, e.g. from overlapping OUs, are merged). The management account is skipped unless the
 * request includes it or it is the caller's own account. Pure and synchronous.
 */
export function buildScope(
  request: ScopeRequest,
  listed: readonly OrganizationAccount[] = [],
  context: ScopeContext = {},
): Scope {
  const excluded = new Set(request.excludedAccountIds);
  const candidates = new Map<
    string,
    { name: string | undefined; skip?: Omit<SkippedAccount, 'accountId'> }
  >();

  if (!request.organization) {
    for (const accountId of request.accountIds ?? []) candidates.set(accountId, { name: undefined });
  } else {
    const byId = new Map<string, OrganizationAccount>();
    for (const account of listed) if (!byId.has(account.accountId)) byId.set(account.accountId, account);
    const wanted = request.accountIds ?? [...byId.keys()];
    for (const accountId of wanted) {
      const account = byId.get(accountId);
      if (account === undefined) {
        const where = request.parentIds === undefined ? 'the organization' : 'the given organizational units';
        candidates.set(accountId, {
          name: undefined,
          skip: { name: undefined, reason: 'not-in-organization', detail: `not an account of ${where}` },
        });
        continue;
      }
      const reason = skipReasonOfState(account.state);
      if (reason === undefined && isUnreachableManagementAccount(accountId, request, context)) {
        candidates.set(accountId, {
          name: account.name,
          skip: { name: account.name, reason: 'management-account', detail: MANAGEMENT_ACCOUNT_DETAIL },
        });
        continue;
      }
      candidates.set(
        accountId,
        reason === undefined
          ? { name: account.name }
          : {
              name: account.name,
              skip: {
                name: account.name,
                reason,
                detail: `account state is ${account.state ?? 'not reported'}`,
              },
            },
      );
    }
  }

  const accounts: ScopeAccount[] = [];
  const skipped: SkippedAccount[] = [];
  for (const accountId of [...candidates.keys()].sort()) {
    const candidate = candidates.get(accountId);
    if (candidate === undefined) continue;
    if (excluded.has(accountId)) {
      // The exclusion is what the operator wrote; it wins over whatever state the account is in.
      skipped.push({
        accountId,
        name: candidate.name,
        reason: 'excluded',
        detail: 'excluded by configuration',
      });
    } else if (candidate.skip !== undefined) {
      skipped.push({ accountId, ...candidate.skip });
    } else {
      accounts.push({ accountId, name: candidate.name });
    }
  }
  const regions = uniqueSorted(request.regions);
  const targets = accounts.flatMap(({ accountId }) => regions.map((region) => ({ accountId, region })));
  return { accounts, skipped, regions, targets };
}

/** The management account, not asked for, reached only through a member role it does not have by design. */
function isUnreachableManagementAccount(
  accountId: string,
  request: ScopeRequest,
  context: ScopeContext,
): boolean {
  return (
    !request.includeManagementAccount &&
    accountId === context.managementAccountId &&
    accountId !== context.callerAccountId
  );
}

/**
 * Resolves a scope, asking the organisation for its accounts only in organisation mode, and for its
 * management account unless the request includes it anyway.
 */
export async function resolveScope(
  request: ScopeRequest,
  lister: OrganizationLister | undefined,
  caller: Pick<ScopeContext, 'callerAccountId'> = {},
): Promise<Scope> {
  if (!request.organization) return buildScope(request);
  if (lister === undefined) throw new TypeError('organisation mode needs an organisation lister');
  const listed =
    request.parentIds === undefined
      ? await lister.listAccounts()
      : await lister.listAccountsUnder(request.parentIds);
  const managementAccountId = request.includeManagementAccount
    ? undefined
    : (await lister.describeOrganization()).managementAccountId;
  return buildScope(request, listed, { ...caller, managementAccountId });
}
