/**
 * The live data of `ecr-guard report`: a dry-run sweep over the scope the options name, through the one
 * pass every command makes (bin/pass.ts), every record kept in memory, nothing written to AWS (the sweep is
 * asked for a dry run whatever the flags or the environment say). Then who gathered it: STS
 * GetCallerIdentity with the caller's own credentials (lib/caller-identity.ts).
 */
import { STSClient } from '@aws-sdk/client-sts';
import type { AuditRecord } from '../lib/audit.ts';
import { awsClientConfig } from '../lib/aws-client-config.ts';
import { readCallerIdentity } from '../lib/caller-identity.ts';
import type { GuardConfig } from '../lib/config.ts';
import type { AccountRegionSummary } from '../lib/org-sweep.ts';
import type { ReadResult, ReportContext } from '../lib/report-readers.ts';
import { readLivePass } from '../lib/report-readers.ts';
import { runSweep } from '../lib/sweep.ts';
import { cliClientLimits, regionsOf } from './context.ts';
import type { CommonOptions } from './options.ts';
import { type Io, printable } from './output.ts';
import { runScopePass, sweepDependencies } from './pass.ts';

/** The scope as the report names it: which accounts, which Regions. */
export function describeScope(
  organization: GuardConfig['organization'],
  summaries: readonly Pick<AccountRegionSummary, 'accountId' | 'region'>[],
  registryId: string | undefined,
): string {
  const regions = [...new Set(summaries.map((line) => line.region))].sort();
  const list = (values: readonly string[]) => values.join(', ');
  const parts: string[] = [];
  if (organization.enabled) {
    parts.push(
      organization.organizationalUnits.length === 0
        ? 'the organisation'
        : `the organisation's accounts under ${list(organization.organizationalUnits)}`,
    );
    if (organization.accounts.length > 0) parts.push(`only accounts ${list(organization.accounts)}`);
    if (organization.includeManagementAccount) parts.push('the management account included');
  } else if (organization.accounts.length > 0) {
    parts.push(`accounts ${list(organization.accounts)}`);
  } else {
    const own = registryId ?? summaries[0]?.accountId;
    parts.push(own === undefined ? "the caller's own account" : `the caller's own account ${own}`);
  }
  if (organization.excludedAccounts.length > 0)
    parts.push(`excluding ${list(organization.excludedAccounts)}`);
  return `${parts.join('; ')} × ${regions.length === 0 ? 'no Region' : list(regions)}; dry run, nothing written`;
}

export interface LiveGathering extends ReadResult {
  /** Ctrl-C stopped the pass: the data is not whole. */
  readonly interrupted: boolean;
}

/**
 * Gathers the report's data live. An account-region that fails or is skipped is data (a cell of the
 * matrix), not a failure of the report.
 *
 * @throws InvalidInputError for bad usage, before any AWS call; the error of the scope's resolution when
 * there is no scope to report on.
 */
export async function gatherLive(
  context: ReportContext & {
    readonly options: CommonOptions;
    readonly config: GuardConfig;
    readonly io: Io;
  },
): Promise<LiveGathering> {
  const { options, config, io } = context;
  const startedAt = new Date().toISOString();
  const records: AuditRecord[] = [];
  const notes: string[] = [];
  const tty = io.stderr.isTTY === true;
  const result = await runScopePass(
    { options, config, env: io.env, signal: io.signal },
    async ({ target, clients, record, remainingMs, progress }) => {
      const swept = await runSweep(
        {
          trigger: 'backfill',
          dryRun: true,
          repositoryNames: undefined,
          resume: undefined,
          maxRepositories: undefined,
        },
        sweepDependencies({ options, config }, { target, clients, remainingMs, progress }, record),
      );
      return { scanned: swept.scanned, nextToken: swept.nextToken };
    },
    {
      record: (entry) => records.push(entry),
      finished: (line) => {
        if (tty)
          io.stderr.write(`${printable(`${line.status.padEnd(10)} ${line.accountId} ${line.region}`)}\n`);
      },
      notice: (message) => notes.push(message),
    },
  );
  // After Ctrl-C the account-regions not ended are `incomplete` (bin/pass.ts); no report is made of them.
  const summaries = result.summary.accountRegions;
  const gatheredBy = result.interrupted ? null : await whoIsCalling(options, config, io.env, notes);
  return {
    data: readLivePass({
      policy: context.policy,
      source: {
        kind: 'live-dry-run',
        detail: describeScope(config.organization, summaries, options.registryId),
        gatheredAt: startedAt,
        gatheredBy,
      },
      summaries,
      records,
    }),
    notes: [
      ...notes,
      ...result.accountsNotInOrganization.map(
        (accountId) => `account ${accountId} is not in the organization (--account names it)`,
      ),
    ],
    interrupted: result.interrupted,
  };
}

/** The caller's ARN; when STS cannot say, the report says so instead of failing (the data is gathered). */
async function whoIsCalling(
  options: CommonOptions,
  config: GuardConfig,
  env: Readonly<Record<string, string | undefined>>,
  notes: string[],
): Promise<string | null> {
  // The pass has resolved the regions already: this cannot fail.
  const [region] = await regionsOf(options, env);
  const sts = new STSClient(
    awsClientConfig(
      { ...config.sdk, retryMode: 'adaptive' },
      {
        profile: options.profile,
        endpoint: options.endpointUrl,
        region,
        defaultMaxAttempts: 8,
      },
    ),
  );
  cliClientLimits(options, config, env)(sts);
  try {
    return (await readCallerIdentity(sts)).arn;
  } catch (error) {
    notes.push(
      `who gathered the data is unknown: STS GetCallerIdentity failed (${error instanceof Error ? error.message : String(error)})`,
    );
    return null;
  } finally {
    sts.destroy();
  }
}
