/**
 * The one pass every command makes: its scope, then one job per account-region. The scope is the
 * caller's own account without `--org` and `--account` (STS GetCallerIdentity names it, once per run;
 * `--registry-id` names it instead, see README "Using it"), the listed accounts, or the organisation's
 * (lib/scope.ts), minus `--exclude-account` (and the management account unless the caller is it or
 * `--include-management-account` asks for it), × the regions; `--retry-failed-from` narrows it to the
 * account-regions that failed in an earlier organisation sweep (lib/org-retry.ts). The caller's own account
 * is acted on with the caller's own credentials, every other through the member role (lib/member-access.ts). The jobs run
 * through lib/org-sweep.ts: an account-region that fails never stops another, each ends with its summary,
 * and Ctrl-C stops waiting and reports what was decided until then.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { AuditRecord, OutcomeCounts } from '../lib/audit.ts';
import { emptyCounts, OUTCOMES } from '../lib/audit.ts';
import type { ClientHook } from '../lib/call-limits.ts';
import type { GuardConfig } from '../lib/config.ts';
import type { EcrAdapter } from '../lib/ecr.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { type AccountClientConfig, createMemberAccess } from '../lib/member-access.ts';
import { isMultiAccount, scopeRequestOf } from '../lib/org-config.ts';
import { narrowToFailures, parseManifestUri } from '../lib/org-retry.ts';
import {
  type AccountRegionJobResult,
  type AccountRegionSummary,
  type OrgRunSummary,
  runOverScope,
  type ScopedAuditRecord,
  summarize,
} from '../lib/org-sweep.ts';
import { resolveScope, type Scope, type ScopeTarget } from '../lib/scope.ts';
import { createResultReader } from '../lib/scope-items.ts';
import type { SweepDependencies } from '../lib/sweep.ts';
import { checkCallSetup, cliClientLimits, regionsOf } from './context.ts';
import type { CommonOptions } from './options.ts';

export interface PassContext {
  readonly options: CommonOptions;
  readonly config: GuardConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C. */
  readonly signal?: AbortSignal | undefined;
}

/** The clients of one account-region: its credentials, the run's endpoint and call limits. */
export interface TargetClients {
  readonly ecr: EcrAdapter;
  /** The configuration of another SDK client in this account-region (CloudTrail, for `plan`). */
  config(defaultMaxAttempts: number): AccountClientConfig;
  /** The run's call limits, for a client built from {@link config}. */
  readonly limitCalls: ClientHook;
  /** The configuration of a client with the caller's own credentials in `region` (the audit sinks'). */
  own(region: string, defaultMaxAttempts?: number): AccountClientConfig;
  /** The run's first region: where the audit bus is. */
  readonly homeRegion: string;
}

export interface JobContext {
  readonly target: ScopeTarget;
  readonly clients: TargetClients;
  /** Each decision of the job: counted for its account-region and handed on, with account and region. */
  readonly record: (record: AuditRecord) => void;
  /** Infinite until Ctrl-C, then 0: the job starts no more work. */
  readonly remainingMs: () => number;
  /** Repositories scanned so far, for the progress line. */
  readonly progress: (scanned: number) => void;
}

/**
 * lib/sweep.ts's dependencies in one account-region of the pass, each decision going to `record`. No Lambda
 * deadline on a workstation: one invocation covers the whole registry (or stops starting work on Ctrl-C).
 */
export function sweepDependencies(
  { options, config }: Pick<PassContext, 'options' | 'config'>,
  { target, clients, remainingMs, progress }: Omit<JobContext, 'record'>,
  record: (record: AuditRecord) => void,
): SweepDependencies {
  return {
    ecr: clients.ecr,
    policy: config.policy,
    region: target.region,
    registryId: options.registryId,
    now: () => new Date(),
    remainingMs,
    safetyMarginMs: 0,
    maxConcurrency: config.sweepConcurrency,
    record,
    checkCreationTemplates: config.checkCreationTemplates,
    onProgress: ({ scanned }) => progress(scanned),
  };
}

/** The work of a command in one account-region. */
export type PassJob = (job: JobContext) => Promise<AccountRegionJobResult>;

export interface PassHooks {
  readonly record: (record: ScopedAuditRecord) => void;
  readonly progress?: ((where: string, scanned: number, counts: Readonly<OutcomeCounts>) => void) | undefined;
  /** An account-region ended (skipped ones first). */
  readonly finished?: ((line: AccountRegionSummary) => void) | undefined;
  /** Something the user should know that is no account-region's line (a failure of a retried run not swept). */
  readonly notice?: ((message: string) => void) | undefined;
}

export interface PassResult {
  /** Every account-region of the scope; after Ctrl-C the ones not ended are `incomplete`. */
  readonly summary: OrgRunSummary;
  readonly interrupted: boolean;
  /** The account-regions Ctrl-C stopped before they ended (keys of {@link keyOf}). */
  readonly stopped: ReadonlySet<string>;
  /** Accounts given on the command line that the organisation does not have: a failure to name (exit 4). */
  readonly accountsNotInOrganization: readonly string[];
}

export const keyOf = (target: ScopeTarget) => `${target.accountId}/${target.region}`;

/** A session name that says who acted, in the member accounts' CloudTrail. */
const runId = () => `cli-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;

/** Resolves when `signal` aborts (at once if it has). */
function aborted(signal: AbortSignal | undefined): Promise<'interrupted'> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) resolve('interrupted');
    signal?.addEventListener('abort', () => resolve('interrupted'), { once: true });
  });
}

/** What is running: counts so far, for the progress line and for a summary after Ctrl-C. */
interface Running {
  readonly target: ScopeTarget;
  readonly counts: OutcomeCounts;
  readonly templateCounts: OutcomeCounts;
  readonly started: number;
}

/** Summaries after Ctrl-C: what ended, and every other account-region of the scope as `incomplete`. */
function interruptedSummary(
  scope: Scope,
  finished: readonly AccountRegionSummary[],
  running: ReadonlyMap<string, Running>,
): { summary: OrgRunSummary; stopped: Set<string> } {
  const ended = new Set(finished.map(keyOf));
  const names = new Map(scope.accounts.map((account) => [account.accountId, account.name]));
  const stopped = new Set<string>();
  const lines = [...finished];
  for (const target of scope.targets) {
    const key = keyOf(target);
    if (ended.has(key)) continue;
    stopped.add(key);
    const state = running.get(key);
    const counts = state?.counts ?? emptyCounts();
    lines.push({
      accountId: target.accountId,
      accountName: names.get(target.accountId),
      region: target.region,
      status: 'incomplete',
      counts,
      templateCounts: state?.templateCounts ?? emptyCounts(),
      scanned: OUTCOMES.reduce((sum, outcome) => sum + counts[outcome], 0),
      seconds: state === undefined ? 0 : (Date.now() - state.started) / 1000,
    });
  }
  return { summary: summarize(lines), stopped };
}

/**
 * Runs `job` in every account-region of the scope the options name.
 *
 * @throws InvalidInputError for bad usage, before any AWS call; the error of the scope's resolution
 * (GetCallerIdentity, the Organizations listing) when there is no scope to run.
 */
export async function runScopePass(
  context: PassContext,
  job: PassJob,
  hooks: PassHooks,
): Promise<PassResult> {
  const { options, config, env, signal } = context;
  const multiAccount = isMultiAccount(config.organization);
  if (multiAccount && options.registryId !== undefined) {
    throw new InvalidInputError([
      '--registry-id: not with --org or --account (each account-region is swept in its own registry)',
    ]);
  }
  await checkCallSetup(options, env);
  const regions = await regionsOf(options, env);
  const [home] = regions;
  if (home === undefined) throw new InvalidInputError(['--region: name at least one region']);
  if (!multiAccount && options.retryFailedFrom !== undefined) {
    throw new InvalidInputError([
      '--retry-failed-from: only with --org or --account (it names account-regions)',
    ]);
  }
  // Validated before any AWS call: bad flags are usage errors naming what was written.
  if (multiAccount) scopeRequestOf(config.organization, regions);
  const retryFrom =
    options.retryFailedFrom === undefined ? undefined : parseManifestUri(options.retryFailedFrom);
  const empty = { summary: summarize([]), stopped: new Set<string>(), accountsNotInOrganization: [] };
  const interrupt = aborted(signal);
  if (signal?.aborted === true) return { ...empty, interrupted: true };

  const limitCalls = cliClientLimits(options, config, env);
  const access = await createMemberAccess(config, {
    region: home,
    // --registry-id names the one account of the scope, acted on with the caller's credentials.
    ownAccountId: options.registryId,
    runId: runId(),
    client: { profile: options.profile, endpoint: options.endpointUrl, defaultMaxAttempts: 8 },
    onClient: limitCalls,
  });
  const finished: AccountRegionSummary[] = [];
  const running = new Map<string, Running>();
  let stopped = false;
  try {
    const resolving = resolveScope(
      scopeRequestOf(config.organization, regions, access.ownAccountId),
      access.lister,
      // The caller's own account needs no member role, the management account included.
      { callerAccountId: access.ownAccountId },
    ).then(async (resolved) => {
      if (retryFrom === undefined) return resolved;
      // The earlier run's ResultWriter output, read with the caller's own credentials.
      const s3 = new S3Client({
        ...access.clientConfigFor({ accountId: access.ownAccountId, region: home }, 8),
        followRegionRedirects: true,
      });
      limitCalls(s3);
      try {
        const narrowed = await narrowToFailures(resolved, createResultReader(s3), retryFrom);
        for (const { accountId, region } of narrowed.retry.notInScope) {
          hooks.notice?.(
            `${accountId} ${region} failed in that run but is no longer in the scope: not swept`,
          );
        }
        return narrowed.scope;
      } finally {
        s3.destroy();
      }
    });
    const scope = await Promise.race([resolving, interrupt]);
    if (scope === 'interrupted') {
      resolving.catch(() => {});
      return { ...empty, interrupted: true };
    }
    const accountsNotInOrganization = scope.skipped
      .filter((account) => account.reason === 'not-in-organization')
      .map((account) => account.accountId);
    const remainingMs = () => (signal?.aborted === true ? 0 : Number.POSITIVE_INFINITY);
    const run = runOverScope(
      scope,
      async (target, record) =>
        job({
          target,
          record,
          remainingMs,
          clients: {
            ecr: access.ecrFor(target),
            config: (defaultMaxAttempts) => access.clientConfigFor(target, defaultMaxAttempts),
            limitCalls,
            own: (region, defaultMaxAttempts) =>
              access.clientConfigFor({ accountId: access.ownAccountId, region }, defaultMaxAttempts),
            homeRegion: home,
          },
          progress: (scanned) => {
            const state = running.get(keyOf(target));
            if (!stopped && state !== undefined) {
              hooks.progress?.(`${target.accountId} ${target.region}`, scanned, state.counts);
            }
          },
        }),
      {
        maxParallel: config.organization.parallelism,
        // One AssumeRole per account (cached), so a role that cannot be assumed fails with STS's code.
        prepareAccount: (accountId) => access.credentials.ensure(accountId),
        onStart: (target) => {
          running.set(keyOf(target), {
            target,
            counts: emptyCounts(),
            templateCounts: emptyCounts(),
            started: Date.now(),
          });
        },
        record: (entry) => {
          if (stopped) return;
          const state = running.get(keyOf(entry));
          if (state !== undefined) {
            if (entry.templatePrefix === undefined) state.counts[entry.outcome] += 1;
            else state.templateCounts[entry.outcome] += 1;
          }
          hooks.record(entry);
        },
        onFinish: (line) => {
          if (stopped) return;
          running.delete(keyOf(line));
          finished.push(line);
          hooks.finished?.(line);
        },
      },
    );
    const outcome = await Promise.race([run, interrupt]);
    stopped = true;
    if (outcome === 'interrupted') {
      // The calls in flight are abandoned with their clients; what they would have recorded is not shown.
      run.catch(() => {});
      return {
        ...interruptedSummary(scope, finished, running),
        interrupted: true,
        accountsNotInOrganization,
      };
    }
    return { summary: outcome, interrupted: false, stopped: new Set(), accountsNotInOrganization };
  } finally {
    stopped = true;
    access.destroy();
  }
}
