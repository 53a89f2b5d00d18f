/**
 * The organisation sweep's two steps around its Distributed Map (infra/org-sweep-workflow.ts):
 * - "List the scope": resolves the configured scope (lib/scope.ts; AWS Organizations in organisation mode)
 *   and answers with the account-region items one sweep child each runs. Given a bucket, the items are
 *   written to S3 as one JSON array and only `{bucket, key, count, skipped}` is returned, so thousands of
 *   items never travel in a state payload; without one, the items are returned inline. Given the
 *   execution's input as `request`, it is validated strictly (a typo fails the execution before any
 *   child runs) and answered as the options every item carries.
 * - "Summarise": `{ "summarize": { "bucket", "key" } }` reads the Distributed Map's ResultWriter manifest
 *   and result files and sums every child's counts (lib/org-results.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import type { GuardConfig } from '../../lib/config.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { isMultiAccount, scopeRequestOf } from '../../lib/org-config.ts';
import {
  type OrgSweepTotals,
  parseManifest,
  parseResultFile,
  RESULT_STATUSES,
  type ResultFile,
  sumResults,
} from '../../lib/org-results.ts';
import { type OrganizationLister, resolveScope, type SkippedAccount } from '../../lib/scope.ts';
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
});

/** The options every account-region's sweep receives: what the execution's input said, nothing more. */
export interface SweepRequestOptions {
  readonly dryRun?: boolean;
  readonly maxRepositories?: number;
}

/**
 * Validates the organisation sweep's execution input: the scheduled event (no options: the sweep
 * function's configured dryRun applies) or `{ "dryRun"?: boolean, "maxRepositories"?: number }`.
 *
 * @throws InvalidInputError naming each bad or unknown field and what was written.
 */
export function parseSweepRequest(input: unknown): SweepRequestOptions {
  if (ScheduledEventSchema.safeParse(input).success) return {};
  const result = SweepRequestSchema.safeParse(input ?? {});
  if (!result.success) throw new InvalidInputError(formatIssues(result.error, ['execution input']));
  const { dryRun, maxRepositories } = result.data;
  return {
    ...(dryRun === undefined ? {} : { dryRun }),
    ...(maxRepositories === undefined ? {} : { maxRepositories }),
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
) & { readonly request?: SweepRequestOptions };

export interface ScopeDependencies {
  readonly config: GuardConfig;
  readonly logger: Logger;
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
    if ('request' in parsed.data) {
      try {
        options = { request: parseSweepRequest(parsed.data.request) };
      } catch (error) {
        if (error instanceof InvalidInputError) return reject(error);
        throw error;
      }
    }
    const organization = config.organization;
    const regions = organization.regions.length > 0 ? organization.regions : [deps.region];
    // One account without organisation mode or an account list: the function's own, a scope of one.
    let ownAccountId: string | undefined;
    if (!isMultiAccount(organization)) {
      const arn = context?.invokedFunctionArn;
      ownAccountId = deploymentOf(arn === undefined ? undefined : { invokedFunctionArn: arn })?.account;
      if (ownAccountId === undefined) throw new InvalidInputError(['the function ARN names no account']);
    }
    const request = scopeRequestOf(organization, regions, ownAccountId);
    const scope = await resolveScope(request, request.organization ? await deps.lister() : undefined);
    const items = scopeItems(scope, organization.roleName);
    const skipped = skippedOf(scope);
    logger.info('scope resolved', {
      accounts: scope.accounts.length,
      regions: scope.regions.length,
      items: items.length,
      skipped: skipped.map(({ accountId, reason }) => ({ accountId, reason })),
    });
    if (bucket === undefined) return { items, count: items.length, skipped, ...options };
    const objectKey =
      key ?? `ecr-immutability-guard/scope/${(deps.now?.() ?? new Date()).toISOString()}.json`;
    await (await deps.writer()).write(bucket, objectKey, items);
    return { bucket, key: objectKey, count: items.length, skipped, ...options };
  };
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
  const reader = await deps.reader();
  const manifest = parseManifest(await reader.read(manifestAt.bucket, manifestAt.key), manifestAt.key);
  const files: ResultFile[] = [];
  for (const status of RESULT_STATUSES) {
    for (const key of manifest.files[status]) {
      files.push(parseResultFile(await reader.read(manifest.bucket, key), key, status));
    }
  }
  const totals = sumResults(files);
  deps.logger.info('organisation sweep results summed', {
    mapRunArn: manifest.mapRunArn,
    files: files.length,
    accountRegions: totals.accountRegions,
    failedAccountRegions: totals.failedAccountRegions,
    counts: totals.counts,
    failures: totals.failures,
  });
  return totals;
}
