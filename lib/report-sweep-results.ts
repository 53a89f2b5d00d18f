/**
 * An organisation sweep's Distributed Map ResultWriter files (lib/org-results.ts documents and parses them)
 * as evidence report data (lib/report.ts): one account-region per child execution, with when the sweep
 * started and the state machine that ran it, as the files say. Pure: the caller reads the files.
 */
import { InvalidInputError } from './errors.ts';
import {
  type ChildExecution,
  ChildOutcomeSchema,
  childOutcomeOf,
  childTargetOf,
  type ResultFile,
  type ResultManifest,
  type ResultStatus,
} from './org-results.ts';
import { buildEvidence, type ReportAccountRegion, zeroCounts } from './report.ts';
import { countsOf } from './report-lines.ts';
import type { ReadResult, ReportContext } from './report-readers.ts';
import { formatIssues, jsonOrUndefined } from './validation.ts';

/** An account the organisation sweep's scope skipped (the scope function's `skipped`), shown in every Region. */
export interface SkippedScopeAccount {
  readonly accountId: string;
  readonly name?: string | undefined;
  readonly reason: string;
  readonly detail: string;
}

/** The state machine a Map Run belongs to (`…:mapRun:<state machine>/<label>:<id>`), or null. */
export function stateMachineOfMapRun(mapRunArn: string): string | null {
  const match = /^(arn:[\w-]+:states:[\w-]+:\d{12}):mapRun:([^/:]+)\//.exec(mapRunArn);
  return match === null ? null : `${match[1]}:stateMachine:${match[2]}`;
}

/** An execution's start as ISO 8601 (the ResultWriter writes ISO strings; epoch seconds are read too). */
function startOf(execution: ChildExecution): number | undefined {
  const { StartDate: start } = execution;
  if (start === undefined) return undefined;
  const ms = typeof start === 'number' ? (start < 1e12 ? start * 1000 : start) : Date.parse(start);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Reads an organisation sweep's ResultWriter output, parsed (lib/org-results.ts `readResults`). Each child
 * execution is one account-region: a SUCCEEDED child with its counts (failed when repositories failed, else
 * unguarded when its forwarding rule was not in place), a FAILED child with the counts of its Fail state's
 * cause when it has them, a PENDING child failed with unknown counts. When and by whom: the earliest child's
 * start and the Map Run's state machine, as the files say. The files list only the account-regions the
 * sweep ran; accounts its scope skipped are shown only when `skipped` names them.
 * @throws InvalidInputError naming the file and field that is not as the ResultWriter writes it.
 */
export function readResultWriterFiles(
  input: ReportContext & {
    readonly manifestKey: string;
    readonly manifest: ResultManifest;
    readonly files: readonly ResultFile[];
    readonly skipped?: readonly SkippedScopeAccount[];
  },
): ReadResult {
  const { manifest } = input;
  const entries: ReportAccountRegion[] = [];
  const notes = [
    `${input.manifestKey}: an organisation sweep's results hold counts per account-region, not audit records; exemptions, refused overwrites and remediations are not listed`,
  ];
  if (input.skipped === undefined)
    notes.push(
      `${input.manifestKey}: the results list only the account-regions the sweep ran; accounts its scope skipped (suspended, excluded, the management account) are not in them`,
    );
  let started: number | undefined;
  for (const file of input.files) {
    file.executions.forEach((execution, index) => {
      entries.push(entryOf(file.status, execution, `${file.key}: [${index}]`));
      const at = startOf(execution);
      // Stryker disable next-line EqualityOperator,ConditionalExpression: `at <= started` is equivalent (it sets `started` to the value it holds), and so is `at !== undefined` as `true` (an undefined start is never below one, and sets an undefined `started` to undefined); `at >= started` and `started === undefined` as `true`/`false`, disabled with them, fail `takes when from the earliest of ISO starts`.
      if (at !== undefined && (started === undefined || at < started)) started = at;
    });
  }
  const regions = new Set(entries.map((entry) => entry.region));
  for (const account of input.skipped ?? []) {
    for (const region of regions) {
      entries.push({
        accountId: account.accountId,
        accountName: account.name ?? null,
        region,
        status: 'skipped',
        counts: zeroCounts(),
        scanned: 0,
        code: account.reason,
        reason: account.detail,
      });
    }
  }
  return {
    data: buildEvidence({
      policy: input.policy,
      sources: [
        {
          kind: 'result-writer',
          detail: `${manifest.mapRunArn} (${input.manifestKey})`,
          gatheredAt: started === undefined ? null : new Date(started).toISOString(),
          gatheredBy: stateMachineOfMapRun(manifest.mapRunArn),
        },
      ],
      accountRegions: entries,
      records: [],
    }),
    notes,
  };
}

function entryOf(status: ResultStatus, execution: ChildExecution, where: string): ReportAccountRegion {
  if (status === 'SUCCEEDED') {
    const outcome = ChildOutcomeSchema.safeParse(jsonOrUndefined(execution.Output));
    if (!outcome.success) throw new InvalidInputError(formatIssues(outcome.error, [`${where}.Output`]));
    const { accountId, region, counts, scanned, forwarding } = outcome.data;
    const failed = counts.failed > 0;
    // The child's footprint check (lib/forwarding.ts): swept, but its events reach no guardrail.
    const unguarded =
      forwarding?.status === 'unguarded'
        ? `unguarded: ${forwarding.reason ?? 'the forwarding rule is not in place'}`
        : undefined;
    const failures = failed ? `${counts.failed} repositories could not be decided` : undefined;
    const reasons = [failures, unguarded].filter((part) => part !== undefined);
    return {
      accountId,
      accountName: null,
      region,
      // The most serious first: a failed account-region that is also unguarded says both.
      status: failed ? 'failed' : unguarded !== undefined ? 'unguarded' : 'completed',
      counts: countsOf(counts),
      scanned,
      code: failed ? 'RepositoriesFailed' : null,
      reason: reasons.length === 0 ? null : reasons.join('; '),
    };
  }
  const known = childOutcomeOf(execution.Cause);
  const place = known ?? childTargetOf(execution);
  const cause = known?.message ?? execution.Cause;
  return {
    accountId: place.accountId,
    accountName: null,
    region: place.region,
    status: 'failed',
    counts: known === undefined ? zeroCounts() : countsOf(known.counts),
    scanned: known?.scanned ?? 0,
    code: status === 'PENDING' ? 'Pending' : (execution.Error ?? execution.Status),
    reason:
      status === 'PENDING'
        ? 'the child execution never finished'
        : `${known === undefined ? 'counts unknown' : 'partial counts'}${cause === undefined ? '' : `: ${cause.slice(0, 300)}`}`,
  };
}

/** Whether a saved file is a ResultWriter manifest (one JSON object with `ResultFiles`) rather than CLI JSON lines. */
export function isResultWriterManifest(text: string): boolean {
  const value = jsonOrUndefined(text.trim());
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'ResultFiles' in value;
}
