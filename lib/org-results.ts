/**
 * The results of an organisation sweep, summed: a Step Functions Distributed Map runs one child execution
 * per account-region (infra/org-sweep-workflow.ts) and its `ResultWriter` writes a `manifest.json` and one
 * or more result files per status (SUCCEEDED, FAILED, PENDING) to S3. This module parses those files and
 * sums every child's repository counts; it decides which account-regions failed (and lists all of them, for a
 * run that retries only those) and which were unguarded (lib/forwarding.ts). Pure: no S3 calls (the files come
 * through an injected reader, lib/scope-items.ts over S3). See docs/architecture.md, "Sweep".
 *
 * Formats: https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 * - manifest: `{ "DestinationBucket", "MapRunArn", "ResultFiles": { "FAILED": [{ "Key", "Size" }], "PENDING": [...], "SUCCEEDED": [...] } }`
 * - a result file: a JSON array of child executions `{ "ExecutionArn", "Name", "Input", "Output"?, "Status",
 *   "Error"?, "Cause"?, ... }`, where `Input` and `Output` are JSON *strings* (the execution's payloads).
 */
import * as z from 'zod/mini';
import { InvalidInputError } from './errors.ts';
import { FORWARDING_STATUSES } from './forwarding.ts';
import { DECISION_OUTCOMES, type DecisionCounts, decisionCounts, emptyCounts, recordOf } from './outcomes.ts';
import type { ScopeTarget } from './scope.ts';
import type { ResultReader } from './scope-items.ts';
import { formatIssues, jsonOrUndefined, parseJson } from './validation.ts';

/** The result statuses the ResultWriter writes files for. */
export const RESULT_STATUSES = ['SUCCEEDED', 'FAILED', 'PENDING'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/** The repository decision outcomes a child sums, in a fixed order (the table of lib/outcomes.ts). */
export const COUNT_KEYS = DECISION_OUTCOMES;

/** How many failed account-regions the summary names (the rest are only counted): bounded output. */
export const MAX_NAMED_FAILURES = 10;

const countSchema = z.int().check(z.gte(0));
const CountsSchema = z.object(recordOf(COUNT_KEYS, () => countSchema));

/**
 * What a child execution of the organisation sweep ends with: its Succeed state's output, and (as a JSON
 * string) its Fail states' cause, so that a failed account-region's partial counts are not lost. The
 * JSONata that builds both is in infra/sweep-workflow.ts (`childOutcome`).
 */
export const ChildOutcomeSchema = z.object({
  accountId: z.string(),
  region: z.string(),
  counts: CountsSchema,
  scanned: countSchema,
  pages: countSchema,
  /** The footprint check of the child's first page (lib/forwarding.ts); absent in results of older children. */
  forwarding: z.optional(z.object({ status: z.enum(FORWARDING_STATUSES), reason: z.optional(z.string()) })),
  /** Only in a Fail state's cause: what went wrong. */
  message: z.optional(z.string()),
});
export type ChildOutcome = z.infer<typeof ChildOutcomeSchema>;

const ResultFileRefSchema = z.object({ Key: z.string().check(z.minLength(1)), Size: z.optional(z.number()) });

const ManifestSchema = z.object({
  DestinationBucket: z.string().check(z.minLength(1)),
  MapRunArn: z.string(),
  ResultFiles: z.object({
    SUCCEEDED: z.optional(z.array(ResultFileRefSchema)),
    FAILED: z.optional(z.array(ResultFileRefSchema)),
    PENDING: z.optional(z.array(ResultFileRefSchema)),
  }),
});

const ChildExecutionSchema = z.object({
  ExecutionArn: z.optional(z.string()),
  Name: z.optional(z.string()),
  Input: z.optional(z.string()),
  Output: z.optional(z.string()),
  Status: z.string(),
  Error: z.optional(z.string()),
  Cause: z.optional(z.string()),
  /** When the child started: an ISO 8601 string (epoch seconds are accepted too). */
  StartDate: z.optional(z.union([z.string(), z.number()])),
});
export type ChildExecution = z.infer<typeof ChildExecutionSchema>;

export interface ResultManifest {
  readonly bucket: string;
  readonly mapRunArn: string;
  /** The result files' keys, by status. */
  readonly files: Readonly<Record<ResultStatus, readonly string[]>>;
}

/** One result file's executions, with the status of the file they were listed under. */
export interface ResultFile {
  readonly status: ResultStatus;
  readonly key: string;
  readonly executions: readonly ChildExecution[];
}

/** An account-region that did not end cleanly. */
export interface AccountRegionFailure {
  /** The item's account and region; `unknown` when the execution's input did not say. */
  readonly accountId: string;
  readonly region: string;
  /** The child's error name (`RepositoriesFailed`, `AwsCallError`, `States.Timeout`, `Pending`...). */
  readonly error: string;
  /** Whether the child's repository counts are in the totals (false: they are unknown). */
  readonly countsKnown: boolean;
}

/** An account-region whose forwarding rule is missing, disabled, pointed elsewhere or unreadable. */
export interface UnguardedAccountRegion {
  readonly accountId: string;
  readonly region: string;
  readonly reason: string;
}

export interface OrgSweepTotals {
  readonly accountRegions: number;
  readonly failedAccountRegions: number;
  /** Account-regions the guard's forwarding rule does not cover (their repositories were swept all the same). */
  readonly unguardedAccountRegions: number;
  readonly counts: DecisionCounts;
  readonly scanned: number;
  /** The first {@link MAX_NAMED_FAILURES} failed account-regions. */
  readonly failures: readonly AccountRegionFailure[];
  /** The first {@link MAX_NAMED_FAILURES} unguarded account-regions. */
  readonly unguarded: readonly UnguardedAccountRegion[];
  /** One sentence naming how many failed and the first few; present only when some failed. */
  readonly cause?: string;
  /** The manifest to retry only the failed account-regions from (`retryFailedFrom`); present only when some failed. */
  readonly retryFailedFrom?: string;
}

/** @throws InvalidInputError naming the file and each field that is not as the ResultWriter writes it. */
export function parseManifest(text: string, key: string): ResultManifest {
  const result = ManifestSchema.safeParse(parseJson(text, key));
  if (!result.success) throw new InvalidInputError(formatIssues(result.error, [key]));
  const { ResultFiles } = result.data;
  const keysOf = (refs: readonly { Key: string }[] | undefined) => (refs ?? []).map((ref) => ref.Key);
  return {
    bucket: result.data.DestinationBucket,
    mapRunArn: result.data.MapRunArn,
    files: {
      SUCCEEDED: keysOf(ResultFiles.SUCCEEDED),
      FAILED: keysOf(ResultFiles.FAILED),
      PENDING: keysOf(ResultFiles.PENDING),
    },
  };
}

/** @throws InvalidInputError naming the file and the execution whose fields are malformed. */
export function parseResultFile(text: string, key: string, status: ResultStatus): ResultFile {
  const result = z.array(ChildExecutionSchema).safeParse(parseJson(text, key));
  if (!result.success) throw new InvalidInputError(formatIssues(result.error, [key]));
  return { status, key, executions: result.data };
}

/** The account-region an execution's input names (the Distributed Map item), or `unknown`. */
export function childTargetOf(execution: ChildExecution): ScopeTarget {
  const parsed = z
    .object({ accountId: z.string(), region: z.string() })
    .safeParse(jsonOrUndefined(execution.Input));
  return parsed.success ? { accountId: parsed.data.accountId, region: parsed.data.region } : UNKNOWN_TARGET;
}

/** What a failure names when the child's input did not say where it ran. */
const UNKNOWN = 'unknown';
const UNKNOWN_TARGET: ScopeTarget = { accountId: UNKNOWN, region: UNKNOWN };

/** The outcome a child's output or its Fail state's cause holds; undefined when it holds none. */
export function childOutcomeOf(text: string | undefined): ChildOutcome | undefined {
  const parsed = ChildOutcomeSchema.safeParse(jsonOrUndefined(text));
  return parsed.success ? parsed.data : undefined;
}

/** One child execution, read: where it ran, what it counted (when known), whether it failed. */
interface ChildResult {
  readonly target: ScopeTarget;
  readonly outcome: ChildOutcome | undefined;
  readonly failure: AccountRegionFailure | undefined;
}

/**
 * Reads every child: a SUCCEEDED child's output must be a child outcome (anything else breaks the contract and
 * throws); a FAILED child's counts come from its Fail state's cause when that is a child outcome, else they are
 * unknown; a PENDING child (it never finished) is failed with unknown counts. A succeeded child with failed
 * repositories is a failed account-region too.
 */
function readChildren(files: readonly ResultFile[]): ChildResult[] {
  return files.flatMap((file) =>
    file.executions.map((execution, index): ChildResult => {
      if (file.status === 'SUCCEEDED') {
        const outcome = childOutcomeOf(execution.Output);
        if (outcome === undefined) {
          const where = `${file.key}: [${index}]${execution.Name === undefined ? '' : ` (${execution.Name})`}`;
          throw new InvalidInputError([
            `${where}.Output: not the output of an account-region sweep (${JSON.stringify(execution.Output ?? null).slice(0, 200)})`,
          ]);
        }
        const target = { accountId: outcome.accountId, region: outcome.region };
        const failure =
          outcome.counts.failed > 0
            ? { ...target, error: 'RepositoriesFailed', countsKnown: true }
            : undefined;
        return { target, outcome, failure };
      }
      const outcome = file.status === 'FAILED' ? childOutcomeOf(execution.Cause) : undefined;
      const where = outcome ?? childTargetOf(execution);
      const target = { accountId: where.accountId, region: where.region };
      return {
        target,
        outcome,
        failure: {
          ...target,
          error: file.status === 'PENDING' ? 'Pending' : (execution.Error ?? execution.Status),
          countsKnown: outcome !== undefined,
        },
      };
    }),
  );
}

/**
 * Sums every child (see {@link readChildren} for how each is read) and names the first failed and unguarded
 * account-regions. With `manifestKey` (the ResultWriter manifest these files came from), a run with failures
 * says where a retry of only them starts from.
 *
 * @throws InvalidInputError when a SUCCEEDED execution's output is not a child outcome.
 */
export function sumResults(files: readonly ResultFile[], manifestKey?: string): OrgSweepTotals {
  const counts: DecisionCounts = decisionCounts(emptyCounts());
  let scanned = 0;
  const failures: AccountRegionFailure[] = [];
  const unguarded: UnguardedAccountRegion[] = [];
  const children = readChildren(files);
  for (const { target, outcome, failure } of children) {
    if (outcome !== undefined) {
      for (const key of COUNT_KEYS) counts[key] += outcome.counts[key];
      scanned += outcome.scanned;
      if (outcome.forwarding?.status === 'unguarded')
        unguarded.push({ ...target, reason: outcome.forwarding.reason ?? 'not reported' });
    }
    if (failure !== undefined) failures.push(failure);
  }
  const totals = {
    accountRegions: children.length,
    failedAccountRegions: failures.length,
    unguardedAccountRegions: unguarded.length,
    counts,
    scanned,
    failures: failures.slice(0, MAX_NAMED_FAILURES),
    unguarded: unguarded.slice(0, MAX_NAMED_FAILURES),
  };
  if (failures.length === 0) return totals;
  return {
    ...totals,
    cause: failureCause(totals, manifestKey),
    ...(manifestKey === undefined ? {} : { retryFailedFrom: manifestKey }),
  };
}

/** Every account-region that failed, once each; `unidentified` counts failed children whose input named none. */
export function failedAccountRegions(files: readonly ResultFile[]): {
  readonly targets: readonly ScopeTarget[];
  readonly unidentified: number;
} {
  const targets = new Map<string, ScopeTarget>();
  let unidentified = 0;
  for (const { failure } of readChildren(files)) {
    if (failure === undefined) continue;
    if (failure.accountId === UNKNOWN || failure.region === UNKNOWN) unidentified += 1;
    else
      targets.set(`${failure.accountId}/${failure.region}`, {
        accountId: failure.accountId,
        region: failure.region,
      });
  }
  return { targets: [...targets.values()], unidentified };
}

/** A ResultWriter manifest and every result file it lists, read through `reader` and parsed. */
export async function readResults(
  reader: ResultReader,
  at: { readonly bucket: string; readonly key: string },
): Promise<{ readonly manifest: ResultManifest; readonly files: readonly ResultFile[] }> {
  const manifest = parseManifest(await reader.read(at.bucket, at.key), at.key);
  const files: ResultFile[] = [];
  for (const status of RESULT_STATUSES) {
    for (const key of manifest.files[status]) {
      files.push(parseResultFile(await reader.read(manifest.bucket, key), key, status));
    }
  }
  return { manifest, files };
}

/**
 * `2 of 8 account-regions failed: 444444444444/eu-west-1 (AwsCallError), ...; see the Map Run's failed child
 * executions; to sweep only them again, start an execution with {"retryFailedFrom": "<manifest key>"}`.
 */
export function failureCause(
  totals: Pick<OrgSweepTotals, 'accountRegions' | 'failedAccountRegions' | 'failures'>,
  manifestKey?: string,
): string {
  const shown = totals.failures
    .slice(0, 5)
    .map(({ accountId, region, error }) => `${accountId}/${region} (${error})`);
  const more = totals.failedAccountRegions - shown.length;
  const retry =
    manifestKey === undefined
      ? ''
      : `; to sweep only them again, start an execution with {"retryFailedFrom": "${manifestKey}"}`;
  return `${totals.failedAccountRegions} of ${totals.accountRegions} account-regions failed: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}; see the Map Run's failed child executions${retry}`;
}
