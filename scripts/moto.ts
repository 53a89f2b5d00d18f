/**
 * An AWS Organization made on moto's server (scripts/moto-server.ts starts and stops it) through the real
 * APIs, as an organisation is made in AWS, and moto's own API (IAM checks on or off, reset). Shared by the
 * organisation proof (scripts/moto-org.ts) and the organisation end-to-end tests (test/e2e/org-backend.ts).
 *
 * The organisation: `CreateOrganization` by the caller (its account becomes the management account),
 * members by `CreateAccount` (each with the `OrganizationAccountAccessRole` AWS creates there, trusting the
 * management account: every action), closed ones by `CloseAccount` (SUSPENDED); in the members that have it
 * the guard's member role, allowed exactly what it is given; in the management account an administrator
 * user and the guard's central user, allowed to assume the member role, and what it is given besides.
 * All of it while moto's IAM checks are off; {@link setMotoIamChecks} turns them on.
 *
 * moto issues credentials for any role ARN ("the role does not need to exist", moto's STS docs) and checks
 * no trust policy; AWS answers `AccessDenied` when the role is missing. The central user's policy therefore
 * denies the member role of each member without one explicitly, so that STS answers there what AWS answers
 * for a missing role (once the checks are on), and the role is also never made.
 */
import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { memberRoleArn, memberRoleArnPattern } from '../lib/credentials.ts';
import { STS_ACTIONS } from '../lib/iam-actions.ts';

export interface MotoCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** An access key IAM does not know: moto acts with it on its default account while its IAM checks are off. */
export const MOTO_BOOTSTRAP: MotoCredentials = {
  accessKeyId: 'AKIAMOTOBOOTSTRAP001',
  secretAccessKey: 'bootstrap',
};
/** moto's default account: the caller of CreateOrganization with {@link MOTO_BOOTSTRAP}. */
export const MOTO_DEFAULT_ACCOUNT = '123456789012';
/** The role AWS Organizations creates in every account made by CreateAccount (administrator access). */
export const ACCOUNT_ACCESS_ROLE = 'OrganizationAccountAccessRole';

async function motoApi(url: string, route: string, body?: string): Promise<void> {
  const response = await fetch(`${url}/moto-api/${route}`, { method: 'POST', body });
  if (!response.ok) throw new Error(`moto refused POST /moto-api/${route}: ${response.status}`);
}

/**
 * moto's IAM checks on (every call is then checked against its caller's policies, as AWS does) or off
 * (every call is allowed). They are the server's: they apply to every caller of that moto.
 */
export function setMotoIamChecks(url: string, on: boolean): Promise<void> {
  // The number of calls left unchecked from now on.
  return motoApi(url, 'reset-auth', on ? '0' : 'inf');
}

/** Forgets everything moto holds (every service, account and region); its IAM checks stay as they were. */
export function resetMoto(url: string): Promise<void> {
  return motoApi(url, 'reset');
}

/**
 * An IAM Query call while moto's IAM checks are off: moto reads the access key (hence the account) from
 * the credential scope and does not verify the signature then, so no signer is needed (the SDK has no IAM
 * client in this project's dependencies).
 */
export async function motoIam(
  url: string,
  credentials: MotoCredentials,
  params: Record<string, string>,
): Promise<string> {
  const response = await fetch(`${url}/`, {
    method: 'POST',
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
      ...(credentials.sessionToken === undefined ? {} : { 'x-amz-security-token': credentials.sessionToken }),
    },
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`IAM ${params.Action} answered ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/** An IAM policy document of the given statements. */
export const policyDocument = (...statements: object[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** A role in the account of `credentials`, trusting `trusted`, allowed `actions` on every resource. */
async function createRole(
  url: string,
  credentials: MotoCredentials,
  role: { name: string; trusted: string; actions: readonly string[] },
): Promise<void> {
  await motoIam(url, credentials, {
    Action: 'CreateRole',
    RoleName: role.name,
    AssumeRolePolicyDocument: policyDocument({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${role.trusted}:root` },
      Action: 'sts:AssumeRole',
    }),
  });
  await motoIam(url, credentials, {
    Action: 'PutRolePolicy',
    RoleName: role.name,
    PolicyName: 'permissions',
    PolicyDocument: policyDocument({ Effect: 'Allow', Action: role.actions, Resource: '*' }),
  });
}

/** An IAM user of the account of `credentials` with `statements` as its policy, and its access key. */
async function createUser(
  url: string,
  credentials: MotoCredentials,
  name: string,
  statements: readonly object[],
): Promise<MotoCredentials> {
  await motoIam(url, credentials, { Action: 'CreateUser', UserName: name });
  await motoIam(url, credentials, {
    Action: 'PutUserPolicy',
    UserName: name,
    PolicyName: 'permissions',
    PolicyDocument: policyDocument(...statements),
  });
  const keyXml = await motoIam(url, credentials, { Action: 'CreateAccessKey', UserName: name });
  const accessKeyId = /<AccessKeyId>([^<]+)</.exec(keyXml)?.[1];
  const secretAccessKey = /<SecretAccessKey>([^<]+)</.exec(keyXml)?.[1];
  if (accessKeyId === undefined || secretAccessKey === undefined)
    throw new Error(`CreateAccessKey for ${name}: no key`);
  return { accessKeyId, secretAccessKey };
}

/** Credentials in `accountId` through `roleName`, asked for with `caller`'s credentials. */
export async function assumeRoleIn(
  url: string,
  caller: MotoCredentials,
  accountId: string,
  roleName: string,
): Promise<MotoCredentials> {
  const sts = new STSClient({ region: 'us-east-1', endpoint: url, credentials: caller, maxAttempts: 1 });
  try {
    const output = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
        RoleSessionName: 'moto-setup',
      }),
    );
    const { AccessKeyId, SecretAccessKey, SessionToken } = output.Credentials ?? {};
    if (!AccessKeyId || !SecretAccessKey)
      throw new Error(`AssumeRole of ${roleName} in ${accountId} returned no credentials`);
    return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken };
  } finally {
    sts.destroy();
  }
}

export interface MotoMemberSpec {
  /** The account's name (CreateAccount's AccountName). */
  readonly name: string;
  /** Whether the guard's member role is made there; without it, assuming it is denied. */
  readonly memberRole: boolean;
  /** Closed after it was made: SUSPENDED. */
  readonly closed?: boolean;
}

export interface MotoOrganizationSpec {
  readonly members: readonly MotoMemberSpec[];
  readonly memberRoleName: string;
  /** What the member role may do in its account. */
  readonly memberRoleActions: readonly string[];
  /** What the guard's central user may do, besides assuming the member role. */
  readonly centralActions: readonly string[];
}

export interface MotoOrganization {
  /** The management account (moto's default account). */
  readonly management: string;
  /** Each member's account id, by its name. */
  readonly accounts: ReadonlyMap<string, string>;
  /** The guard's caller: an access key of the central IAM user of the management account. */
  readonly central: MotoCredentials;
  /** An administrator's access key in the management account (every action). */
  readonly administrator: MotoCredentials;
  /** Every action in `accountId`: the administrator there, or through the member's OrganizationAccountAccessRole. */
  adminIn(accountId: string): Promise<MotoCredentials>;
  /** A member's account id by its name; throws when there is none. */
  idOf(name: string): string;
}

/**
 * The organisation of `spec` on the moto at `url`, made while its IAM checks are off (they are left off;
 * turn them on with {@link setMotoIamChecks} once the test's own set-up is done).
 */
export async function createMotoOrganization(
  url: string,
  spec: MotoOrganizationSpec,
): Promise<MotoOrganization> {
  const organizations = new OrganizationsClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: MOTO_BOOTSTRAP,
  });
  try {
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    for (const member of spec.members) {
      await organizations.send(
        new CreateAccountCommand({ AccountName: member.name, Email: `${member.name}@example.com` }),
      );
    }
    const listed = (await organizations.send(new ListAccountsCommand({}))).Accounts ?? [];
    if (!listed.some((account) => account.Id === MOTO_DEFAULT_ACCOUNT))
      throw new Error(`moto's management account is not ${MOTO_DEFAULT_ACCOUNT}`);
    const accounts = new Map<string, string>();
    for (const member of spec.members) {
      const id = listed.find((account) => account.Name === member.name)?.Id;
      if (id === undefined) throw new Error(`moto did not list the account ${member.name}`);
      accounts.set(member.name, id);
    }
    const idOf = (name: string) => {
      const id = accounts.get(name);
      if (id === undefined) throw new Error(`no member account named ${name}`);
      return id;
    };

    for (const member of spec.members) {
      const id = idOf(member.name);
      const setup = await assumeRoleIn(url, MOTO_BOOTSTRAP, id, ACCOUNT_ACCESS_ROLE);
      // moto makes the role on CreateAccount, as AWS does, but without AWS's AdministratorAccess policy.
      await motoIam(url, setup, {
        Action: 'PutRolePolicy',
        RoleName: ACCOUNT_ACCESS_ROLE,
        PolicyName: 'administrator',
        PolicyDocument: policyDocument({ Effect: 'Allow', Action: '*', Resource: '*' }),
      });
      if (member.memberRole) {
        await createRole(url, setup, {
          name: spec.memberRoleName,
          trusted: MOTO_DEFAULT_ACCOUNT,
          actions: spec.memberRoleActions,
        });
      }
      if (member.closed === true) await organizations.send(new CloseAccountCommand({ AccountId: id }));
    }
    const administrator = await createUser(url, MOTO_BOOTSTRAP, 'administrator', [
      { Effect: 'Allow', Action: '*', Resource: '*' },
    ]);
    const central = await createUser(url, MOTO_BOOTSTRAP, 'ecr-guard', [
      {
        Effect: 'Allow',
        Action: [...STS_ACTIONS.assumeMemberRole],
        Resource: memberRoleArnPattern('aws', spec.memberRoleName),
      },
      ...spec.members
        .filter((member) => !member.memberRole)
        .map((member) => ({
          // Stands in for the missing role: AWS answers AccessDenied, moto would issue credentials.
          Effect: 'Deny',
          Action: [...STS_ACTIONS.assumeMemberRole],
          Resource: memberRoleArn('aws', idOf(member.name), spec.memberRoleName),
        })),
      ...(spec.centralActions.length === 0
        ? []
        : [{ Effect: 'Allow', Action: spec.centralActions, Resource: '*' }]),
    ]);

    return {
      management: MOTO_DEFAULT_ACCOUNT,
      accounts,
      central,
      administrator,
      idOf,
      adminIn: (accountId) =>
        accountId === MOTO_DEFAULT_ACCOUNT
          ? Promise.resolve(administrator)
          : assumeRoleIn(url, administrator, accountId, ACCOUNT_ACCESS_ROLE),
    };
  } finally {
    organizations.destroy();
  }
}
