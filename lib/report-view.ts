/**
 * What every format of the evidence report shows of its data set (lib/report.ts): the sources with when
 * and by whom, the accounts × Regions matrix with a verdict per cell (lib/report-cells.ts), the totals, the
 * exemptions with their expiry measured from when the data was gathered, and the records grouped by account. Pure: the formats (lib/report-html.ts,
 * lib/report-markdown.ts, lib/report-json.ts) render this view and decide nothing themselves.
 */
import { type ExemptionFacts, readExemption } from './exemption-reason.ts';
import {
  COUNTED_OUTCOMES,
  canonicalJson,
  compareText,
  type EvidenceData,
  EXPIRING_SOON_DAYS,
  evidenceHash,
  type ReportCounts,
  type ReportRecord,
  type ReportSource,
  type ShownOutcome,
  type SourceKind,
  zeroCounts,
} from './report.ts';
import { type CellKind, cellOf, type MatrixCell } from './report-cells.ts';

const DAY_MS = 86_400_000;

/** An exemption as listed: where, what, and when it ends. */
export interface ExemptionRow extends ExemptionFacts {
  readonly accountId: string;
  readonly region: string;
  readonly subject: string;
  /** Expires within {@link EXPIRING_SOON_DAYS} days of the data's time. */
  readonly soon: boolean;
}

/** Milliseconds of an ISO date or date-time, or undefined. */
function instantOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** What every format says of a source, in words. */
export const SOURCE_LABELS: Readonly<Record<SourceKind, string>> = {
  'live-dry-run': 'live dry run (nothing written)',
  'cli-json-lines': 'saved CLI --json output',
  'audit-log': 'the functions’ audit log lines (CloudWatch Logs)',
  'result-writer': 'organisation sweep results (Step Functions ResultWriter files)',
};

/** What a format shows for a source that does not say when, or by whom, its data was gathered. */
export const UNKNOWN_WHEN = 'unknown: the source does not record when its data was gathered';
export const UNKNOWN_WHO = 'unknown: the source does not record who gathered it';

/**
 * The instant the exemptions' "expiring within 30 days" is measured from: when the data was gathered (the
 * latest of the sources that say), else when the report was made, else none (no exemption is then "soon").
 */
export type AsOf =
  | { readonly at: string; readonly basis: 'gathered' | 'made' }
  | { readonly at: null; readonly basis: 'unknown' };

/** What a view needs besides the data: when the report is made (not part of the data, nor of its hash). */
export interface ViewOptions {
  /** ISO 8601. */
  readonly madeAt?: string | undefined;
}

/** Everything a format shows, computed once from the data set. */
export interface ReportView {
  readonly data: EvidenceData;
  readonly canonical: string;
  readonly sha256: string;
  /** When the report was made, if the caller said. */
  readonly madeAt: string | null;
  readonly asOf: AsOf;
  readonly accounts: readonly { readonly accountId: string; readonly accountName: string | null }[];
  readonly regions: readonly string[];
  /** `cells[account][region]`, in the order of {@link accounts} and {@link regions}. */
  readonly cells: readonly (readonly MatrixCell[])[];
  /** How many account-regions ended in each kind. */
  readonly cellTotals: Readonly<Record<CellKind, number>>;
  /** Repository outcomes summed over the data. */
  readonly totals: ReportCounts;
  /** Expiring within 30 days first (soonest first), then by expiry, then those without one. */
  readonly exemptions: readonly ExemptionRow[];
  readonly blockedOverwrites: readonly AccountGroup[];
  readonly remediations: readonly AccountGroup[];
  readonly failures: readonly AccountGroup[];
}

/** A column of a record table: its title and what it shows of a record. */
export type RecordColumn = readonly [title: string, value: (record: ReportRecord) => string];

/** The columns of the record tables every format shows, by table. */
export const RECORD_COLUMNS: Readonly<
  Record<'blockedOverwrites' | 'remediations' | 'failures', readonly RecordColumn[]>
> = {
  blockedOverwrites: [
    ['Region', (record) => record.region],
    ['Repository', (record) => record.subject],
    ['Tag', (record) => record.imageTag ?? '—'],
    ['Actor', (record) => record.actor ?? '—'],
    ['Reason', (record) => record.reason],
  ],
  remediations: [
    ['Region', (record) => record.region],
    ['Repository', (record) => record.subject],
    ['Change', (record) => `${record.before ?? '—'} → ${record.after ?? '—'}`],
    ['Outcome', (record) => (record.dryRun ? `${record.outcome} (dry run)` : record.outcome)],
    ['Trigger', (record) => record.trigger],
    ['Reason', (record) => record.reason],
  ],
  failures: [
    ['Region', (record) => record.region],
    ['Repository', (record) => record.subject],
    ['Error code', (record) => record.errorCode ?? '—'],
    ['Reason', (record) => record.reason],
  ],
};

/** The columns of the sources table every format shows. */
export const SOURCE_COLUMNS: readonly (readonly [title: string, value: (source: ReportSource) => string])[] =
  [
    ['Source', (source) => SOURCE_LABELS[source.kind]],
    ['What', (source) => source.detail],
    ['Gathered at', (source) => source.gatheredAt ?? UNKNOWN_WHEN],
    ['Gathered by', (source) => source.gatheredBy ?? UNKNOWN_WHO],
  ];

/** Records of one account. */
export interface AccountGroup {
  readonly accountId: string;
  readonly records: readonly ReportRecord[];
}

function byAccount(records: readonly ReportRecord[]): AccountGroup[] {
  const groups = new Map<string, ReportRecord[]>();
  for (const record of records) {
    const group = groups.get(record.accountId) ?? [];
    group.push(record);
    groups.set(record.accountId, group);
  }
  return [...groups].map(([accountId, list]) => ({ accountId, records: list }));
}

/** Orders exemptions: soon first, then by expiry, then without expiry; ties by account, Region, subject. */
function compareExemptions(a: ExemptionRow, b: ExemptionRow): number {
  const rank = (row: ExemptionRow) => (row.soon ? 0 : instantOf(row.expiry) !== undefined ? 1 : 2);
  const when = (row: ExemptionRow) => instantOf(row.expiry) ?? 0;
  return (
    rank(a) - rank(b) ||
    when(a) - when(b) ||
    compareText(a.accountId, b.accountId) ||
    compareText(a.region, b.region) ||
    compareText(a.subject, b.subject)
  );
}

/** The instant exemptions are measured from (see {@link AsOf}). */
export function asOfOf(data: EvidenceData, madeAt: string | undefined): AsOf {
  const gathered = data.sources
    .map((source) => source.gatheredAt)
    .filter((at): at is string => at !== null && instantOf(at) !== undefined)
    .sort((a, b) => (instantOf(a) ?? 0) - (instantOf(b) ?? 0))
    .at(-1);
  if (gathered !== undefined) return { at: gathered, basis: 'gathered' };
  if (madeAt !== undefined && instantOf(madeAt) !== undefined) return { at: madeAt, basis: 'made' };
  return { at: null, basis: 'unknown' };
}

/** The sentence that says how the exemptions are ordered, and from when "within 30 days" counts. */
export function exemptionOrderText(asOf: AsOf): string {
  const from =
    asOf.basis === 'gathered'
      ? `of ${asOf.at} (when the data was gathered)`
      : asOf.basis === 'made'
        ? `of ${asOf.at} (when this report was made: the source does not say when its data was gathered)`
        : 'of a time the source does not record (none is marked)';
  return `Those expiring within ${EXPIRING_SOON_DAYS} days ${from} first, soonest first; then by expiry; then those without one.`;
}

/** Computes what every format shows; `options.madeAt` is when the report is made (outside the hash). */
export function viewOf(data: EvidenceData, options: ViewOptions = {}): ReportView {
  const canonical = canonicalJson(data);
  const names = new Map<string, string | null>();
  for (const entry of data.accountRegions) {
    if (!names.has(entry.accountId) || entry.accountName !== null)
      names.set(entry.accountId, entry.accountName);
  }
  for (const record of data.records) if (!names.has(record.accountId)) names.set(record.accountId, null);
  const accounts = [...names]
    .map(([accountId, accountName]) => ({ accountId, accountName }))
    .sort((a, b) => compareText(a.accountId, b.accountId));
  const regions = [
    ...new Set([
      ...data.accountRegions.map((entry) => entry.region),
      ...data.records.map((record) => record.region),
    ]),
  ].sort();
  const entries = new Map(data.accountRegions.map((entry) => [`${entry.accountId}/${entry.region}`, entry]));
  const cells = accounts.map(({ accountId }) =>
    regions.map((region) => cellOf(entries.get(`${accountId}/${region}`))),
  );
  const cellTotals: Record<CellKind, number> = {
    compliant: 0,
    exempt: 0,
    remediated: 0,
    'would-remediate': 0,
    failed: 0,
    incomplete: 0,
    unguarded: 0,
    skipped: 0,
    absent: 0,
  };
  for (const row of cells) for (const cell of row) cellTotals[cell.kind] += 1;
  const totals = zeroCounts();
  for (const entry of data.accountRegions)
    for (const outcome of COUNTED_OUTCOMES) totals[outcome] += entry.counts[outcome];
  const asOf = asOfOf(data, options.madeAt);
  const asOfMs = instantOf(asOf.at ?? undefined);
  const exemptions = data.records
    .filter((record) => record.outcome === 'exempt')
    .map((record): ExemptionRow => {
      const facts = readExemption(record.reason, data.policy.exemptTagKey ?? undefined);
      const expiresAt = instantOf(facts.expiry);
      return {
        ...facts,
        accountId: record.accountId,
        region: record.region,
        subject: record.subject,
        soon:
          expiresAt !== undefined &&
          asOfMs !== undefined &&
          expiresAt - asOfMs <= EXPIRING_SOON_DAYS * DAY_MS,
      };
    })
    .sort(compareExemptions);
  const of = (...outcomes: ShownOutcome[]) =>
    byAccount(data.records.filter((record) => outcomes.includes(record.outcome)));
  return {
    data,
    canonical,
    sha256: evidenceHash(data),
    madeAt: options.madeAt ?? null,
    asOf,
    accounts,
    regions,
    cells,
    cellTotals,
    totals,
    exemptions,
    blockedOverwrites: of('blocked-overwrite'),
    remediations: of('remediated', 'would-remediate'),
    failures: of('failed'),
  };
}
