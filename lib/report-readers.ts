/**
 * Readers of the data an evidence report can be made from (lib/report.ts): a live dry-run's pass, the CLI's
 * `--json` lines and the functions' audit log lines (lib/report-lines.ts), and an organisation sweep's
 * ResultWriter files (lib/report-sweep-results.ts); several of them merged into one data set. Pure: the
 * caller reads the files. What a source does not hold is said in `notes`, never guessed: a single-account
 * summary names no account, and ResultWriter files hold counts but no audit records.
 */
import type * as z from 'zod/mini';
import { AUDIT_MESSAGE, type AuditRecord } from './audit.ts';
import { InvalidInputError } from './errors.ts';
import {
  buildEvidence,
  type EvidenceData,
  type ReportAccountRegion,
  type ReportCounts,
  type ReportPolicy,
  type ReportRecord,
  type ReportSource,
  toReportRecord,
} from './report.ts';
import {
  AccountRegionLineSchema,
  AuditLineSchema,
  AuditLogLineSchema,
  auditRecordOf,
  countsOf,
  ErrorLineSchema,
  type PassSummaryFacts,
  RegionLineSchema,
  reportAccountRegionOf,
} from './report-lines.ts';
import { formatIssues, parseJson } from './validation.ts';

/** What the caller knows of the data: the policy in force (the saved forms do not record it). */
export interface ReportContext {
  readonly policy: ReportPolicy;
}

/** A data set and what the reader could not take from its source. */
export interface ReadResult {
  readonly data: EvidenceData;
  readonly notes: readonly string[];
}

/** How many function ARNs a source names as its gatherers before it says "and N more". */
const MAX_NAMED_FUNCTIONS = 3;

/**
 * Reads the CLI's `--json` output, or the functions' audit log lines (one JSON object a line, as exported
 * from CloudWatch Logs), or both. An organisation run's summary lines give every account-region with its
 * status; a single-account run's name only the Region, so the account is `accountId` when given, else the
 * registry of that Region's records. Records the report lists are kept; `total` lines are left (they are
 * the sum of the summaries), `error` lines and lines of other types are noted. Audit log lines say when
 * they were written: a file of them alone is the window `from – to`, gathered by the functions they name.
 * @throws InvalidInputError naming the line that is not JSON or not as the CLI or the functions write it.
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
  let cliLines = 0;
  const others = new Map<string, { where: string; count: number }>();
  const logTimes: number[] = [];
  const functions = new Set<string>();
  const keep = (record: AuditRecord) => {
    if (record.region !== undefined && record.registryId !== undefined && !registries.has(record.region))
      registries.set(record.region, record.registryId);
    const shown = toReportRecord(record);
    if (shown !== undefined) records.push(shown);
  };
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${context.file}:${index + 1}`;
    const value = parseJson(line, where);
    const member = (name: string) =>
      typeof value === 'object' && value !== null && name in value ? Reflect.get(value, name) : undefined;
    const type = member('type');
    const invalid = (error: z.core.$ZodError) => new InvalidInputError(formatIssues(error, [where]));
    if (type === undefined && member('message') === AUDIT_MESSAGE) {
      const parsed = AuditLogLineSchema.safeParse(value);
      if (!parsed.success) throw invalid(parsed.error);
      const at = parsed.data.timestamp === undefined ? Number.NaN : Date.parse(parsed.data.timestamp);
      if (!Number.isNaN(at)) logTimes.push(at);
      if (parsed.data.function_arn !== undefined) functions.add(parsed.data.function_arn);
      keep(auditRecordOf(parsed.data));
      return;
    }
    if (type === 'audit' || type === 'summary' || type === 'total') cliLines += 1;
    switch (type) {
      case 'audit': {
        const parsed = AuditLineSchema.safeParse(value);
        if (!parsed.success) throw invalid(parsed.error);
        keep(auditRecordOf(parsed.data));
        return;
      }
      case 'summary': {
        if (typeof value === 'object' && value !== null && 'accountId' in value) {
          const parsed = AccountRegionLineSchema.safeParse(value);
          if (!parsed.success) throw invalid(parsed.error);
          entries.push(reportAccountRegionOf(parsed.data));
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
      default: {
        // Other lines (a progress line, a function's other log lines) are counted once per kind.
        const message = member('message');
        const kind =
          type === undefined && typeof message === 'string'
            ? `log message ${JSON.stringify(message.slice(0, 80))}`
            : `type ${JSON.stringify(type ?? null)}`;
        const seen = others.get(kind);
        others.set(kind, { where: seen?.where ?? where, count: (seen?.count ?? 0) + 1 });
      }
    }
  });
  for (const [kind, { where, count }] of others)
    notes.push(
      count === 1
        ? `${where}: a line of ${kind} is not part of the report`
        : `${where}: ${count} lines of ${kind} are not part of the report (the first here)`,
    );
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
      sources: [sourceOfLines(context.file, cliLines, logTimes, [...functions].sort(), notes)],
      accountRegions: entries,
      records,
    }),
    notes,
  };
}

/**
 * What a file of lines says of when and by whom: the CLI's lines carry no time and no caller (the report says
 * so rather than guess); a file of audit log lines alone is the window its lines were written in.
 */
function sourceOfLines(
  file: string,
  cliLines: number,
  logTimes: readonly number[],
  functions: readonly string[],
  notes: string[],
): ReportSource {
  if (logTimes.length === 0 && functions.length === 0)
    return { kind: 'cli-json-lines', detail: file, gatheredAt: null, gatheredBy: null };
  const first = logTimes.length === 0 ? undefined : new Date(Math.min(...logTimes)).toISOString();
  const last = logTimes.length === 0 ? undefined : new Date(Math.max(...logTimes)).toISOString();
  const window = first === undefined ? '' : ` (audit log lines written ${first} – ${last ?? first})`;
  if (cliLines > 0) {
    notes.push(
      `${file}: holds CLI lines and the functions' audit log lines; shown as the CLI's, which record no time`,
    );
    return { kind: 'cli-json-lines', detail: `${file}${window}`, gatheredAt: null, gatheredBy: null };
  }
  const named = functions.slice(0, MAX_NAMED_FUNCTIONS).join(', ');
  const more = functions.length - MAX_NAMED_FUNCTIONS;
  return {
    kind: 'audit-log',
    detail: `${file}${window}`,
    gatheredAt: first ?? null,
    gatheredBy: functions.length === 0 ? null : `${named}${more > 0 ? ` and ${more} more` : ''}`,
  };
}

/**
 * A live dry-run's data: the summary of every account-region of the pass (lib/org-sweep.ts) and every
 * record it made, as gathered in memory.
 */
export function readLivePass(
  input: ReportContext & {
    readonly source: ReportSource;
    readonly summaries: readonly PassSummaryFacts[];
    readonly records: readonly AuditRecord[];
  },
): EvidenceData {
  return buildEvidence({
    policy: input.policy,
    sources: [input.source],
    accountRegions: input.summaries.map(reportAccountRegionOf),
    records: input.records.flatMap((record) => toReportRecord(record) ?? []),
  });
}

const placeOf = (entry: { readonly accountId: string; readonly region: string }) =>
  `${entry.accountId}/${entry.region}`;

/**
 * One data set from several sources, in the order given: every source is listed; an account-region in more
 * than one is shown as the last of them says (its records from that source only), and a note says so.
 */
export function mergeReads(context: ReportContext, reads: readonly ReadResult[]): ReadResult {
  const owner = new Map<string, number>();
  const labels = reads.map((read) => read.data.sources.map((source) => source.detail).join(', '));
  const notes = reads.flatMap((read) => read.notes);
  reads.forEach((read, index) => {
    for (const entry of read.data.accountRegions) {
      const place = placeOf(entry);
      const earlier = owner.get(place);
      if (earlier !== undefined && earlier !== index)
        notes.push(
          // Stryker disable next-line StringLiteral: the `?? ''` fallbacks are unreachable, `labels` has an entry for every read's index; the sentence itself emptied, disabled with them, fails `lists every source, and shows an account-region in two as the later one says, with a note`.
          `${entry.accountId} ${entry.region} is in ${labels[earlier] ?? ''} and in ${labels[index] ?? ''}: shown as the latter says`,
        );
      owner.set(place, index);
    }
  });
  const kept = (index: number) => (entry: { readonly accountId: string; readonly region: string }) => {
    const at = owner.get(placeOf(entry));
    return at === undefined || at === index;
  };
  return {
    data: buildEvidence({
      policy: context.policy,
      sources: reads.flatMap((read) => read.data.sources),
      accountRegions: reads.flatMap((read, index) => read.data.accountRegions.filter(kept(index))),
      records: reads.flatMap((read, index) => read.data.records.filter(kept(index))),
    }),
    notes,
  };
}
