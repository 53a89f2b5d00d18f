/**
 * The organisation proof of `npm run test:moto`: an organisation sweep (scripts/org-run.ts, the library's
 * scope, member credentials and per-account-region sweep) against moto's Organizations, STS, IAM and ECR,
 * on a moto server started without MOTO_ACCOUNT_ID, so each request acts on the account its access key
 * belongs to (credentials from AssumeRole act on the role's account).
 *
 * Set-up (scripts/moto.ts), with moto's IAM checks off: an organisation with member accounts made by
 * CreateAccount (one of them closed: SUSPENDED); in each member account but one, the member role (trusting
 * the management account, allowed exactly the ECR actions lib/iam-actions.ts declares); a central IAM user
 * in the management account allowed exactly the STS and Organizations actions lib/iam-actions.ts declares,
 * plus the ECR ones for its own account, and denied the member role of the
 * account without one (moto would issue credentials for it; AWS answers AccessDenied); repositories per
 * account-region, some MUTABLE. Then moto's IAM checks are turned on, and the sweep runs as the central user.
 */

import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DEFAULT_MEMBER_ROLE_NAME } from '../lib/credentials.ts';
import { requiredEcrActions, requiredOrganizationsActions } from '../lib/iam-actions.ts';
import type { AccountRegionSummary } from '../lib/org-sweep.ts';
import { createMotoOrganization, setMotoIamChecks } from './moto.ts';
import { sweepOrganization } from './org-run.ts';

const REGIONS = ['eu-west-1', 'us-east-1'] as const;

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
  const clients: { destroy(): void }[] = [];
  try {
    const ecrActions = requiredEcrActions({ tagExemptions: false, creationTemplates: false });
    const organization = await createMotoOrganization(url, {
      members: [
        ...['member-a', 'member-b', 'member-c'].map((name) => ({ name, memberRole: true })),
        { name: 'member-norole', memberRole: false },
        { name: 'member-closed', memberRole: false, closed: true },
      ],
      memberRoleName: DEFAULT_MEMBER_ROLE_NAME,
      memberRoleActions: ecrActions,
      centralActions: [
        ...requiredOrganizationsActions({ organization: true, organizationalUnits: false }),
        ...ecrActions,
      ],
    });
    const management = organization.management;
    const broken = organization.idOf('member-norole');
    const closed = organization.idOf('member-closed');
    const { accessKeyId, secretAccessKey } = organization.central;

    // Who acts where: the management account with its own credentials, every ACTIVE member through the role.
    const swept = [
      { name: 'management', id: management },
      ...['member-a', 'member-b', 'member-c', 'member-norole'].map((name) => ({
        name,
        id: organization.idOf(name),
      })),
    ];

    // Repositories per account-region, made in each account with its own (set-up) credentials.
    const expected = new Map<string, { total: number; mutable: number }>();
    let repositories = 0;
    let mutable = 0;
    for (const [accountIndex, account] of swept.entries()) {
      const setup = await organization.adminIn(account.id);
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
    await setMotoIamChecks(url, true);

    const run = () =>
      sweepOrganization({
        endpoint: url,
        credentials: { accessKeyId, secretAccessKey },
        ownAccountId: management,
        homeRegion: 'us-east-1',
        regions: REGIONS,
        maxParallel: 4,
        concurrency: 4,
        runId: 'moto-proof',
      });
    const first = await run();
    const { summary } = first;

    const rows: MotoOrgAccountRegion[] = [];
    const find = (accountId: string, region: string): AccountRegionSummary | undefined =>
      summary.accountRegions.find((ar) => ar.accountId === accountId && ar.region === region);
    for (const account of [...swept, { name: 'member-closed', id: closed }]) {
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
          account: account.name,
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
