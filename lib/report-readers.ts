/**
 * Readers of the saved forms an evidence report can be made from (lib/report.ts): the CLI's `--json`
 * lines (lib/report-lines.ts) and an organisation sweep's Distributed Map ResultWriter files
 * (lib/org-results.ts documents them). Pure: the caller reads the files. What a source does not hold is said in `notes`, never guessed:
 * a single-account summary names no account, and ResultWriter files hold counts but no audit records.
 */
import type * as z from 'zod/mini';
import { InvalidInputError } from './errors.ts';
import {
  type ChildExecution,
  ChildOutcomeSchema,
  childOutcomeOf,
  childTargetOf,
  parseManifest,
  parseResultFile,
  RESULT_STATUSES,
  type ResultStatus,
} from './org-results.ts';
import {
  buildEvidence,
  type EvidenceData,
  type ReportAccountRegion,
  type ReportCounts,
  type ReportPolicy,
  type ReportRecord,
  toReportRecord,
  zeroCounts,
} from './report.ts';
import {
  AccountRegionLineSchema,
  AuditLineSchema,
  auditRecordOf,
  countsOf,
  ErrorLineSchema,
  orNull,
  RegionLineSchema,
} from './report-lines.ts';
import { formatIssues, jsonOrUndefined, parseJson } from './validation.ts';

/** What the caller knows of the data: the policy in force, when and by whom it was gathered. */
export interface ReportContext {
  readonly policy: ReportPolicy;
  readonly gatheredAt: string;
  readonly gatheredBy: string | null;
}

/** A data set and what the reader could not take from its source. */
export interface ReadResult {
  readonly data: EvidenceData;
  readonly notes: readonly string[];
}

/**
 * Reads the CLI's `--json` output. An organisation run's summary lines give every account-region with its
 * status; a single-account run's name only the Region, so the account is `accountId` when given, else the
 * registry of that Region's records. Records the report lists are kept; `total` lines are left (they are
 * the sum of the summaries), `error` lines and lines of other types are noted.
 * @throws InvalidInputError naming the line that is not JSON or not as the CLI writes it.
 */
export function readCliJsonLines(
  text: string,
  context: ReportContext & { readonly file: string; readonly accountId?: string },
): ReadResult {
  const notes: string[] = [];
  const records: ReportRecord[] = [];
  const registries = new Map<string, string>();
  const entries: ReportAccountRegion[] = [];
  const regionLines: {
    line: number;
    region: string;
    counts: ReportCounts;
    scanned: number;
    interrupted: boolean;
  }[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${context.file}:${index + 1}`;
    const value = parseJson(line, where);
    const type = typeof value === 'object' && value !== null && 'type' in value ? value.type : undefined;
    const invalid = (error: z.core.$ZodError) => new InvalidInputError(formatIssues(error, [where]));
    switch (type) {
      case 'audit': {
        const parsed = AuditLineSchema.safeParse(value);
        if (!parsed.success) throw invalid(parsed.error);
        const record = auditRecordOf(parsed.data);
        if (record.region !== undefined && record.registryId !== undefined && !registries.has(record.region))
          registries.set(record.region, record.registryId);
        const shown = toReportRecord(record);
        if (shown !== undefined) records.push(shown);
        return;
      }
      case 'summary': {
        if (typeof value === 'object' && value !== null && 'accountId' in value) {
          const parsed = AccountRegionLineSchema.safeParse(value);
          if (!parsed.success) throw invalid(parsed.error);
          const summary = parsed.data;
          entries.push({
            accountId: summary.accountId,
            accountName: orNull(summary.accountName),
            region: summary.region,
            status: summary.status,
            counts: countsOf(summary.counts),
            scanned: summary.scanned,
            code: orNull(summary.status === 'skipped' ? summary.skipReason : summary.errorCode),
            reason: orNull(summary.reason),
          });
          return;
        }
        const parsed = RegionLineSchema.safeParse(value);
        if (!parsed.success) throw invalid(parsed.error);
        regionLines.push({
          line: index + 1,
          region: parsed.data.region,
          counts: countsOf(parsed.data.counts),
          scanned: parsed.data.scanned,
          interrupted: parsed.data.interrupted === true,
        });
        return;
      }
      case 'total':
        return;
      case 'error': {
        const parsed = ErrorLineSchema.safeParse(value);
        notes.push(
          `${where}: the run reported an error: ${parsed.success ? parsed.data.message : line.slice(0, 200)}`,
        );
        return;
      }
      default:
        notes.push(`${where}: a line of type ${JSON.stringify(type ?? null)} is not part of the report`);
    }
  });
  for (const summary of regionLines) {
    const accountId = context.accountId ?? registries.get(summary.region);
    if (accountId === undefined)
      notes.push(
        `${context.file}:${summary.line}: the summary of ${summary.region} names no account and no record of that Region does; shown as account 'unknown'`,
      );
    const failed = summary.counts.failed > 0;
    entries.push({
      accountId: accountId ?? 'unknown',
      accountName: null,
      region: summary.region,
      status: summary.interrupted ? 'incomplete' : failed ? 'failed' : 'completed',
      counts: summary.counts,
      scanned: summary.scanned,
      code: failed ? 'RepositoriesFailed' : null,
      reason: failed ? `${summary.counts.failed} repositories could not be decided` : null,
    });
  }
  if (entries.length === 0 && records.length > 0)
    notes.push(
      `${context.file}: no summary lines; the matrix shows no account-region, only the records are listed`,
    );
  return {
    data: buildEvidence({
      policy: context.policy,
      gatheredAt: context.gatheredAt,
      gatheredBy: context.gatheredBy,
      source: { kind: 'cli-json-lines', detail: context.file },
      accountRegions: entries,
      records,
    }),
    notes,
  };
}

/** An account the organisation sweep's scope skipped (the scope function's `skipped`), shown in every Region. */
export interface SkippedScopeAccount {
  readonly accountId: string;
  readonly name?: string | undefined;
  readonly reason: string;
  readonly detail: string;
}

/**
 * Reads an organisation sweep's ResultWriter output: the manifest and each result file it lists
 * (`readFile(key)` gives a file's text). Each child execution is one account-region: a SUCCEEDED child
 * with its counts (failed when repositories failed, else unguarded when its forwarding rule was not in
 * place), a FAILED child with the counts of its Fail state's
 * cause when it has them, a PENDING child failed with unknown counts.
 * @throws InvalidInputError naming the file and field that is not as the ResultWriter writes it.
 */
export function readResultWriterFiles(
  input: ReportContext & {
    readonly manifestKey: string;
    readonly manifest: string;
    readonly readFile: (key: string) => string | undefined;
    readonly skipped?: readonly SkippedScopeAccount[];
  },
): ReadResult {
  const manifest = parseManifest(input.manifest, input.manifestKey);
  const entries: ReportAccountRegion[] = [];
  const notes = [
    `${input.manifestKey}: an organisation sweep's results hold counts per account-region, not audit records; exemptions, refused overwrites and remediations are not listed`,
  ];
  for (const status of RESULT_STATUSES) {
    for (const key of manifest.files[status]) {
      const text = input.readFile(key);
      if (text === undefined)
        throw new InvalidInputError([`${key}: listed in ${input.manifestKey} but not found`]);
      const file = parseResultFile(text, key, status);
      file.executions.forEach((execution, index) => {
        entries.push(entryOf(status, execution, `${key}: [${index}]`));
      });
    }
  }
  const regions = [...new Set(entries.map((entry) => entry.region))].sort();
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
      gatheredAt: input.gatheredAt,
      gatheredBy: input.gatheredBy,
      source: { kind: 'result-writer', detail: `${manifest.mapRunArn} (${input.manifestKey})` },
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
