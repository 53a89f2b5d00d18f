/**
 * The evidence report's data set and its hash. Pure: no SDK, no clock, no I/O (the SHA-256 is
 * `node:crypto`'s, a function of the data alone). The data comes from a live dry-run or from saved output
 * (lib/report-readers.ts); what every format shows of it is lib/report-view.ts, the formats are
 * lib/report-html.ts, lib/report-markdown.ts and lib/report-json.ts. See docs/architecture.md, "Evidence report".
 *
 * The hash: SHA-256 over the UTF-8 bytes of the data set's canonical JSON — `JSON.stringify` of the data
 * with the members of every object sorted by name (all ASCII) and no whitespace — which the JSON format carries
 * as `data` and the HTML page as its "Data" block, so anyone can hash it again.
 */
import { createHash } from 'node:crypto';
import { type AuditRecord, type AuditSetting, DECISION_OUTCOMES, type Outcome } from './audit.ts';
import { describeSetting, type Policy } from './policy.ts';

/** The data set's format; a reader of the JSON format checks it. */
export const EVIDENCE_SCHEMA = 'ecr-guard-evidence/1';
/** Exemptions expiring within this many days of the data's time are listed first. */
export const EXPIRING_SOON_DAYS = 30;

/** How an account-region ended; `unguarded`: swept, but the guard's own forwarding rule is missing there. */
export const REPORT_STATUSES = ['completed', 'incomplete', 'failed', 'skipped', 'unguarded'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** The repository outcomes a summary counts: the decision outcomes of lib/audit.ts. */
export const COUNTED_OUTCOMES = DECISION_OUTCOMES;
export type CountedOutcome = (typeof COUNTED_OUTCOMES)[number];
export type ReportCounts = Readonly<Record<CountedOutcome, number>>;

/** The outcomes whose records the report lists (and so keeps in the data set). */
export const SHOWN_OUTCOMES = [
  'exempt',
  'remediated',
  'would-remediate',
  'failed',
  'blocked-overwrite',
] as const;
export type ShownOutcome = (typeof SHOWN_OUTCOMES)[number];

/** The policy in force, as the report names it. */
export interface ReportPolicy {
  /** E.g. `IMMUTABLE`, `IMMUTABLE_WITH_EXCLUSION [latest]`. */
  readonly target: string;
  readonly allowedExclusions: readonly string[];
  readonly exemptRepositories: readonly string[];
  readonly exemptTagKey: string | null;
  readonly exemptExpiryTagKey: string | null;
}

export const SOURCE_KINDS = ['live-dry-run', 'cli-json-lines', 'audit-log', 'result-writer'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Where part of the data came from, and when and by whom it was gathered, as far as the source says. */
export interface ReportSource {
  readonly kind: SourceKind;
  /** Files read, or the scope of a live run. */
  readonly detail: string;
  /** When the gathering started (ISO 8601), or null when the source does not record it. */
  readonly gatheredAt: string | null;
  /** Who gathered it (the caller's STS identity, a state machine), or null when the source does not record it. */
  readonly gatheredBy: string | null;
}

/** One account-region's summary. */
export interface ReportAccountRegion {
  readonly accountId: string;
  readonly accountName: string | null;
  readonly region: string;
  readonly status: ReportStatus;
  readonly counts: ReportCounts;
  readonly scanned: number;
  /** `failed`: the AWS error code; `skipped`: the skip reason's key. */
  readonly code: string | null;
  /** `failed`, `skipped`, `unguarded`: why, in a sentence. */
  readonly reason: string | null;
}

/** One audit record the report shows. */
export interface ReportRecord {
  readonly outcome: ShownOutcome;
  readonly accountId: string;
  readonly region: string;
  /** The repository, or `creation template <prefix>`. */
  readonly subject: string;
  readonly reason: string;
  readonly before: string | null;
  readonly after: string | null;
  readonly trigger: string;
  readonly dryRun: boolean;
  readonly actor: string | null;
  readonly imageTag: string | null;
  readonly errorCode: string | null;
}

/** The data set a report shows; its canonical JSON is what the report's SHA-256 is of. */
export interface EvidenceData {
  readonly schema: typeof EVIDENCE_SCHEMA;
  readonly policy: ReportPolicy;
  /** One per source read (a live run is one), in the order given. */
  readonly sources: readonly ReportSource[];
  /** Sorted by account, then Region. */
  readonly accountRegions: readonly ReportAccountRegion[];
  /** Sorted by account, Region, subject, outcome. */
  readonly records: readonly ReportRecord[];
}

/** The policy as the report names it. */
export function reportPolicy(
  policy: Pick<Policy, 'target' | 'allowedExclusions' | 'exemptRepositories' | 'exemptTag'>,
): ReportPolicy {
  return {
    target: describeSetting(policy.target),
    allowedExclusions: [...(policy.allowedExclusions ?? [])].sort(),
    exemptRepositories: [...policy.exemptRepositories],
    exemptTagKey: policy.exemptTag?.key ?? null,
    exemptExpiryTagKey: policy.exemptTag?.expiryKey ?? null,
  };
}

function settingOf(setting: AuditSetting | undefined): string | null {
  if (setting === undefined) return null;
  return describeSetting({
    mutability: setting.imageTagMutability,
    exclusionFilters: setting.exclusionFilters,
  });
}

function isShown(outcome: Outcome): outcome is ShownOutcome {
  return (SHOWN_OUTCOMES as readonly string[]).includes(outcome);
}

/** The report's view of an audit record, or undefined for outcomes it only counts (`compliant`, `gone`, ...). */
export function toReportRecord(record: AuditRecord): ReportRecord | undefined {
  if (!isShown(record.outcome)) return undefined;
  return {
    outcome: record.outcome,
    accountId: record.accountId ?? record.registryId ?? 'unknown',
    region: record.region ?? 'unknown',
    subject:
      record.templatePrefix !== undefined
        ? `creation template ${record.templatePrefix}`
        : (record.repositoryName ?? '(unnamed)'),
    reason: record.reason,
    before: settingOf(record.before),
    after: settingOf(record.after),
    trigger: record.trigger,
    dryRun: record.dryRun,
    actor: record.actor ?? null,
    imageTag: record.imageTag ?? null,
    errorCode: record.errorCode ?? null,
  };
}

/** Orders text by UTF-16 code units, the same in every locale. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Builds the data set, sorted so that the same facts always give the same bytes, and so the same hash. */
export function buildEvidence(input: Omit<EvidenceData, 'schema'>): EvidenceData {
  const accountRegions = [...input.accountRegions].sort(
    (a, b) => compareText(a.accountId, b.accountId) || compareText(a.region, b.region),
  );
  const records = [...input.records].sort(
    (a, b) =>
      compareText(a.accountId, b.accountId) ||
      compareText(a.region, b.region) ||
      compareText(a.subject, b.subject) ||
      compareText(a.outcome, b.outcome) ||
      compareText(a.reason, b.reason),
  );
  return { schema: EVIDENCE_SCHEMA, ...input, accountRegions, records };
}

/** JSON with every object's members sorted by name and no whitespace: the hashed form. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (typeof member !== 'object' || member === null || Array.isArray(member)) return member;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(member).sort()) sorted[key] = Reflect.get(member, key);
    return sorted;
  });
}

/** The hex SHA-256 of the data set's canonical JSON (UTF-8). */
export function evidenceHash(data: EvidenceData): string {
  return createHash('sha256').update(canonicalJson(data), 'utf8').digest('hex');
}

/** Says exactly what the hash is of, for every format. */
export const HASH_DESCRIPTION =
  'SHA-256 of the UTF-8 bytes of the data set’s canonical JSON: JSON.stringify of the data with the members of every object sorted by name (every name is ASCII) and no whitespace (the data member of the JSON format; the Data block of the HTML page).';

/** Counts of nothing yet. */
export function zeroCounts(): Record<CountedOutcome, number> {
  return { compliant: 0, remediated: 0, 'would-remediate': 0, exempt: 0, gone: 0, failed: 0 };
}
