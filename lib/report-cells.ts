/**
 * The verdict of one account-region in the evidence report's accounts × Regions matrix (lib/report-view.ts):
 * the most serious of what happened there, in words and a symbol as well as a colour, so that every format
 * reads the same printed in black and white. Pure.
 */
import { COUNTED_OUTCOMES, type ReportAccountRegion, type ReportCounts } from './report.ts';

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
