/**
 * The organisation proof of `npm run test:moto`: an organisation sweep (scripts/org-run.ts, the library's
 * scope, member credentials and per-account-region sweep) against moto's Organizations, STS, IAM and ECR,
 * on a moto server started without MOTO_ACCOUNT_ID, so each request acts on the account its access key
 * belongs to (credentials from AssumeRole act on the role's account).
 *
 * Set-up, with moto's IAM checks off: an organisation with member accounts made by CreateAccount (one of
 * them closed: SUSPENDED); in each member account but one, the member role (trusting the management
 * account, allowed exactly the ECR actions lib/iam-actions.ts declares); a central IAM user in the
 * management account allowed exactly the STS and Organizations actions it declares, plus the ECR ones for its own account; repositories per account-region, some MUTABLE. Then
 * moto's IAM checks are turned on (`POST /moto-api/reset-auth`), and the sweep runs as the central user.
 *
 * moto issues credentials for any role ARN ("the role does not need to exist", moto's STS docs) and checks
 * a role's trust policy only for roles in the caller's own account; AWS answers `AccessDenied` when the
 * role is missing. The central user's policy therefore denies the broken account's member role
 * explicitly, so STS answers there what AWS answers for a missing role, and the role is also never made.
 */

import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DEFAULT_MEMBER_ROLE_NAME, memberRoleArn, memberRoleArnPattern } from '../lib/credentials.ts';
import { requiredEcrActions, requiredOrganizationsActions, STS_ACTIONS } from '../lib/iam-actions.ts';
import type { AccountRegionSummary } from '../lib/org-sweep.ts';
import { sweepOrganization } from './org-run.ts';

const REGIONS = ['eu-west-1', 'us-east-1'] as const;
const BOOTSTRAP = { accessKeyId: 'AKIAMOTOBOOTSTRAP001', secretAccessKey: 'bootstrap' };
/** moto's default account: the caller of CreateOrganization becomes its management account. */
const MANAGEMENT = '123456789012';

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface MotoOrgAccountRegion {
  readonly account: string;
  readonly accountId: string;
  readonly region: string;
  readonly expected: string;
  readonly status: string;
  readonly scanned: number;
  readonly remediated: number;
  readonly compliant: number;
  readonly errorCode?: string | undefined;
  readonly ok: boolean;
}

export interface MotoOrgResult {
  readonly ok: boolean;
  readonly accounts: number;
  readonly regions: number;
  readonly repositories: number;
  readonly mutable: number;
  readonly runResult: string;
  readonly statusCounts: Record<string, number>;
  readonly failedErrorCodes: readonly string[];
  readonly secondRunRemediated: number;
  readonly rows: readonly MotoOrgAccountRegion[];
  readonly problems: readonly string[];
}

/**
 * An IAM Query call while moto's IAM checks are off: moto reads the access key (hence the account) from
 * the credential scope and does not verify the signature then, so no signer is needed (the SDK has no IAM
 * client in this project's dependencies).
 */
async function iam(url: string, credentials: Credentials, params: Record<string, string>): Promise<string> {
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

const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** The repositories of one account-region: a few, a different number in each, every third MUTABLE. */
function repositoriesOf(accountIndex: number, regionIndex: number): { name: string; mutable: boolean }[] {
  const count = 3 + accountIndex * 2 + regionIndex;
  return Array.from({ length: count }, (_, index) => ({
    name: `team-${accountIndex}/service-${index}`,
    mutable: index % 3 === 0,
  }));
}

export async function runMotoOrgProof(url: string): Promise<MotoOrgResult> {
  const problems: string[] = [];
  const organizations = new OrganizationsClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: BOOTSTRAP,
  });
  const sts = new STSClient({ region: 'us-east-1', endpoint: url, credentials: BOOTSTRAP });
  const clients: { destroy(): void }[] = [organizations, sts];
  try {
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const names = ['member-a', 'member-b', 'member-c', 'member-norole', 'member-closed'];
    for (const name of names) {
      await organizations.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
    }
    const listed = (await organizations.send(new ListAccountsCommand({}))).Accounts ?? [];
    const idOf = (name: string) => {
      const id = listed.find((account) => account.Name === name)?.Id;
      if (id === undefined) throw new Error(`moto did not list the account ${name}`);
      return id;
    };
    const management = listed.find((account) => account.Id === MANAGEMENT);
    if (management === undefined) throw new Error(`moto's management account is not ${MANAGEMENT}`);
    const broken = idOf('member-norole');
    const closed = idOf('member-closed');
    await organizations.send(new CloseAccountCommand({ AccountId: closed }));

    // Who acts where: the management account with its own credentials, every ACTIVE member through the role.
    const swept = [
      { name: 'management', id: MANAGEMENT, role: false },
      ...['member-a', 'member-b', 'member-c'].map((name) => ({ name, id: idOf(name), role: true })),
      { name: 'member-norole', id: broken, role: false },
    ];

    const ecrActions = requiredEcrActions({ tagExemptions: false, creationTemplates: false });
    for (const account of swept) {
      if (!account.role) continue;
      const setup = await setupCredentials(sts, account.id);
      await iam(url, setup, {
        Action: 'CreateRole',
        RoleName: DEFAULT_MEMBER_ROLE_NAME,
        AssumeRolePolicyDocument: policy({
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` },
          Action: 'sts:AssumeRole',
        }),
      });
      await iam(url, setup, {
        Action: 'PutRolePolicy',
        RoleName: DEFAULT_MEMBER_ROLE_NAME,
        PolicyName: 'ecr-immutability-guard',
        PolicyDocument: policy({ Effect: 'Allow', Action: ecrActions, Resource: '*' }),
      });
    }
    await iam(url, BOOTSTRAP, { Action: 'CreateUser', UserName: 'ecr-guard' });
    await iam(url, BOOTSTRAP, {
      Action: 'PutUserPolicy',
      UserName: 'ecr-guard',
      PolicyName: 'ecr-immutability-guard',
      PolicyDocument: policy(
        {
          Effect: 'Allow',
          Action: [...STS_ACTIONS.assumeMemberRole],
          Resource: memberRoleArnPattern('aws', DEFAULT_MEMBER_ROLE_NAME),
        },
        // Stands in for the missing role: AWS answers AccessDenied, moto would issue credentials.
        {
          Effect: 'Deny',
          Action: [...STS_ACTIONS.assumeMemberRole],
          Resource: memberRoleArn('aws', broken, DEFAULT_MEMBER_ROLE_NAME),
        },
        {
          Effect: 'Allow',
          Action: requiredOrganizationsActions({ organization: true, organizationalUnits: false }),
          Resource: '*',
        },
        { Effect: 'Allow', Action: ecrActions, Resource: '*' },
      ),
    });
    const keyXml = await iam(url, BOOTSTRAP, { Action: 'CreateAccessKey', UserName: 'ecr-guard' });
    const accessKeyId = /<AccessKeyId>([^<]+)</.exec(keyXml)?.[1];
    const secretAccessKey = /<SecretAccessKey>([^<]+)</.exec(keyXml)?.[1];
    if (accessKeyId === undefined || secretAccessKey === undefined)
      throw new Error('CreateAccessKey: no key');

    // Repositories per account-region, made in each account with its own (set-up) credentials.
    const expected = new Map<string, { total: number; mutable: number }>();
    let repositories = 0;
    let mutable = 0;
    for (const [accountIndex, account] of swept.entries()) {
      const setup = account.id === MANAGEMENT ? BOOTSTRAP : await setupCredentials(sts, account.id);
      for (const [regionIndex, region] of REGIONS.entries()) {
        const ecr = new ECRClient({ region, endpoint: url, credentials: setup });
        clients.push(ecr);
        const wanted = repositoriesOf(accountIndex, regionIndex);
        for (const repository of wanted) {
          await ecr.send(
            new CreateRepositoryCommand({
              repositoryName: repository.name,
              imageTagMutability: repository.mutable ? 'MUTABLE' : 'IMMUTABLE',
            }),
          );
        }
        const mutableHere = wanted.filter((repository) => repository.mutable).length;
        expected.set(`${account.id}/${region}`, { total: wanted.length, mutable: mutableHere });
        repositories += wanted.length;
        mutable += mutableHere;
      }
    }

    // From here on moto checks every call against the caller's IAM policies.
    const auth = await fetch(`${url}/moto-api/reset-auth`, { method: 'POST', body: '0' });
    if (!auth.ok) throw new Error(`moto refused to turn on its IAM checks: ${auth.status}`);

    const run = () =>
      sweepOrganization({
        endpoint: url,
        credentials: { accessKeyId, secretAccessKey },
        ownAccountId: MANAGEMENT,
        homeRegion: 'us-east-1',
        regions: REGIONS,
        maxParallel: 4,
        concurrency: 4,
        runId: 'moto-proof',
      });
    const first = await run();
    const { summary } = first;

    const rows: MotoOrgAccountRegion[] = [];
    const nameOf = new Map(listed.map((account) => [account.Id, account.Name ?? '']));
    const find = (accountId: string, region: string): AccountRegionSummary | undefined =>
      summary.accountRegions.find((ar) => ar.accountId === accountId && ar.region === region);
    for (const account of [...swept, { name: 'member-closed', id: closed, role: false }]) {
      for (const region of REGIONS) {
        const ar = find(account.id, region);
        const want = expected.get(`${account.id}/${region}`);
        let expectation: string;
        let ok: boolean;
        if (account.id === closed) {
          expectation = 'skipped (suspended)';
          ok = ar?.status === 'skipped' && ar.skipReason === 'suspended';
        } else if (account.id === broken) {
          expectation = 'failed: AccessDenied';
          ok = ar?.status === 'failed' && ar.errorCode === 'AccessDenied' && ar.scanned === 0;
        } else {
          expectation = `completed: ${want?.mutable} remediated, ${(want?.total ?? 0) - (want?.mutable ?? 0)} compliant`;
          ok =
            ar?.status === 'completed' &&
            ar.scanned === want?.total &&
            ar.counts.remediated === want.mutable &&
            ar.counts.compliant === want.total - want.mutable;
        }
        if (!ok)
          problems.push(`${account.name} ${region}: expected ${expectation}, got ${JSON.stringify(ar)}`);
        rows.push({
          account: nameOf.get(account.id) ?? account.name,
          accountId: account.id,
          region,
          expected: expectation,
          status: ar?.status ?? 'missing',
          scanned: ar?.scanned ?? 0,
          remediated: ar?.counts.remediated ?? 0,
          compliant: ar?.counts.compliant ?? 0,
          errorCode: ar?.errorCode,
          ok,
        });
      }
    }
    if (summary.accountRegions.length !== rows.length) {
      problems.push(
        `the summary lists ${summary.accountRegions.length} account-regions, expected ${rows.length}`,
      );
    }
    if (summary.result !== 'failed') problems.push(`overall result ${summary.result}, expected failed`);
    // Three member accounts assumed, the broken one tried once (its failure is cached for its regions).
    if (first.assumeRoleCalls !== 4) problems.push(`${first.assumeRoleCalls} AssumeRole calls, expected 4`);

    // The writes stuck: a second run finds nothing left to fix where the role exists.
    const second = await run();
    const secondRunRemediated = second.summary.totals.remediated;
    if (secondRunRemediated !== 0)
      problems.push(`the second run remediated ${secondRunRemediated}, expected 0`);

    return {
      ok: problems.length === 0,
      accounts: swept.length + 1,
      regions: REGIONS.length,
      repositories,
      mutable,
      runResult: summary.result,
      statusCounts: { ...summary.statusCounts },
      failedErrorCodes: summary.accountRegions.flatMap((ar) =>
        ar.errorCode === undefined ? [] : [ar.errorCode],
      ),
      secondRunRemediated,
      rows,
      problems,
    };
  } finally {
    for (const client of clients) client.destroy();
  }
}

/** Credentials in a member account for the set-up, through the role CreateAccount would make (moto needs none). */
async function setupCredentials(sts: STSClient, accountId: string): Promise<Credentials> {
  const output = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`,
      RoleSessionName: 'moto-setup',
    }),
  );
  const { AccessKeyId, SecretAccessKey, SessionToken } = output.Credentials ?? {};
  if (!AccessKeyId || !SecretAccessKey)
    throw new Error(`AssumeRole into ${accountId} returned no credentials`);
  return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken };
}
