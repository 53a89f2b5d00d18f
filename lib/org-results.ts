/**
 * The results of an organisation sweep, summed: a Step Functions Distributed Map runs one child execution
 * per account-region (infra/org-sweep-workflow.ts) and its `ResultWriter` writes a `manifest.json` and one
 * or more result files per status (SUCCEEDED, FAILED, PENDING) to S3. This module parses those files and
 * sums every child's repository counts; it decides which account-regions failed. Pure: no S3 calls (the
 * reader is lib/scope-items.ts). See docs/architecture.md, "Sweep".
 *
 * Formats: https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 * - manifest: `{ "DestinationBucket", "MapRunArn", "ResultFiles": { "FAILED": [{ "Key", "Size" }], "PENDING": [...], "SUCCEEDED": [...] } }`
 * - a result file: a JSON array of child executions `{ "ExecutionArn", "Name", "Input", "Output"?, "Status",
 *   "Error"?, "Cause"?, ... }`, where `Input` and `Output` are JSON *strings* (the execution's payloads).
 */
import * as z from 'zod/mini';
import { DECISION_OUTCOMES, type DecisionCounts, decisionCounts, emptyCounts } from './audit.ts';
import { InvalidInputError } from './errors.ts';
import { formatIssues } from './validation.ts';

/** The result statuses the ResultWriter writes files for. */
export const RESULT_STATUSES = ['SUCCEEDED', 'FAILED', 'PENDING'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/** The repository decision outcomes a child sums, in a fixed order (those of lib/audit.ts). */
export const COUNT_KEYS = DECISION_OUTCOMES;

/** How many failed account-regions the summary names (the rest are only counted): bounded output. */
export const MAX_NAMED_FAILURES = 10;

const countSchema = z.int().check(z.gte(0));
const CountsSchema = z.object({
  compliant: countSchema,
  remediated: countSchema,
  'would-remediate': countSchema,
  exempt: countSchema,
  gone: countSchema,
  failed: countSchema,
});

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

export interface OrgSweepTotals {
  readonly accountRegions: number;
  readonly failedAccountRegions: number;
  readonly counts: DecisionCounts;
  readonly scanned: number;
  /** The first {@link MAX_NAMED_FAILURES} failed account-regions. */
  readonly failures: readonly AccountRegionFailure[];
  /** One sentence naming how many failed and the first few; present only when some failed. */
  readonly cause?: string;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError([
      `${where}: not JSON (${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
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
function targetOf(execution: ChildExecution): { accountId: string; region: string } {
  const unknown = { accountId: 'unknown', region: 'unknown' };
  if (execution.Input === undefined) return unknown;
  let input: unknown;
  try {
    input = JSON.parse(execution.Input);
  } catch {
    return unknown;
  }
  const parsed = z.object({ accountId: z.string(), region: z.string() }).safeParse(input);
  return parsed.success ? { accountId: parsed.data.accountId, region: parsed.data.region } : unknown;
}

function outcomeOf(text: string | undefined): ChildOutcome | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = ChildOutcomeSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Sums every child: a SUCCEEDED child's output counts (its output must be a child outcome: anything else
 * breaks the contract and throws); a FAILED child's counts from its Fail state's cause when it is a child
 * outcome, else the account-region is failed with unknown counts; a PENDING child (it never finished) is
 * failed with unknown counts. A succeeded child with failed repositories is a failed account-region too.
 *
 * @throws InvalidInputError when a SUCCEEDED execution's output is not a child outcome.
 */
export function sumResults(files: readonly ResultFile[]): OrgSweepTotals {
  const counts: DecisionCounts = decisionCounts(emptyCounts());
  let scanned = 0;
  let accountRegions = 0;
  const failures: AccountRegionFailure[] = [];
  const add = (outcome: ChildOutcome) => {
    for (const key of COUNT_KEYS) counts[key] += outcome.counts[key];
    scanned += outcome.scanned;
  };
  for (const file of files) {
    file.executions.forEach((execution, index) => {
      accountRegions += 1;
      const where = `${file.key}: [${index}]${execution.Name === undefined ? '' : ` (${execution.Name})`}`;
      if (file.status === 'SUCCEEDED') {
        const outcome = outcomeOf(execution.Output);
        if (outcome === undefined) {
          throw new InvalidInputError([
            `${where}.Output: not the output of an account-region sweep (${JSON.stringify(execution.Output ?? null).slice(0, 200)})`,
          ]);
        }
        add(outcome);
        if (outcome.counts.failed > 0) {
          failures.push({
            accountId: outcome.accountId,
            region: outcome.region,
            error: 'RepositoriesFailed',
            countsKnown: true,
          });
        }
        return;
      }
      const outcome = file.status === 'FAILED' ? outcomeOf(execution.Cause) : undefined;
      if (outcome !== undefined) add(outcome);
      const target = outcome ?? targetOf(execution);
      failures.push({
        accountId: target.accountId,
        region: target.region,
        error: file.status === 'PENDING' ? 'Pending' : (execution.Error ?? execution.Status),
        countsKnown: outcome !== undefined,
      });
    });
  }
  const named = failures.slice(0, MAX_NAMED_FAILURES);
  const totals = { accountRegions, failedAccountRegions: failures.length, counts, scanned, failures: named };
  return failures.length === 0 ? totals : { ...totals, cause: failureCause(totals) };
}

/** `2 of 8 account-regions failed: 444444444444/eu-west-1 (AwsCallError), ...; see the Map Run's failed executions`. */
export function failureCause(totals: Omit<OrgSweepTotals, 'cause'>): string {
  const shown = totals.failures
    .slice(0, 5)
    .map(({ accountId, region, error }) => `${accountId}/${region} (${error})`);
  const more = totals.failedAccountRegions - shown.length;
  return `${totals.failedAccountRegions} of ${totals.accountRegions} account-regions failed: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}; see the Map Run's failed child executions (a redrive re-runs only them)`;
}
