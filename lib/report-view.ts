/**
 * What every format of the evidence report shows of its data set (lib/report.ts): the accounts × Regions
 * matrix with a verdict per cell (in words and a symbol as well as a colour), the totals, the exemptions
 * with their expiry, and the records grouped by account. Pure: the formats (lib/report-html.ts,
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
  type ReportAccountRegion,
  type ReportCounts,
  type ReportRecord,
  type ShownOutcome,
  zeroCounts,
} from './report.ts';

const DAY_MS = 86_400_000;

/** What a matrix cell says, in words and a symbol as well as a colour. */
export const CELL_KINDS = [
  'compliant',
  'exempt',
  'remediated',
  'would-remediate',
  'failed',
  'incomplete',
  'unguarded',
  'skipped',
  'absent',
] as const;
export type CellKind = (typeof CELL_KINDS)[number];

export const CELL_LEGEND: Readonly<
  Record<CellKind, { readonly symbol: string; readonly label: string; readonly meaning: string }>
> = {
  compliant: { symbol: '✔', label: 'compliant', meaning: 'every repository at the policy' },
  exempt: { symbol: '◐', label: 'exempt', meaning: 'compliant except repositories the policy exempts' },
  remediated: { symbol: '↻', label: 'remediated', meaning: 'the guard set repositories to the policy' },
  'would-remediate': {
    symbol: '⚠',
    label: 'non-compliant',
    meaning: 'repositories a dry run would set to the policy',
  },
  failed: {
    symbol: '✖',
    label: 'failed',
    meaning: 'the account-region or a repository could not be decided',
  },
  incomplete: {
    symbol: '…',
    label: 'incomplete',
    meaning: 'the run stopped before the end of the account-region',
  },
  unguarded: { symbol: '!', label: 'unguarded', meaning: 'the guard’s event forwarding is missing there' },
  skipped: { symbol: '⊘', label: 'skipped', meaning: 'not swept, with the reason' },
  absent: {
    symbol: '—',
    label: 'not in the data',
    meaning: 'the data has no summary for this account-region',
  },
};

/** One cell of the accounts × Regions matrix. */
export interface MatrixCell {
  readonly kind: CellKind;
  /** Counts or the reason, in words. */
  readonly detail: string;
}

function countsText(counts: ReportCounts): string {
  const parts = COUNTED_OUTCOMES.filter((outcome) => counts[outcome] > 0).map(
    (outcome) => `${counts[outcome]} ${outcome}`,
  );
  return parts.length === 0 ? 'no repositories' : parts.join(', ');
}

/** The verdict of one account-region: the most serious of what happened there. */
export function cellOf(entry: ReportAccountRegion | undefined): MatrixCell {
  if (entry === undefined) return { kind: 'absent', detail: CELL_LEGEND.absent.meaning };
  const why = [entry.code, entry.reason].filter((part) => part !== null).join(': ');
  switch (entry.status) {
    case 'skipped':
      return { kind: 'skipped', detail: why === '' ? 'skipped' : why };
    case 'failed':
      return {
        kind: 'failed',
        detail: [why, countsText(entry.counts)].filter((part) => part !== '').join('; '),
      };
    case 'unguarded':
      return {
        kind: 'unguarded',
        detail: [why, countsText(entry.counts)].filter((part) => part !== '').join('; '),
      };
    case 'incomplete':
      return { kind: 'incomplete', detail: countsText(entry.counts) };
    case 'completed': {
      const { counts } = entry;
      const kind: CellKind =
        counts.failed > 0
          ? 'failed'
          : counts['would-remediate'] > 0
            ? 'would-remediate'
            : counts.remediated > 0
              ? 'remediated'
              : counts.exempt > 0
                ? 'exempt'
                : 'compliant';
      return { kind, detail: countsText(counts) };
    }
  }
}

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

/** Everything a format shows, computed once from the data set. */
export interface ReportView {
  readonly data: EvidenceData;
  readonly canonical: string;
  readonly sha256: string;
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

/** Computes what every format shows. */
export function viewOf(data: EvidenceData): ReportView {
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
  const asOf = instantOf(data.gatheredAt) ?? 0;
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
        soon: expiresAt !== undefined && expiresAt - asOf <= EXPIRING_SOON_DAYS * DAY_MS,
      };
    })
    .sort(compareExemptions);
  const of = (...outcomes: ShownOutcome[]) =>
    byAccount(data.records.filter((record) => outcomes.includes(record.outcome)));
  return {
    data,
    canonical,
    sha256: evidenceHash(data),
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
