/**
 * Who exists: accounts (names, OUs, state), the organisation they belong to, IAM roles with their trust, and
 * the access keys that act as each account. Every service reads it; the seed file writes it.
 */
import { AdminRequestError } from './errors.ts';
import { isJsonObject, type JsonObject } from './validate.ts';

/** `State` of an Organizations account (the current field; `Status` is derived from it). */
export const ACCOUNT_STATES = [
  'PENDING_ACTIVATION',
  'ACTIVE',
  'SUSPENDED',
  'PENDING_CLOSURE',
  'CLOSED',
] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

export interface AccountRecord {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly state: AccountState;
  /** Root or OU id. */
  readonly parentId: string;
  readonly joinedMs: number;
}

export interface OrganizationalUnitRecord {
  readonly id: string;
  readonly name: string;
  readonly parentId: string;
}

export interface RoleRecord {
  readonly account: string;
  readonly name: string;
  readonly arn: string;
  /** `AROA…`, as in `AssumedRoleId`. */
  readonly roleId: string;
  /** 12-digit account ids (any principal of that account), `arn:aws:iam::<account>:root`, or role ARNs. */
  readonly trustedPrincipals: readonly string[];
  /** When set, AssumeRole must pass this `ExternalId`. */
  readonly externalId?: string;
  readonly maxSessionDurationSeconds: number;
}

export interface OrganizationRecord {
  readonly id: string;
  readonly managementAccount: string;
  readonly rootId: string;
  /** Accounts registered as delegated administrators (they may call the Organizations read APIs). */
  readonly delegatedAdministrators: readonly string[];
}

/** The organisation part of a seed file (see emulator/README.md). */
export interface OrganizationSeed {
  readonly organization?: {
    readonly managementAccount: string;
    readonly id?: string;
    readonly rootId?: string;
    readonly delegatedAdministrators?: readonly string[];
  };
  readonly organizationalUnits?: ReadonlyArray<{
    readonly name: string;
    readonly id?: string;
    /** Name or id of the parent OU; default the root. */
    readonly parent?: string;
  }>;
  readonly accounts?: ReadonlyArray<{
    readonly id: string;
    readonly name?: string;
    readonly email?: string;
    /** Name or id of the account's OU; default the root. */
    readonly ou?: string;
    /** Default ACTIVE. */
    readonly status?: AccountState;
    /** Access key ids whose requests act as this account. */
    readonly accessKeyIds?: readonly string[];
  }>;
  readonly roles?: ReadonlyArray<{
    readonly account: string;
    readonly name: string;
    readonly trustedPrincipals: readonly string[];
    readonly externalId?: string;
    /** 3600 to 43200; default 3600. */
    readonly maxSessionDurationSeconds?: number;
  }>;
  /** Lifetime of credentials issued by AssumeRole, overriding DurationSeconds (to test refresh). */
  readonly credentialLifetimeSeconds?: number;
}

const ACCOUNT = /^[0-9]{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const ROOT_ID = /^r-[0-9a-z]{4,32}$/;
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;

/** `State` → the deprecated `Status` (which has no PENDING_ACTIVATION or CLOSED). */
export function accountStatus(state: AccountState): 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' {
  if (state === 'PENDING_ACTIVATION') return 'ACTIVE';
  if (state === 'CLOSED') return 'SUSPENDED';
  return state;
}

function fail(message: string): never {
  throw new AdminRequestError(message);
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`${path} must be a list`);
  return value;
}

function object(value: unknown, path: string, allowed: readonly string[]): JsonObject {
  if (!isJsonObject(value)) fail(`${path} must be an object`);
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) fail(`${path}.${key} is not a setting (use ${allowed.join(', ')})`);
  return value;
}

function text(value: unknown, path: string, pattern?: RegExp, what?: string): string {
  if (typeof value !== 'string' || value === '') fail(`${path} must be a non-empty string`);
  if (pattern !== undefined && !pattern.test(value))
    fail(`${path} '${value}' is not ${what ?? pattern.source}`);
  return value;
}

function optionalText(value: unknown, path: string, pattern?: RegExp, what?: string): string | undefined {
  return value === undefined ? undefined : text(value, path, pattern, what);
}

function accountId(value: unknown, path: string): string {
  return text(value, path, ACCOUNT, 'a 12-digit account ID');
}

/** Everything the emulator knows about accounts, the organisation, roles and access keys. */
export class Directory {
  readonly organization: OrganizationRecord | undefined;
  readonly accounts: ReadonlyMap<string, AccountRecord>;
  /** In seed order (ListAccounts order). */
  readonly accountList: readonly AccountRecord[];
  readonly organizationalUnits: ReadonlyMap<string, OrganizationalUnitRecord>;
  readonly organizationalUnitList: readonly OrganizationalUnitRecord[];
  /** By role ARN. */
  readonly roles: ReadonlyMap<string, RoleRecord>;
  readonly accessKeys: ReadonlyMap<string, string>;
  readonly credentialLifetimeSeconds: number | undefined;

  constructor(
    parts: {
      organization?: OrganizationRecord;
      accounts?: readonly AccountRecord[];
      organizationalUnits?: readonly OrganizationalUnitRecord[];
      roles?: readonly RoleRecord[];
      accessKeys?: ReadonlyMap<string, string>;
      credentialLifetimeSeconds?: number;
    } = {},
  ) {
    this.organization = parts.organization;
    this.accountList = parts.accounts ?? [];
    this.accounts = new Map(this.accountList.map((account) => [account.id, account]));
    this.organizationalUnitList = parts.organizationalUnits ?? [];
    this.organizationalUnits = new Map(this.organizationalUnitList.map((unit) => [unit.id, unit]));
    this.roles = new Map((parts.roles ?? []).map((role) => [role.arn, role]));
    this.accessKeys = parts.accessKeys ?? new Map();
    this.credentialLifetimeSeconds = parts.credentialLifetimeSeconds;
  }

  /** True when `account` is a member (any state) of the organisation. */
  inOrganization(account: string): boolean {
    return this.organization !== undefined && this.accounts.has(account);
  }
}

/**
 * Reads the organisation part of a seed; `legacyKeys` (the `accounts` option: access key → account) are kept.
 * Invalid input is an {@link AdminRequestError} naming the member and the value.
 */
export function parseOrganizationSeed(
  body: unknown,
  legacyKeys: ReadonlyMap<string, string>,
  nowMs: number,
): Directory {
  const seed = object(body, 'the organisation seed', [
    'organization',
    'organizationalUnits',
    'accounts',
    'roles',
    'credentialLifetimeSeconds',
    'registries',
  ]);
  const accessKeys = new Map(legacyKeys);
  let organization: OrganizationRecord | undefined;
  if (seed.organization !== undefined) {
    const org = object(seed.organization, 'organization', [
      'managementAccount',
      'id',
      'rootId',
      'delegatedAdministrators',
    ]);
    organization = {
      managementAccount: accountId(org.managementAccount, 'organization.managementAccount'),
      id: optionalText(org.id, 'organization.id', ORG_ID, 'an organisation id (o-…)') ?? 'o-emulator000',
      rootId: optionalText(org.rootId, 'organization.rootId', ROOT_ID, 'a root id (r-…)') ?? 'r-emu0',
      delegatedAdministrators: list(org.delegatedAdministrators, 'organization.delegatedAdministrators').map(
        (value, index) => accountId(value, `organization.delegatedAdministrators[${index}]`),
      ),
    };
  }
  const rootId = organization?.rootId ?? 'r-emu0';
  const rootSuffix = rootId.slice(2);
  const rawUnits = list(seed.organizationalUnits, 'organizationalUnits').map((value, index) => {
    const path = `organizationalUnits[${index}]`;
    const unit = object(value, path, ['name', 'id', 'parent']);
    return {
      path,
      name: text(unit.name, `${path}.name`),
      id:
        optionalText(unit.id, `${path}.id`, OU_ID, 'an OU id (ou-…)') ??
        `ou-${rootSuffix}-${String(index + 1).padStart(8, '0')}`,
      parent: optionalText(unit.parent, `${path}.parent`),
    };
  });
  const resolveParent = (reference: string | undefined, path: string): string => {
    if (reference === undefined || reference === rootId) return rootId;
    const unit = rawUnits.find((candidate) => candidate.id === reference || candidate.name === reference);
    if (unit === undefined) fail(`${path} '${reference}' names no organizational unit`);
    return unit.id;
  };
  const organizationalUnits = rawUnits.map((unit) => ({
    id: unit.id,
    name: unit.name,
    parentId: resolveParent(unit.parent, `${unit.path}.parent`),
  }));
  const accounts = list(seed.accounts, 'accounts').map((value, index): AccountRecord => {
    const path = `accounts[${index}]`;
    const entry = object(value, path, ['id', 'name', 'email', 'ou', 'status', 'accessKeyIds']);
    const id = accountId(entry.id, `${path}.id`);
    for (const [position, key] of list(entry.accessKeyIds, `${path}.accessKeyIds`).entries()) {
      accessKeys.set(text(key, `${path}.accessKeyIds[${position}]`), id);
    }
    const status = entry.status ?? 'ACTIVE';
    const state = ACCOUNT_STATES.find((candidate) => candidate === status);
    if (state === undefined)
      fail(`${path}.status '${String(status)}' is not one of ${ACCOUNT_STATES.join(', ')}`);
    const name = optionalText(entry.name, `${path}.name`) ?? `account-${id}`;
    return {
      id,
      name,
      email: optionalText(entry.email, `${path}.email`) ?? `aws+${id}@example.com`,
      state,
      parentId: resolveParent(optionalText(entry.ou, `${path}.ou`), `${path}.ou`),
      joinedMs: nowMs,
    };
  });
  const seen = new Set<string>();
  for (const account of accounts) {
    if (seen.has(account.id)) fail(`accounts lists ${account.id} twice`);
    seen.add(account.id);
  }
  if (organization !== undefined && !seen.has(organization.managementAccount)) {
    fail(`organization.managementAccount ${organization.managementAccount} is not in accounts`);
  }
  const roles = list(seed.roles, 'roles').map((value, index): RoleRecord => {
    const path = `roles[${index}]`;
    const entry = object(value, path, [
      'account',
      'name',
      'trustedPrincipals',
      'externalId',
      'maxSessionDurationSeconds',
    ]);
    const account = accountId(entry.account, `${path}.account`);
    const name = text(entry.name, `${path}.name`, ROLE_NAME, 'a role name ([\\w+=,.@-]{1,64})');
    const trustedPrincipals = list(entry.trustedPrincipals, `${path}.trustedPrincipals`).map(
      (principal, at) =>
        text(
          principal,
          `${path}.trustedPrincipals[${at}]`,
          /^(?:[0-9]{12}|arn:aws[a-z-]*:iam::[0-9]{12}:(?:root|role\/[\w+=,.@/-]+))$/,
          'an account ID, arn:aws:iam::<account>:root or a role ARN',
        ),
    );
    const maxSession = entry.maxSessionDurationSeconds ?? 3600;
    if (
      typeof maxSession !== 'number' ||
      !Number.isInteger(maxSession) ||
      maxSession < 3600 ||
      maxSession > 43_200
    )
      fail(`${path}.maxSessionDurationSeconds must be an integer from 3600 to 43200`);
    const externalId = optionalText(entry.externalId, `${path}.externalId`);
    return {
      account,
      name,
      arn: `arn:aws:iam::${account}:role/${name}`,
      roleId: `AROA${account}${String(index).padStart(5, '0')}`.slice(0, 21),
      trustedPrincipals,
      ...(externalId === undefined ? {} : { externalId }),
      maxSessionDurationSeconds: maxSession,
    };
  });
  const lifetime = seed.credentialLifetimeSeconds;
  if (lifetime !== undefined && (typeof lifetime !== 'number' || !(lifetime > 0)))
    fail('credentialLifetimeSeconds must be a number > 0');
  return new Directory({
    ...(organization === undefined ? {} : { organization }),
    accounts,
    organizationalUnits,
    roles,
    accessKeys,
    ...(typeof lifetime === 'number' ? { credentialLifetimeSeconds: lifetime } : {}),
  });
}
