/**
 * The evidence report as JSON, for tools: the data set itself (`data`, whose canonical form the `sha256`
 * is of), and what the other formats show computed from it (the matrix, the ordered exemptions, the
 * totals), so that a tool need not compute them again. Pure.
 */
import { HASH_DESCRIPTION } from './report.ts';
import { CELL_LEGEND } from './report-cells.ts';
import type { ReportView } from './report-view.ts';

/** Renders the report as pretty-printed JSON; `notes` are the reader's remarks on its source. */
export function renderJson(view: ReportView, notes: readonly string[] = []): string {
  const matrix = view.accounts.map((account, row) => ({
    accountId: account.accountId,
    accountName: account.accountName,
    regions: Object.fromEntries(
      view.regions.map((region, column) => {
        const cell = view.cells[row]?.[column];
        return [region, cell === undefined ? null : { ...cell, label: CELL_LEGEND[cell.kind].label }];
      }),
    ),
  }));
  const report = {
    schema: view.data.schema,
    sha256: view.sha256,
    hashed: HASH_DESCRIPTION,
    data: view.data,
    madeAt: view.madeAt,
    summary: {
      exemptionsMeasuredFrom: view.asOf,
      totals: view.totals,
      accountRegions: view.cellTotals,
      matrix,
      exemptions: view.exemptions,
    },
    notes,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
