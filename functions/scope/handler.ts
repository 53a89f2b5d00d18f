/**
 * The organisation sweep's two steps around its Distributed Map (infra/org-sweep-workflow.ts):
 * - "List the scope": resolves the configured scope (lib/scope.ts; AWS Organizations in organisation mode)
 *   and answers with the account-region items one sweep child each runs. Given a bucket, the items are
 *   written to S3 as one JSON array and only `{bucket, key, count, skipped}` is returned, so thousands of
 *   items never travel in a state payload; without one, the items are returned inline. Given the
 *   execution's input as `request`, it is validated strictly (a typo fails the execution before any
 *   child runs) and answered as the options every item carries.
 *   The input `{"retryFailedFrom": "results/<map run>/manifest.json"}` narrows the scope to the account-regions
 *   that failed in that earlier run (read from its ResultWriter output in the same bucket); the ones the scope
 *   no longer holds are answered in `retry.notInScope`, not swept.
 * - "Summarise": `{ "summarize": { "bucket", "key" } }` reads the Distributed Map's ResultWriter manifest
 *   and result files and sums every child's counts (lib/org-results.ts).
 *
 * Every skipped account (the management account among them, lib/scope.ts) is logged with its reason and
 * counted in the `SkippedAccounts` metric per reason (`{service, SkipReason}`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import type { GuardConfig } from '../../lib/config.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { isMultiAccount, scopeRequestOf } from '../../lib/org-config.ts';
import { type OrgSweepTotals, readResults, sumResults } from '../../lib/org-results.ts';
import { narrowToFailures, RETRY_MANIFEST_KEY, type RetryAnswer } from '../../lib/org-retry.ts';
import {
  type OrganizationLister,
  resolveScope,
  type Scope,
  type SkippedAccount,
  type SkipReason,
} from '../../lib/scope.ts';
import {
  type ResultReader,
  type ScopeItem,
  type ScopeItemWriter,
  scopeItems,
  skippedOf,
} from '../../lib/scope-items.ts';
import { formatIssues } from '../../lib/validation.ts';
import { deploymentOf } from '../shared/deployment.ts';

/** S3 bucket names: 3-63 of lowercase letters, digits, dots and hyphens. */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const bucketSchema = z
  .string()
  .check(z.regex(BUCKET_PATTERN, 'must be an S3 bucket name (3-63 of a-z 0-9 . -)'));
const keySchema = z
  .string()
  .check(z.minLength(1, 'must not be empty'), z.maxLength(1024, 'must be at most 1024 characters'));

const ScopePayloadSchema = z.strictObject({
  bucket: z.optional(bucketSchema),
  key: z.optional(keySchema),
  /** The organisation sweep execution's input, validated by {@link parseSweepRequest}. */
  request: z.optional(z.unknown()),
});

const SummarizePayloadSchema = z.strictObject({
  summarize: z.strictObject({ bucket: bucketSchema, key: keySchema }),
});

/** An EventBridge scheduled event (rule schedule or EventBridge Scheduler): a sweep with the configured dryRun. */
const ScheduledEventSchema = z.looseObject({
  source: z.enum(['aws.events', 'aws.scheduler']),
  'detail-type': z.literal('Scheduled Event'),
});

/** The organisation sweep's execution input; the bounds are the sweep payload's (lib/sweep-input.ts). */
const SweepRequestSchema = z.strictObject({
  dryRun: z.optional(z.boolean()),
  maxRepositories: z.optional(z.int().check(z.gte(1), z.lte(1_000_000))),
  retryFailedFrom: z.optional(
    z.string().check(
      z.maxLength(1024, 'must be at most 1024 characters'),
      z.regex(RETRY_MANIFEST_KEY, {
        error: (issue) =>
          `must be the manifest of an earlier run, results/<map run>/manifest.json, got ${JSON.stringify(issue.input)}`,
      }),
    ),
  ),
});

/** The options every account-region's sweep receives: what the execution's input said, nothing more. */
export interface SweepRequestOptions {
  readonly dryRun?: boolean;
  readonly maxRepositories?: number;
}

/** The execution input, validated: the options for every item, and the earlier run to retry the failures of. */
export interface SweepRequest {
  readonly options: SweepRequestOptions;
  /** The ResultWriter manifest key of the earlier run (in the results bucket). */
  readonly retryFailedFrom?: string;
}

/**
 * Validates the organisation sweep's execution input: the scheduled event (no options: the sweep
 * function's configured dryRun applies) or `{ "dryRun"?: boolean, "maxRepositories"?: number,
 * "retryFailedFrom"?: "results/<map run>/manifest.json" }`.
 *
 * @throws InvalidInputError naming each bad or unknown field and what was written.
 */
export function parseSweepRequest(input: unknown): SweepRequest {
  if (ScheduledEventSchema.safeParse(input).success) return { options: {} };
  const result = SweepRequestSchema.safeParse(input ?? {});
  if (!result.success) throw new InvalidInputError(formatIssues(result.error, ['execution input']));
  const { dryRun, maxRepositories, retryFailedFrom } = result.data;
  return {
    options: {
      ...(dryRun === undefined ? {} : { dryRun }),
      ...(maxRepositories === undefined ? {} : { maxRepositories }),
    },
    ...(retryFailedFrom === undefined ? {} : { retryFailedFrom }),
  };
}

export type ScopeAnswer = (
  | { readonly items: ScopeItem[]; readonly count: number; readonly skipped: SkippedAccount[] }
  | {
      readonly bucket: string;
      readonly key: string;
      readonly count: number;
      readonly skipped: SkippedAccount[];
    }
) & { readonly request?: SweepRequestOptions; readonly retry?: RetryAnswer };

export interface ScopeDependencies {
  readonly config: GuardConfig;
  readonly logger: Logger;
  /** Counts skipped accounts per reason; absent: not counted (tests that do not look). */
  readonly metrics?: Metrics;
  /** The function's region: the scope's regions when SCOPE_REGIONS is not set. */
  readonly region: string;
  /** The organisation's accounts (loaded on first use). */
  readonly lister: () => Promise<OrganizationLister>;
  /** Writes items to S3 (loaded on first use). */
  readonly writer: () => Promise<ScopeItemWriter>;
  /** Reads the Distributed Map's result files from S3 (loaded on first use). */
  readonly reader?: () => Promise<ResultReader>;
  readonly now?: () => Date;
}

export function createScopeHandler(
  deps: ScopeDependencies,
): (
  event: unknown,
  context?: Partial<Pick<Context, 'invokedFunctionArn'>>,
) => Promise<ScopeAnswer | OrgSweepTotals> {
  const { config, logger } = deps;
  const reject = (error: InvalidInputError): never => {
    logger.error('rejected invalid scope input', { issues: error.issues });
    throw error;
  };
  return async (event, context) => {
    if (typeof event === 'object' && event !== null && 'summarize' in event) {
      const parsed = SummarizePayloadSchema.safeParse(event);
      if (!parsed.success) return reject(new InvalidInputError(formatIssues(parsed.error)));
      return summarize(deps, parsed.data.summarize);
    }
    const parsed = ScopePayloadSchema.safeParse(event ?? {});
    if (!parsed.success) return reject(new InvalidInputError(formatIssues(parsed.error)));
    const { bucket, key } = parsed.data;
    let options: { request?: SweepRequestOptions } = {};
    let retryFailedFrom: string | undefined;
    if ('request' in parsed.data) {
      try {
        const request = parseSweepRequest(parsed.data.request);
        options = { request: request.options };
        retryFailedFrom = request.retryFailedFrom;
      } catch (error) {
        if (error instanceof InvalidInputError) return reject(error);
        throw error;
      }
    }
    if (retryFailedFrom !== undefined && bucket === undefined) {
      return reject(new InvalidInputError(['retryFailedFrom: needs the results bucket (bucket)']));
    }
    const organization = config.organization;
    const regions = organization.regions.length > 0 ? organization.regions : [deps.region];
    const arn = context?.invokedFunctionArn;
    // The function's own account: reached with its own credentials, the management account included.
    const home = deploymentOf(arn === undefined ? undefined : { invokedFunctionArn: arn });
    // One account without organisation mode or an account list: the function's own, a scope of one.
    if (!isMultiAccount(organization) && home === undefined) {
      throw new InvalidInputError(['the function ARN names no account']);
    }
    const request = scopeRequestOf(organization, regions, home?.account);
    const resolved = await resolveScope(request, request.organization ? await deps.lister() : undefined, {
      callerAccountId: home?.account,
    });
    let scope: Scope = resolved;
    let retry: { retry?: RetryAnswer } = {};
    if (retryFailedFrom !== undefined && bucket !== undefined) {
      const answer = await narrowToFailuresOf(deps, resolved, { bucket, key: retryFailedFrom });
      scope = answer.scope;
      retry = { retry: answer.retry };
    }
    const items = scopeItems(scope, organization.roleName);
    const skipped = skippedOf(scope);
    logger.info('scope resolved', {
      accounts: scope.accounts.length,
      regions: scope.regions.length,
      items: items.length,
      skipped: skipped.map(({ accountId, reason }) => ({ accountId, reason })),
      ...retry,
    });
    countSkipped(deps.metrics, skipped);
    if (bucket === undefined) return { items, count: items.length, skipped, ...options };
    const objectKey =
      key ?? `ecr-immutability-guard/scope/${(deps.now?.() ?? new Date()).toISOString()}.json`;
    await (await deps.writer()).write(bucket, objectKey, items);
    return { bucket, key: objectKey, count: items.length, skipped, ...options, ...retry };
  };
}

/** `SkippedAccounts` per reason, one `{service, SkipReason}` document each: a handful of reasons, never an account. */
function countSkipped(metrics: Metrics | undefined, skipped: readonly SkippedAccount[]): void {
  if (metrics === undefined) return;
  const byReason = new Map<SkipReason, number>();
  for (const { reason } of skipped) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  for (const [reason, count] of byReason) {
    metrics
      .singleMetric()
      .addDimension(SKIP_REASON_DIMENSION, reason)
      .addMetric(SKIPPED_ACCOUNTS_METRIC, MetricUnit.Count, count);
  }
}

/** The metric of skipped accounts, and its dimension. */
export const SKIPPED_ACCOUNTS_METRIC = 'SkippedAccounts';
export const SKIP_REASON_DIMENSION = 'SkipReason';

/** The scope narrowed to the account-regions that failed in the run whose ResultWriter manifest is `at`. */
async function narrowToFailuresOf(
  deps: Pick<ScopeDependencies, 'reader'>,
  scope: Scope,
  at: { bucket: string; key: string },
): Promise<{ scope: Scope; retry: RetryAnswer }> {
  if (deps.reader === undefined)
    throw new InvalidInputError(['retryFailedFrom: this deployment reads no results']);
  return narrowToFailures(scope, await deps.reader(), at);
}

/**
 * Reads the ResultWriter manifest at `s3://bucket/key`, then every result file it lists (in the manifest's
 * destination bucket), and sums them. A malformed file fails the invocation naming the file and the field.
 */
async function summarize(
  deps: Pick<ScopeDependencies, 'reader' | 'logger'>,
  manifestAt: { bucket: string; key: string },
): Promise<OrgSweepTotals> {
  if (deps.reader === undefined) throw new InvalidInputError(['summarize: this deployment reads no results']);
  const { manifest, files } = await readResults(await deps.reader(), manifestAt);
  const totals = sumResults(files, manifestAt.key);
  deps.logger.info('organisation sweep results summed', {
    mapRunArn: manifest.mapRunArn,
    files: files.length,
    accountRegions: totals.accountRegions,
    failedAccountRegions: totals.failedAccountRegions,
    unguardedAccountRegions: totals.unguardedAccountRegions,
    counts: totals.counts,
    failures: totals.failures,
    unguarded: totals.unguarded,
  });
  return totals;
}
