/**
 * The evidence report as Markdown (CommonMark with GitHub tables), for tickets and change records: the
 * same sections as the HTML page, each matrix cell a symbol and a word, every value escaped so that no
 * repository name or reason can add markup, links or HTML. Pure.
 */

import { COUNTED_OUTCOMES, EXPIRING_SOON_DAYS, HASH_DESCRIPTION, type ReportRecord } from './report.ts';
import { CELL_KINDS, CELL_LEGEND } from './report-cells.ts';
import type { AccountGroup, RecordColumn, ReportView } from './report-view.ts';
import { exemptionOrderText, RECORD_COLUMNS, SOURCE_COLUMNS } from './report-view.ts';

/**
 * Escapes text for a Markdown table cell or list item: the characters that can start inline markup —
 * emphasis, code, links and images, HTML and entities, strikethrough, a table pipe, the escape itself —
 * get a backslash (CommonMark renders them as themselves), and line breaks become spaces (a cell is one
 * line, so no block can start either).
 */
export function escapeMarkdown(value: string | number | boolean | null | undefined): string {
  return String(value ?? '')
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_[\]<>|~&]/g, (char) => `\\${char}`);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(head.map(escapeMarkdown)),
    line(head.map(() => '---')),
    ...rows.map((row) => line(row.map(escapeMarkdown))),
  ].join('\n');
}

function recordRows(records: readonly ReportRecord[], columns: readonly RecordColumn[]): string {
  return table(
    columns.map(([title]) => title),
    records.map((record) => columns.map(([, value]) => value(record))),
  );
}

function byAccount(
  title: string,
  groups: readonly AccountGroup[],
  empty: string,
  columns: readonly RecordColumn[],
): string {
  if (groups.length === 0) return `## ${title}\n\n${escapeMarkdown(empty)}`;
  const parts = groups.map(
    (group) =>
      `### Account ${escapeMarkdown(group.accountId)} (${group.records.length})\n\n${recordRows(group.records, columns)}`,
  );
  return `## ${title}\n\n${parts.join('\n\n')}`;
}

/** Renders the report as Markdown; `notes` are the reader's remarks on its source. */
export function renderMarkdown(view: ReportView, notes: readonly string[] = []): string {
  const { data } = view;
  const { policy } = data;
  const list = (values: readonly string[]) => (values.length === 0 ? 'none' : values.join(', '));
  const matrix = table(
    ['Account', ...view.regions],
    view.accounts.map((account, row) => [
      account.accountName === null ? account.accountId : `${account.accountId} ${account.accountName}`,
      ...view.regions.map((_region, column) => {
        const cell = view.cells[row]?.[column];
        // Stryker disable next-line StringLiteral: unreachable, the view has a cell for every account and Region (lib/report-view.ts), so this empty cell is never written.
        if (cell === undefined) return '';
        const legend = CELL_LEGEND[cell.kind];
        return `${legend.symbol} ${legend.label}: ${cell.detail}`;
      }),
    ]),
  );
  const legend = table(
    ['Symbol', 'Meaning'],
    CELL_KINDS.map((kind) => [
      `${CELL_LEGEND[kind].symbol} ${CELL_LEGEND[kind].label}`,
      CELL_LEGEND[kind].meaning,
    ]),
  );
  const exemptions =
    view.exemptions.length === 0
      ? 'No exemptions in this data.'
      : table(
          ['Expires', 'Account', 'Region', 'Repository', 'Rule', 'Reason'],
          view.exemptions.map((row) => [
            `${row.expiry ?? 'never'}${row.soon ? ` (within ${EXPIRING_SOON_DAYS} days)` : ''}`,
            row.accountId,
            row.region,
            row.subject,
            row.rule,
            row.reason,
          ]),
        );
  const sections = [
    '# ECR tag immutability: evidence',
    table(
      SOURCE_COLUMNS.map(([title]) => title),
      data.sources.map((source) => SOURCE_COLUMNS.map(([, value]) => value(source))),
    ),
    ...(view.madeAt === null
      ? []
      : [escapeMarkdown(`Report made at ${view.madeAt} (not part of the data or its hash).`)]),
    '## Policy in force',
    [
      `- Target: ${escapeMarkdown(policy.target)}`,
      `- Allowed exclusions: ${escapeMarkdown(list(policy.allowedExclusions))}`,
      `- Exempt repositories (name): ${escapeMarkdown(list(policy.exemptRepositories))}`,
      `- Exemption tag: ${escapeMarkdown(policy.exemptTagKey === null ? 'none' : `${policy.exemptTagKey}${policy.exemptExpiryTagKey === null ? '' : `, expiry tag ${policy.exemptExpiryTagKey}`}`)}`,
    ].join('\n'),
    '## Integrity',
    `SHA-256: \`${view.sha256}\`\n\n${escapeMarkdown(HASH_DESCRIPTION)}`,
    '## Summary',
    table([...COUNTED_OUTCOMES], [COUNTED_OUTCOMES.map((outcome) => String(view.totals[outcome]))]),
    table(
      CELL_KINDS.filter((kind) => view.cellTotals[kind] > 0).map(
        (kind) => `${CELL_LEGEND[kind].symbol} ${CELL_LEGEND[kind].label}`,
      ),
      [
        CELL_KINDS.filter((kind) => view.cellTotals[kind] > 0).map(
          (kind) => `${view.cellTotals[kind]} account-regions`,
        ),
      ],
    ),
    '## Accounts × Regions',
    matrix,
    legend,
    '## Exemptions',
    escapeMarkdown(exemptionOrderText(view.asOf)),
    exemptions,
    byAccount(
      'Refused overwrites, by account',
      view.blockedOverwrites,
      'No refused overwrites in this data.',
      RECORD_COLUMNS.blockedOverwrites,
    ),
    byAccount(
      'Remediations, by account',
      view.remediations,
      'No remediations in this data.',
      RECORD_COLUMNS.remediations,
    ),
    byAccount(
      'Failures, by account',
      view.failures,
      'No repository failed in this data.',
      RECORD_COLUMNS.failures,
    ),
    ...(notes.length === 0
      ? []
      : ['## About the source', notes.map((note) => `- ${escapeMarkdown(note)}`).join('\n')]),
  ];
  return `${sections.join('\n\n')}\n`;
}
