/**
 * The Security Hub adapter: the only place that talks to `@aws-sdk/client-securityhub`. It takes a ready
 * client (tests pass an `aws-sdk-client-mock`), reads an account-region's ACTIVE ECR.2 control findings in
 * one paged GetFindings pass (never a call per repository: ceil(findings / 100) calls), and sends the
 * BatchUpdateFindings requests lib/findings-sync.ts plans, 100 findings a call.
 *
 * Rate limits (the Security Hub API reference): GetFindings 3 requests per second (burst 6),
 * BatchUpdateFindings 10 per second (burst 30), per account and Region
 * (https://docs.aws.amazon.com/securityhub/1.0/APIReference/Welcome.html). A client-side limiter per
 * operation spaces the calls at the sustained rate, retries included; a `TooManyRequestsException` that
 * happens anyway (another caller in the account) is retried with backoff, and any other failure is
 * translated into an {@link AwsCallError} here (lib/aws-call.ts). Findings BatchUpdateFindings reports as
 * unprocessed with a transient code (`ConcurrentUpdateError`, `InternalFailure`) are sent again, the rest
 * are returned to the caller. The IAM actions of each operation and the workflow statuses it sets are in
 * lib/iam-actions.ts, which imports nothing (the construct grants them); its limits in
 * lib/securityhub-limits.ts.
 */
import {
  type AwsSecurityFinding,
  BatchUpdateFindingsCommand,
  type BatchUpdateFindingsCommandInput,
  GetFindingsCommand,
  type GetFindingsCommandInput,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { callWithRetries } from './aws-call.ts';
import type { RetryOptions, Sleep } from './aws-retry.ts';
import {
  type ControlFinding,
  ECR2_CONTROL_ID,
  type FindingIdentifier,
  type FindingUpdate,
  MAX_FINDINGS_PER_UPDATE,
} from './findings-sync.ts';
import { type ActionTable, SECURITY_HUB_ACTIONS } from './iam-actions.ts';
import { pageTokens } from './pagination.ts';
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts';
import {
  BATCH_UPDATE_FINDINGS_PER_SECOND,
  GET_FINDINGS_PAGE_SIZE,
  GET_FINDINGS_PER_SECOND,
  MAX_FILTER_VALUES,
} from './securityhub-limits.ts';

/** Unprocessed codes worth sending again (BatchUpdateFindingsUnprocessedFinding's documented codes). */
// Stryker disable next-line StringLiteral: static (built at import), which Stryker 10 activates after the module loaded and reports surviving whatever the tests do (stryker-js 6144, 6209); the unprocessed-resend tests of test/unit/securityhub-adapter.test.ts fail on either code emptied.
const TRANSIENT_UNPROCESSED = new Set(['ConcurrentUpdateError', 'InternalFailure']);
const SERVICE = 'securityhub';

/** One account-region's findings pass. */
export interface FindingsPass {
  /** The ACTIVE findings of the control there, with a resource (the repository). */
  readonly findings: readonly ControlFinding[];
  /** GetFindings calls that answered (one per page). */
  readonly pages: number;
  /** GetFindings calls made, retries included. */
  readonly calls: number;
  /** Findings without an Id, ProductArn or resource: skipped, not guessed at. */
  readonly unreadable: number;
  /** Findings the filters should have excluded (another control, account, Region, or not ACTIVE): skipped. */
  readonly outside: number;
}

/** A finding BatchUpdateFindings did not update, with Security Hub's code and message. */
export interface UnprocessedFinding extends FindingIdentifier {
  readonly errorCode: string;
  readonly errorMessage: string;
}

export interface UpdateResult {
  readonly processed: number;
  readonly unprocessed: readonly UnprocessedFinding[];
  /** BatchUpdateFindings requests sent (each of at most 100 findings), resends of unprocessed ones included. */
  readonly batches: number;
  /** BatchUpdateFindings calls made, retries included. */
  readonly calls: number;
}

export interface SecurityHubAdapter {
  /**
   * Every ACTIVE finding of `controlId` (default ECR.2) of the account in the Region, all pages; only those
   * of `resourceIds` (at most {@link MAX_FILTER_VALUES}) when given, as for the few repositories of an event.
   */
  findControlFindings(scope: {
    readonly accountId: string;
    readonly region: string;
    readonly controlId?: string;
    readonly resourceIds?: readonly string[];
  }): Promise<FindingsPass>;
  /** Sends the updates, 100 findings a call. */
  updateFindings(updates: readonly FindingUpdate[]): Promise<UpdateResult>;
}

SECURITY_HUB_ACTIONS satisfies ActionTable<SecurityHubAdapter, typeof SECURITY_HUB_ACTIONS>;

export interface SecurityHubAdapterOptions extends RetryOptions {
  /** Milliseconds since the epoch, for the limiters (default `Date.now`). */
  readonly now?: () => number;
  /** The GetFindings limiter; default 3 calls per second. Share one per account-region. */
  readonly readLimiter?: RateLimiter;
  /** The BatchUpdateFindings limiter; default 10 calls per second. */
  readonly updateLimiter?: RateLimiter;
  /** How many times findings unprocessed with a transient code are sent again (default 2). */
  readonly unprocessedRetries?: number;
}

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function text(value: string | undefined): string | undefined {
  // Stryker disable next-line ConditionalExpression: `false` for `value === undefined` is equivalent, an undefined value is returned as the undefined it is; the other conditions, disabled with it, fail the readControlFinding and empty-token tests.
  return value === undefined || value === '' ? undefined : value;
}

/** The control finding a GetFindings finding is, or undefined when it lacks what the sync needs. */
export function readControlFinding(finding: AwsSecurityFinding): ControlFinding | undefined {
  const id = text(finding.Id);
  const productArn = text(finding.ProductArn);
  const accountId = text(finding.AwsAccountId);
  const resourceId = text(finding.Resources?.[0]?.Id);
  if (id === undefined || productArn === undefined || accountId === undefined || resourceId === undefined)
    return undefined;
  return {
    id,
    productArn,
    accountId,
    region: finding.Region ?? '',
    resourceId,
    complianceStatus: finding.Compliance?.Status,
    workflowStatus: finding.Workflow?.Status ?? 'NEW',
    noteText: finding.Note?.Text,
    userDefinedFields: { ...finding.UserDefinedFields },
  };
}

/** Calls made so far by one method, every attempt counted. */
interface Tally {
  calls: number;
}

/** Creates the adapter over a ready `SecurityHubClient`. */
export function createSecurityHubAdapter(
  client: SecurityHubClient,
  options: SecurityHubAdapterOptions = {},
): SecurityHubAdapter {
  const sleep = options.sleep ?? realSleep;
  const clock = { now: options.now ?? Date.now, sleep };
  const readLimiter = options.readLimiter ?? createRateLimiter(GET_FINDINGS_PER_SECOND, clock);
  const updateLimiter = options.updateLimiter ?? createRateLimiter(BATCH_UPDATE_FINDINGS_PER_SECOND, clock);
  const retries = { ...options, sleep };
  /** `send` as a call of `operation` whose every attempt, retries included, waits at `limiter` and is counted. */
  const limitedCall = <T>(operation: string, limiter: RateLimiter, tally: Tally, send: () => Promise<T>) =>
    callWithRetries(
      SERVICE,
      operation,
      async () => {
        await limiter.acquire();
        tally.calls += 1;
        return send();
      },
      retries,
    );
  return {
    async findControlFindings({ accountId, region, controlId = ECR2_CONTROL_ID, resourceIds }) {
      if (resourceIds !== undefined && (resourceIds.length === 0 || resourceIds.length > MAX_FILTER_VALUES))
        throw new RangeError(
          `resourceIds must name 1 to ${MAX_FILTER_VALUES} resources, got ${resourceIds.length}`,
        );
      const resources = resourceIds === undefined ? undefined : new Set(resourceIds);
      const findings: ControlFinding[] = [];
      let pages = 0;
      const tally = { calls: 0 };
      let unreadable = 0;
      let outside = 0;
      let nextToken: string | undefined;
      const tokens = pageTokens('Security Hub GetFindings');
      do {
        const input: GetFindingsCommandInput = {
          Filters: {
            ComplianceSecurityControlId: [{ Value: controlId, Comparison: 'EQUALS' }],
            RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
            AwsAccountId: [{ Value: accountId, Comparison: 'EQUALS' }],
            Region: [{ Value: region, Comparison: 'EQUALS' }],
            ...(resourceIds === undefined
              ? {}
              : { ResourceId: resourceIds.map((id) => ({ Value: id, Comparison: 'EQUALS' as const })) }),
          },
          MaxResults: GET_FINDINGS_PAGE_SIZE,
          NextToken: nextToken,
        };
        const output = await limitedCall('GetFindings', readLimiter, tally, () =>
          client.send(new GetFindingsCommand(input)),
        );
        pages += 1;
        for (const raw of output.Findings ?? []) {
          // Checked again here: the filters are the service's promise, and not every implementation keeps it.
          const inScope =
            raw.Compliance?.SecurityControlId === controlId &&
            (raw.RecordState ?? 'ACTIVE') === 'ACTIVE' &&
            raw.AwsAccountId === accountId &&
            raw.Region === region;
          const finding = readControlFinding(raw);
          if (finding === undefined) unreadable += 1;
          else if (!inScope || (resources !== undefined && !resources.has(finding.resourceId))) outside += 1;
          else findings.push(finding);
        }
        nextToken = tokens.next(text(output.NextToken ?? undefined));
      } while (nextToken !== undefined);
      return { findings, pages, calls: tally.calls, unreadable, outside };
    },

    async updateFindings(updates) {
      let processed = 0;
      let batches = 0;
      const tally = { calls: 0 };
      const unprocessed: UnprocessedFinding[] = [];
      const send = async (update: FindingUpdate, findings: readonly FindingIdentifier[]) => {
        batches += 1;
        const input: BatchUpdateFindingsCommandInput = {
          FindingIdentifiers: findings.map(({ id, productArn }) => ({ Id: id, ProductArn: productArn })),
          Note: { Text: update.note.text, UpdatedBy: update.note.updatedBy },
          UserDefinedFields: { ...update.userDefinedFields },
          ...(update.workflowStatus === undefined ? {} : { Workflow: { Status: update.workflowStatus } }),
        };
        const output = await limitedCall('BatchUpdateFindings', updateLimiter, tally, () =>
          client.send(new BatchUpdateFindingsCommand(input)),
        );
        processed += output.ProcessedFindings?.length ?? 0;
        return (output.UnprocessedFindings ?? []).map((entry) => ({
          id: entry.FindingIdentifier?.Id ?? '',
          productArn: entry.FindingIdentifier?.ProductArn ?? '',
          errorCode: entry.ErrorCode ?? 'Unknown',
          errorMessage: entry.ErrorMessage ?? '',
        }));
      };
      for (const update of updates) {
        for (let start = 0; start < update.findings.length; start += MAX_FINDINGS_PER_UPDATE) {
          let pending = await send(update, update.findings.slice(start, start + MAX_FINDINGS_PER_UPDATE));
          for (let attempt = 0; attempt < (options.unprocessedRetries ?? 2); attempt += 1) {
            const again = pending.filter((entry) => TRANSIENT_UNPROCESSED.has(entry.errorCode));
            if (again.length === 0) break;
            unprocessed.push(...pending.filter((entry) => !TRANSIENT_UNPROCESSED.has(entry.errorCode)));
            pending = await send(update, again);
          }
          unprocessed.push(...pending);
        }
      }
      return { processed, unprocessed, batches, calls: tally.calls };
    },
  };
}
