/**
 * "List the scope" for an orchestrator: resolves the configured scope (lib/scope.ts; AWS Organizations in
 * organisation mode) and answers with the account-region items one sweep child each runs. Given a bucket,
 * the items are written to S3 as one JSON array and only `{bucket, key, count, skipped}` is returned, so
 * thousands of items never travel in a state payload; without one, the items are returned inline.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import type { GuardConfig } from '../../lib/config.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { isMultiAccount, scopeRequestOf } from '../../lib/org-config.ts';
import {
  type OrganizationLister,
  parseScopeRequest,
  resolveScope,
  type SkippedAccount,
} from '../../lib/scope.ts';
import { type ScopeItem, type ScopeItemWriter, scopeItems, skippedOf } from '../../lib/scope-items.ts';
import { formatIssues } from '../../lib/validation.ts';
import { deploymentOf } from '../shared/deployment.ts';

/** S3 bucket names: 3-63 of lowercase letters, digits, dots and hyphens. */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const ScopePayloadSchema = z.strictObject({
  bucket: z.optional(
    z.string().check(z.regex(BUCKET_PATTERN, 'must be an S3 bucket name (3-63 of a-z 0-9 . -)')),
  ),
  key: z.optional(
    z
      .string()
      .check(z.minLength(1, 'must not be empty'), z.maxLength(1024, 'must be at most 1024 characters')),
  ),
});

export type ScopeAnswer =
  | { readonly items: ScopeItem[]; readonly count: number; readonly skipped: SkippedAccount[] }
  | {
      readonly bucket: string;
      readonly key: string;
      readonly count: number;
      readonly skipped: SkippedAccount[];
    };

export interface ScopeDependencies {
  readonly config: GuardConfig;
  readonly logger: Logger;
  /** The function's region: the scope's regions when SCOPE_REGIONS is not set. */
  readonly region: string;
  /** The organisation's accounts (loaded on first use). */
  readonly lister: () => Promise<OrganizationLister>;
  /** Writes items to S3 (loaded on first use). */
  readonly writer: () => Promise<ScopeItemWriter>;
  readonly now?: () => Date;
}

export function createScopeHandler(
  deps: ScopeDependencies,
): (event: unknown, context?: Partial<Pick<Context, 'invokedFunctionArn'>>) => Promise<ScopeAnswer> {
  const { config, logger } = deps;
  return async (event, context) => {
    const parsed = ScopePayloadSchema.safeParse(event ?? {});
    if (!parsed.success) {
      const error = new InvalidInputError(formatIssues(parsed.error));
      logger.error('rejected invalid scope input', { issues: error.issues });
      throw error;
    }
    const { bucket, key } = parsed.data;
    const organization = config.organization;
    const regions = organization.regions.length > 0 ? organization.regions : [deps.region];
    let request: ReturnType<typeof parseScopeRequest>;
    if (isMultiAccount(organization)) {
      request = scopeRequestOf(organization, regions);
    } else {
      // One account: the function's own, a scope of one account.
      const arn = context?.invokedFunctionArn;
      const home = deploymentOf(arn === undefined ? undefined : { invokedFunctionArn: arn });
      if (home === undefined) throw new InvalidInputError(['the function ARN names no account']);
      request = parseScopeRequest({
        accounts: [home.account],
        excludeAccounts: [...organization.excludedAccounts],
        regions: [...regions],
      });
    }
    const scope = await resolveScope(request, request.organization ? await deps.lister() : undefined);
    const items = scopeItems(scope, organization.roleName);
    const skipped = skippedOf(scope);
    logger.info('scope resolved', {
      accounts: scope.accounts.length,
      regions: scope.regions.length,
      items: items.length,
      skipped: skipped.map(({ accountId, reason }) => ({ accountId, reason })),
    });
    if (bucket === undefined) return { items, count: items.length, skipped };
    const objectKey =
      key ?? `ecr-immutability-guard/scope/${(deps.now?.() ?? new Date()).toISOString()}.json`;
    await (await deps.writer()).write(bucket, objectKey, items);
    return { bucket, key: objectKey, count: items.length, skipped };
  };
}
