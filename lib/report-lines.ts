/**
 * The CLI's `--json` lines as bin/output.ts writes them, read back for the evidence report
 * (lib/report-readers.ts): `{"type":"audit",…}` records, `{"type":"summary",…}` per Region (one account)
 * or per account-region (a scope), and `error` lines; and the functions' audit log lines (lib/auditor.ts).
 * Pure: schemas and their conversion.
 */
import * as z from 'zod/mini';
import { AUDIT_MESSAGE, type AuditRecord, OUTCOMES, type Trigger } from './audit.ts';
import {
  COUNTED_OUTCOMES,
  REPORT_STATUSES,
  type ReportAccountRegion,
  type ReportCounts,
  type ReportStatus,
  zeroCounts,
} from './report.ts';

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
export const AuditLineSchema = z.object({ type: z.literal('audit'), ...AUDIT_FIELDS });

/**
 * A function's audit log line (lib/auditor.ts: Powertools JSON, `"message":"ecr-guard audit"`), as CloudWatch
 * Logs holds it: with the time it was written and, when the Lambda context is injected, the function's ARN.
 */
export const AuditLogLineSchema = z.object({
  message: z.literal(AUDIT_MESSAGE),
  timestamp: z.optional(z.string()),
  function_arn: z.optional(z.string()),
  ...AUDIT_FIELDS,
});

const CountsSchema = z.object(Object.fromEntries(COUNTED_OUTCOMES.map((outcome) => [outcome, count])));

/** An organisation run's summary line: one account-region. */
export const AccountRegionLineSchema = z.object({
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
export const RegionLineSchema = z.object({
  type: z.literal('summary'),
  region: z.string(),
  counts: CountsSchema,
  scanned: count,
  interrupted: z.optional(z.boolean()),
});

export const ErrorLineSchema = z.object({ type: z.literal('error'), message: z.string() });

/** Counts of every counted outcome, zero where the line has none. */
export function countsOf(counts: Readonly<Record<string, number>>): ReportCounts {
  const result = zeroCounts();
  for (const outcome of COUNTED_OUTCOMES) result[outcome] = counts[outcome] ?? 0;
  return result;
}

export const orNull = (value: string | null | undefined): string | null => value ?? null;
const orUndefined = (value: string | null | undefined): string | undefined => value ?? undefined;

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

/** The audit record an `audit` line or an audit log line holds. */
export function auditRecordOf(line: z.infer<z.ZodMiniObject<typeof AUDIT_FIELDS>>): AuditRecord {
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
