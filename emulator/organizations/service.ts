/**
 * AWS Organizations (`AWSOrganizationsV20161128`, AWS JSON 1.1): DescribeOrganization, and the read calls that
 * list an organisation's accounts, roots and OUs, paged and validated as the API reference documents
 * (MaxResults 1–20).
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html
 */
import type { AccountRecord, Directory, OrganizationRecord } from '../core/directory.ts';
import { accountStatus } from '../core/directory.ts';
import { AwsError } from '../core/errors.ts';
import type { Caller } from '../core/identity.ts';
import type { PageTokens } from '../core/page-token.ts';
import type { JsonService } from '../core/service.ts';
import { type JsonObject, type MemberReader, readMembers } from '../core/validate.ts';

/** What the Organizations service runs against. */
export interface OrganizationsServiceState {
  directory(): Directory;
  readonly tokens: PageTokens;
}

export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128.';
export const ORGANIZATIONS_OPERATIONS = [
  'DescribeOrganization',
  'ListAccounts',
  'ListAccountsForParent',
  'ListRoots',
  'ListOrganizationalUnitsForParent',
] as const;

const PARENT_ID = /^(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
const MAX_RESULTS = 20;
const TOKEN_REGION = 'global';

function invalidInput(reason: string, message: string): AwsError {
  return new AwsError('InvalidInputException', message, 400, { Reason: reason });
}

interface Organization {
  readonly directory: Directory;
  readonly id: string;
  readonly management: string;
  readonly rootId: string;
}

/** The caller's organisation; any account of it may describe it. */
function memberOrganization(directory: Directory, caller: Caller): OrganizationRecord {
  const { organization } = directory;
  if (organization === undefined || !directory.accounts.has(caller.account)) {
    throw new AwsError(
      'AWSOrganizationsNotInUseException',
      'Your account is not a member of an organization.',
    );
  }
  return organization;
}

/** The caller's organisation, if it may read it: the management account or a delegated administrator. */
function readableOrganization(directory: Directory, caller: Caller): Organization {
  const organization = memberOrganization(directory, caller);
  if (
    caller.account !== organization.managementAccount &&
    !organization.delegatedAdministrators.includes(caller.account)
  ) {
    throw new AwsError('AccessDeniedException', "You don't have permissions to access this resource.");
  }
  return {
    directory,
    id: organization.id,
    management: organization.managementAccount,
    rootId: organization.rootId,
  };
}

function readMaxResults(reader: MemberReader): number {
  const value = reader.integer('MaxResults');
  if (value === undefined) return MAX_RESULTS;
  if (value < 1) throw invalidInput('MIN_VALUE_EXCEEDED', 'MaxResults must be at least 1.');
  if (value > MAX_RESULTS)
    throw invalidInput('MAX_VALUE_EXCEEDED', `MaxResults must be at most ${MAX_RESULTS}.`);
  return value;
}

function readParent(reader: MemberReader, org: Organization): string {
  const parentId = reader.string('ParentId');
  if (parentId === undefined) throw invalidInput('INPUT_REQUIRED', 'ParentId is required.');
  if (!PARENT_ID.test(parentId))
    throw invalidInput(
      'INVALID_PATTERN',
      `ParentId '${parentId}' is not a root ID (r-…) or an OU ID (ou-…).`,
    );
  if (parentId !== org.rootId && !org.directory.organizationalUnits.has(parentId)) {
    throw new AwsError(
      'ParentNotFoundException',
      "We can't find a root or OU with the ParentId that you specified.",
    );
  }
  return parentId;
}

/** One page of `items`, resuming after the index sealed in `NextToken`. */
function page<T>(
  state: OrganizationsServiceState,
  caller: Caller,
  reader: MemberReader,
  listing: string,
  items: readonly T[],
): { readonly items: readonly T[]; readonly nextToken?: string } {
  const limit = readMaxResults(reader);
  const token = reader.string('NextToken');
  let start = 0;
  if (token !== undefined) {
    const invalid = (): AwsError =>
      invalidInput('INVALID_NEXT_TOKEN', 'The NextToken value is not valid for this request.');
    const after = state.tokens.decode(token, caller.account, TOKEN_REGION, listing, invalid);
    start = Number(after);
    if (!Number.isInteger(start) || start < 0) throw invalid();
  }
  const end = start + limit;
  const slice = items.slice(start, end);
  if (end >= items.length) return { items: slice };
  return {
    items: slice,
    nextToken: state.tokens.encode({
      account: caller.account,
      region: TOKEN_REGION,
      after: String(end),
      scope: listing,
    }),
  };
}

function wireAccount(org: Organization, account: AccountRecord): JsonObject {
  return {
    Id: account.id,
    Arn: `arn:aws:organizations::${org.management}:account/${org.id}/${account.id}`,
    Email: account.email,
    Name: account.name,
    Status: accountStatus(account.state),
    State: account.state,
    JoinedMethod: account.id === org.management ? 'INVITED' : 'CREATED',
    JoinedTimestamp: account.joinedMs / 1000,
  };
}

function listAccounts(
  state: OrganizationsServiceState,
  caller: Caller,
  input: JsonObject,
  forParent: boolean,
): JsonObject {
  const org = readableOrganization(state.directory(), caller);
  const reader = readMembers(input);
  let accounts = org.directory.accountList;
  let listing = 'organizations:ListAccounts';
  if (forParent) {
    const parentId = readParent(reader, org);
    accounts = accounts.filter((account) => account.parentId === parentId);
    listing = `organizations:ListAccountsForParent:${parentId}`;
  }
  const result = page(state, caller, reader, listing, accounts);
  return {
    Accounts: result.items.map((account) => wireAccount(org, account)),
    ...(result.nextToken === undefined ? {} : { NextToken: result.nextToken }),
  };
}

/**
 * DescribeOrganization: answered to every account of the organisation (not only the management account and
 * delegated administrators), with the management account as `MasterAccount*`; all features enabled, service
 * control policies among them.
 */
function describeOrganization(state: OrganizationsServiceState, caller: Caller): JsonObject {
  const directory = state.directory();
  const organization = memberOrganization(directory, caller);
  const management = organization.managementAccount;
  return {
    Organization: {
      Id: organization.id,
      Arn: `arn:aws:organizations::${management}:organization/${organization.id}`,
      FeatureSet: 'ALL',
      MasterAccountArn: `arn:aws:organizations::${management}:account/${organization.id}/${management}`,
      MasterAccountId: management,
      MasterAccountEmail: directory.accounts.get(management)?.email ?? `aws+${management}@example.com`,
      // Deprecated by AWS in favour of the root's PolicyTypes, still answered (moto too): SCPs, as an
      // all-features organisation has them.
      AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
    },
  };
}

function listRoots(state: OrganizationsServiceState, caller: Caller, input: JsonObject): JsonObject {
  const org = readableOrganization(state.directory(), caller);
  const root = {
    Id: org.rootId,
    Arn: `arn:aws:organizations::${org.management}:root/${org.id}/${org.rootId}`,
    Name: 'Root',
    PolicyTypes: [],
  };
  const result = page(state, caller, readMembers(input), 'organizations:ListRoots', [root]);
  return {
    Roots: result.items,
    ...(result.nextToken === undefined ? {} : { NextToken: result.nextToken }),
  };
}

function listUnits(state: OrganizationsServiceState, caller: Caller, input: JsonObject): JsonObject {
  const org = readableOrganization(state.directory(), caller);
  const reader = readMembers(input);
  const parentId = readParent(reader, org);
  const units = org.directory.organizationalUnitList.filter((unit) => unit.parentId === parentId);
  const result = page(
    state,
    caller,
    reader,
    `organizations:ListOrganizationalUnitsForParent:${parentId}`,
    units,
  );
  return {
    OrganizationalUnits: result.items.map((unit) => ({
      Id: unit.id,
      Arn: `arn:aws:organizations::${org.management}:ou/${org.id}/${unit.id}`,
      Name: unit.name,
    })),
    ...(result.nextToken === undefined ? {} : { NextToken: result.nextToken }),
  };
}

export function organizationsService(state: OrganizationsServiceState): JsonService {
  return {
    name: 'organizations',
    title: 'Organizations',
    protocol: 'json',
    targetPrefix: ORGANIZATIONS_TARGET_PREFIX,
    operations: ORGANIZATIONS_OPERATIONS,
    run({ operation, caller, input }) {
      switch (operation) {
        case 'DescribeOrganization':
          return describeOrganization(state, caller);
        case 'ListAccounts':
          return listAccounts(state, caller, input, false);
        case 'ListAccountsForParent':
          return listAccounts(state, caller, input, true);
        case 'ListRoots':
          return listRoots(state, caller, input);
        default:
          return listUnits(state, caller, input);
      }
    },
    faultError(fault) {
      // Organizations throttles with TooManyRequestsException and fails with ServiceException.
      if (fault === 'throttle')
        return new AwsError(
          'TooManyRequestsException',
          'You have sent too many requests in too short a period of time.',
          400,
          { Type: 'AWSOrganizations' },
        );
      if (fault === 'server-error')
        return new AwsError('ServiceException', 'Injected server fault (emulator)', 500);
      return new AwsError(
        'AccessDeniedException',
        "You don't have permissions to access this resource. (injected by the emulator)",
      );
    },
  };
}
