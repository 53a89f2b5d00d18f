/**
 * The CLI's `--json` lines as bin/output.ts writes them, read back for the evidence report
 * (lib/report-readers.ts): `{"type":"audit",…}` records, `{"type":"summary",…}` per Region (one account)
 * or per account-region (a scope), and `error` lines. Pure: schemas and their conversion.
 */
import * as z from 'zod/mini';
import { type AuditRecord, OUTCOMES, type Trigger } from './audit.ts';
import { COUNTED_OUTCOMES, REPORT_STATUSES, type ReportCounts, zeroCounts } from './report.ts';

const count = z.int().check(z.gte(0));
const SettingSchema = z.object({ imageTagMutability: z.string(), exclusionFilters: z.array(z.string()) });
const optionalText = z.optional(z.nullable(z.string()));

export const AuditLineSchema = z.object({
  type: z.literal('audit'),
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

/** The audit record an `audit` line holds. */
export function auditRecordOf(line: z.infer<typeof AuditLineSchema>): AuditRecord {
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
