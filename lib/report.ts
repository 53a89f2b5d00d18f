/**
 * The evidence report's data set and what every format shows of it. Pure: no SDK, no clock, no I/O (the
 * SHA-256 is `node:crypto`'s, a function of the data alone). The data comes from a live dry-run or from
 * saved output (lib/report-readers.ts); the formats are lib/report-html.ts, lib/report-markdown.ts and
 * lib/report-json.ts. See docs/architecture.md, "Evidence report".
 *
 * The hash: SHA-256 over the UTF-8 bytes of the data set's canonical JSON — `JSON.stringify` of the data
 * with the members of every object sorted by name (all ASCII) and no whitespace — which the JSON format carries
 * as `data` and the HTML page as its "Data" block, so anyone can hash it again.
 */
import { createHash } from 'node:crypto';
import { type AuditRecord, type AuditSetting, DECISION_OUTCOMES, type Outcome } from './audit.ts';
import { type ExemptionFacts, readExemption } from './exemption-reason.ts';
import { describeSetting, type Policy } from './policy.ts';

/** The data set's format; a reader of the JSON format checks it. */
export const EVIDENCE_SCHEMA = 'ecr-guard-evidence/1';
/** Exemptions expiring within this many days of the data's time are listed first. */
export const EXPIRING_SOON_DAYS = 30;
const DAY_MS = 86_400_000;

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

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

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

/** Counts of nothing yet. */
export function zeroCounts(): Record<CountedOutcome, number> {
  return { compliant: 0, remediated: 0, 'would-remediate': 0, exempt: 0, gone: 0, failed: 0 };
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
export interface AsOf {
  readonly at: string | null;
  readonly basis: 'gathered' | 'made' | 'unknown';
}

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
      ? `of ${asOf.at ?? ''} (when the data was gathered)`
      : asOf.basis === 'made'
        ? `of ${asOf.at ?? ''} (when this report was made: the source does not say when its data was gathered)`
        : 'of a time the source does not record (none is marked)';
  return `Those expiring within ${EXPIRING_SOON_DAYS} days ${from} first, soonest first; then by expiry; then those without one.`;
}

/** Computes what every format shows. */
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
    sha256: createHash('sha256').update(canonical, 'utf8').digest('hex'),
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
