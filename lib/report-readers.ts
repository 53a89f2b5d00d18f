/**
 * Readers of the saved forms an evidence report can be made from (lib/report.ts): the CLI's `--json`
 * lines (`{"type":"audit",…}` records, `{"type":"summary",…}` per Region or account-region, `total`,
 * `error`) and an organisation sweep's Distributed Map ResultWriter files (lib/org-results.ts documents
 * them). Pure: the caller reads the files. What a source does not hold is said in `notes`, never guessed:
 * a single-account summary names no account, and ResultWriter files hold counts but no audit records.
 */
import * as z from 'zod/mini';
import { AUDIT_MESSAGE, type AuditRecord, OUTCOMES, type Trigger } from './audit.ts';
import { InvalidInputError } from './errors.ts';
import {
  type ChildExecution,
  ChildOutcomeSchema,
  type ResultFile,
  type ResultManifest,
  type ResultStatus,
} from './org-results.ts';
import {
  buildEvidence,
  COUNTED_OUTCOMES,
  type EvidenceData,
  REPORT_STATUSES,
  type ReportAccountRegion,
  type ReportCounts,
  type ReportPolicy,
  type ReportRecord,
  type ReportSource,
  type ReportStatus,
  toReportRecord,
  zeroCounts,
} from './report.ts';
import { formatIssues } from './validation.ts';

/** What the caller knows of the data: the policy in force (the saved forms do not record it). */
export interface ReportContext {
  readonly policy: ReportPolicy;
}

/** A data set and what the reader could not take from its source. */
export interface ReadResult {
  readonly data: EvidenceData;
  readonly notes: readonly string[];
}

const count = z.int().check(z.gte(0));
const SettingSchema = z.object({ imageTagMutability: z.string(), exclusionFilters: z.array(z.string()) });
const optionalText = z.optional(z.nullable(z.string()));

/** The fields of an audit record (lib/audit.ts), as the CLI and the functions' log lines write them. */
const AUDIT_FIELDS = {
  outcome: z.enum(OUTCOMES),
  repositoryName: optionalText,
  registryId: optionalText,
  region: optionalText,
  accountId: optionalText,
  before: z.optional(z.nullable(SettingSchema)),
  after: z.optional(z.nullable(SettingSchema)),
  trigger: z.enum(['event', 'sweep', 'backfill']),
  dryRun: z.boolean(),
  reason: z.string(),
  actor: optionalText,
  imageTag: optionalText,
  errorCode: optionalText,
  templatePrefix: optionalText,
};

/** The CLI's `{"type":"audit",…}` line. */
const AuditLineSchema = z.object({ type: z.literal('audit'), ...AUDIT_FIELDS });

/**
 * A function's audit log line (lib/auditor.ts: Powertools JSON, `"message":"ecr-guard audit"`), as CloudWatch
 * Logs holds it: with the time it was written and, when the Lambda context is injected, the function's ARN.
 */
const AuditLogLineSchema = z.object({
  message: z.literal(AUDIT_MESSAGE),
  timestamp: z.optional(z.string()),
  function_arn: z.optional(z.string()),
  ...AUDIT_FIELDS,
});

const CountsSchema = z.object(Object.fromEntries(COUNTED_OUTCOMES.map((outcome) => [outcome, count])));

/** An organisation run's summary line: one account-region. */
const AccountRegionLineSchema = z.object({
  type: z.literal('summary'),
  accountId: z.string(),
  accountName: optionalText,
  region: z.string(),
  status: z.enum(REPORT_STATUSES),
  counts: CountsSchema,
  scanned: count,
  errorCode: optionalText,
  reason: optionalText,
  skipReason: optionalText,
});

/** A single-account run's summary line: one Region of the caller's account. */
const RegionLineSchema = z.object({
  type: z.literal('summary'),
  region: z.string(),
  counts: CountsSchema,
  scanned: count,
  interrupted: z.optional(z.boolean()),
});

const ErrorLineSchema = z.object({ type: z.literal('error'), message: z.string() });

/** An account-region's summary as the one pass (lib/org-sweep.ts) ends it and the CLI's `--json` writes it. */
export interface PassSummaryFacts {
  readonly accountId: string;
  readonly accountName?: string | null | undefined;
  readonly region: string;
  readonly status: ReportStatus;
  readonly counts: Readonly<Record<string, number>>;
  readonly scanned: number;
  readonly errorCode?: string | null | undefined;
  readonly reason?: string | null | undefined;
  readonly skipReason?: string | null | undefined;
}

/** The report's view of a pass's account-region summary: a skip's code is its reason's key, a failure's its error code. */
export function reportAccountRegionOf(summary: PassSummaryFacts): ReportAccountRegion {
  return {
    accountId: summary.accountId,
    accountName: orNull(summary.accountName),
    region: summary.region,
    status: summary.status,
    counts: countsOf(summary.counts),
    scanned: summary.scanned,
    code: orNull(summary.status === 'skipped' ? summary.skipReason : summary.errorCode),
    reason: orNull(summary.reason),
  };
}

function countsOf(counts: Readonly<Record<string, number>>): ReportCounts {
  const result = zeroCounts();
  for (const outcome of COUNTED_OUTCOMES) result[outcome] = counts[outcome] ?? 0;
  return result;
}

const orNull = (value: string | null | undefined): string | null => value ?? null;
const orUndefined = (value: string | null | undefined): string | undefined => value ?? undefined;

function parseLine(line: string, where: string): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new InvalidInputError([
      `${where}: not JSON (${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
}

function auditRecordOf(line: z.infer<z.ZodMiniObject<typeof AUDIT_FIELDS>>): AuditRecord {
  const setting = (value: z.infer<typeof SettingSchema> | null | undefined) => value ?? undefined;
  const trigger: Trigger = line.trigger;
  return {
    outcome: line.outcome,
    repositoryName: orUndefined(line.repositoryName),
    repositoryArn: undefined,
    registryId: orUndefined(line.registryId),
    region: orUndefined(line.region),
    accountId: orUndefined(line.accountId),
    before: setting(line.before),
    after: setting(line.after),
    trigger,
    dryRun: line.dryRun,
    reason: line.reason,
    actor: orUndefined(line.actor),
    imageTag: orUndefined(line.imageTag),
    errorCode: orUndefined(line.errorCode),
    templatePrefix: orUndefined(line.templatePrefix),
  };
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
    const value = parseLine(line, where);
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

/** An account the organisation sweep's scope skipped (the scope function's `skipped`), shown in every Region. */
export interface SkippedScopeAccount {
  readonly accountId: string;
  readonly name?: string | undefined;
  readonly reason: string;
  readonly detail: string;
}

function jsonOf(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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
      if (at !== undefined && (started === undefined || at < started)) started = at;
    });
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
  const outcome = ChildOutcomeSchema.safeParse(
    jsonOf(status === 'SUCCEEDED' ? execution.Output : execution.Cause),
  );
  const target = z.object({ accountId: z.string(), region: z.string() }).safeParse(jsonOf(execution.Input));
  if (status === 'SUCCEEDED') {
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
  const known = outcome.success ? outcome.data : undefined;
  const place = known ?? (target.success ? target.data : { accountId: 'unknown', region: 'unknown' });
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

/** Whether a saved file is a ResultWriter manifest (one JSON object with `ResultFiles`) rather than CLI JSON lines. */
export function isResultWriterManifest(text: string): boolean {
  const value = jsonOf(text.trim());
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'ResultFiles' in value;
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
