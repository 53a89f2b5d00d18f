/**
 * The evidence report as one self-contained HTML page: inline CSS and SVG, no script, no font, no image or
 * link that loads anything (a Content-Security-Policy of `default-src 'none'` says so to the browser too),
 * every value escaped. Each matrix cell carries a symbol and a word as well as a colour, so the page reads
 * the same printed in black and white. Pure.
 */

import { COUNTED_OUTCOMES, EXPIRING_SOON_DAYS, HASH_DESCRIPTION, type ReportRecord } from './report.ts';
import { CELL_KINDS, CELL_LEGEND, type CellKind } from './report-cells.ts';
import type { AccountGroup, RecordColumn, ReportView } from './report-view.ts';
import { exemptionOrderText, RECORD_COLUMNS, SOURCE_COLUMNS } from './report-view.ts';

/** Escapes text for an HTML element or a quoted attribute. */
export function escapeHtml(value: string | number | boolean | null | undefined): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Background and text colour of each kind; the symbol and word carry the meaning without them. */
const COLOURS: Readonly<Record<CellKind, readonly [string, string]>> = {
  compliant: ['#d8f0dc', '#14532d'],
  exempt: ['#e6dcf5', '#3b1f6b'],
  remediated: ['#d6e6f8', '#12355b'],
  'would-remediate': ['#fbe7c6', '#5c3a00'],
  failed: ['#f8d4d4', '#6b0f0f'],
  incomplete: ['#fff3b0', '#4d3f00'],
  unguarded: ['#fcd9bd', '#5a2600'],
  skipped: ['#e5e7eb', '#374151'],
  absent: ['#ffffff', '#4b5563'],
};

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #111827; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #d1d5db; padding-bottom: .25rem; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #d1d5db; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.cell .symbol { font-weight: 700; margin-right: .25rem; }
.cell .label { font-weight: 600; }
.cell .detail { font-size: .85em; }
${CELL_KINDS.map((kind) => `.kind-${kind} { background: ${COLOURS[kind][0]}; color: ${COLOURS[kind][1]}; }`).join('\n')}
tr.soon td { font-weight: 600; }
td.nowrap, th.nowrap { white-space: nowrap; }
.note { color: #4b5563; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f9fafb; border: 1px solid #e5e7eb; padding: .5rem; max-height: 30rem; overflow: auto; }
@media print { details { display: block; } pre { max-height: none; } }
`;

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'";

function cellHtml(kind: CellKind, detail: string, extra = ''): string {
  const legend = CELL_LEGEND[kind];
  return `<td class="cell kind-${kind}" data-kind="${kind}"${extra}><span class="symbol" aria-hidden="true">${escapeHtml(legend.symbol)}</span><span class="label">${escapeHtml(legend.label)}</span><div class="detail">${escapeHtml(detail)}</div></td>`;
}

/** A bar of the account-regions by kind, with each part's count written next to it. */
function summaryBar(view: ReportView): string {
  const parts = CELL_KINDS.filter((kind) => view.cellTotals[kind] > 0);
  const total = parts.reduce((sum, kind) => sum + view.cellTotals[kind], 0);
  const width = 600;
  let x = 0;
  const rects = parts.map((kind) => {
    const share = (view.cellTotals[kind] / total) * width;
    const rect = `<rect x="${x.toFixed(1)}" y="0" width="${share.toFixed(1)}" height="24" fill="${COLOURS[kind][0]}" stroke="#374151" stroke-width="0.5"><title>${escapeHtml(`${CELL_LEGEND[kind].label}: ${view.cellTotals[kind]}`)}</title></rect>`;
    x += share;
    return rect;
  });
  const rows = Math.max(1, Math.ceil(parts.length / 4));
  const wrapped = parts
    .map((kind, index) => {
      const text = `${CELL_LEGEND[kind].symbol} ${CELL_LEGEND[kind].label}: ${view.cellTotals[kind]}`;
      return `<text x="${(index % 4) * 150}" y="${44 + Math.floor(index / 4) * 16}" font-size="12" fill="#111827">${escapeHtml(text)}</text>`;
    })
    .join('');
  return `<svg id="summary-bar" role="img" aria-label="${escapeHtml(`${total} account-regions by outcome`)}" width="${width}" height="${36 + rows * 16}" viewBox="0 0 ${width} ${36 + rows * 16}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(`${total} account-regions by outcome`)}</title>${rects.join('')}${wrapped}</svg>`;
}

function recordTable(records: readonly ReportRecord[], columns: readonly RecordColumn[]): string {
  const head = columns.map(([title]) => `<th>${escapeHtml(title)}</th>`).join('');
  const body = records
    .map(
      (record) =>
        `<tr>${columns.map(([title, value]) => `<td${title === 'Region' ? ' class="nowrap"' : ''}>${escapeHtml(value(record))}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function byAccountSection(
  id: string,
  title: string,
  groups: readonly AccountGroup[],
  empty: string,
  columns: readonly RecordColumn[],
): string {
  const body =
    groups.length === 0
      ? `<p class="note">${escapeHtml(empty)}</p>`
      : groups
          .map(
            (group) =>
              `<h3>${escapeHtml(`Account ${group.accountId}`)} <span class="note">${escapeHtml(`(${group.records.length})`)}</span></h3>${recordTable(group.records, columns)}`,
          )
          .join('');
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

/** Renders the report as one HTML page; `notes` are the reader's remarks on its source. */
export function renderHtml(view: ReportView, notes: readonly string[] = []): string {
  const { data } = view;
  const policy = data.policy;
  const list = (values: readonly string[]) => (values.length === 0 ? 'none' : values.join(', '));
  const sourceRows = data.sources
    .map(
      (source) =>
        `<tr data-source="${escapeHtml(source.kind)}">${SOURCE_COLUMNS.map(([title, value]) => `<td${title === 'What' ? ' class="mono"' : ''}>${escapeHtml(value(source))}</td>`).join('')}</tr>`,
    )
    .join('');
  const provenance = `<table id="sources"><thead><tr>${SOURCE_COLUMNS.map(([title]) => `<th>${escapeHtml(title)}</th>`).join('')}</tr></thead><tbody>${sourceRows}</tbody></table>${view.madeAt === null ? '' : `<p class="note">Report made at <span id="made-at">${escapeHtml(view.madeAt)}</span> (not part of the data or its hash).</p>`}`;
  const policyList = `<dl id="policy">
<dt>Target</dt><dd>${escapeHtml(policy.target)}</dd>
<dt>Allowed exclusions</dt><dd>${escapeHtml(list(policy.allowedExclusions))}</dd>
<dt>Exempt repositories (name)</dt><dd>${escapeHtml(list(policy.exemptRepositories))}</dd>
<dt>Exemption tag</dt><dd>${escapeHtml(policy.exemptTagKey === null ? 'none' : `${policy.exemptTagKey}${policy.exemptExpiryTagKey === null ? '' : `, expiry tag ${policy.exemptExpiryTagKey}`}`)}</dd>
</dl>`;
  const integrity = `<p>SHA-256: <code id="sha256">${escapeHtml(view.sha256)}</code></p><p class="note" id="hash-description">${escapeHtml(HASH_DESCRIPTION)}</p>`;
  const totals = `<table id="totals"><thead><tr>${COUNTED_OUTCOMES.map((outcome) => `<th>${escapeHtml(outcome)}</th>`).join('')}</tr></thead><tbody><tr>${COUNTED_OUTCOMES.map((outcome) => `<td>${escapeHtml(view.totals[outcome])}</td>`).join('')}</tr></tbody></table>`;
  const matrixHead = `<tr><th scope="col">Account</th>${view.regions.map((region) => `<th scope="col">${escapeHtml(region)}</th>`).join('')}</tr>`;
  const matrixBody = view.accounts
    .map((account, row) => {
      const name =
        account.accountName === null ? '' : ` <span class="note">${escapeHtml(account.accountName)}</span>`;
      const cells = view.regions
        .map((region, column) => {
          // Stryker disable next-line StringLiteral: unreachable, the view has a cell for every account and Region (lib/report-view.ts), so the fallback's detail is never shown; its `'absent'` emptied does not type-check.
          const cell = view.cells[row]?.[column] ?? { kind: 'absent' as const, detail: '' };
          return cellHtml(
            cell.kind,
            cell.detail,
            ` data-account="${escapeHtml(account.accountId)}" data-region="${escapeHtml(region)}"`,
          );
        })
        .join('');
      return `<tr><th scope="row" class="nowrap"><span class="mono">${escapeHtml(account.accountId)}</span>${name}</th>${cells}</tr>`;
    })
    .join('');
  const legend = `<table id="legend"><tbody>${CELL_KINDS.map((kind) => `<tr>${cellHtml(kind, CELL_LEGEND[kind].meaning)}</tr>`).join('')}</tbody></table>`;
  const exemptionRows = view.exemptions
    .map(
      (row) =>
        `<tr class="${row.soon ? 'soon' : ''}" data-expiry="${escapeHtml(row.expiry ?? '')}"><td>${escapeHtml(row.expiry ?? 'never')}${row.soon ? escapeHtml(` (within ${EXPIRING_SOON_DAYS} days)`) : ''}</td><td class="nowrap">${escapeHtml(row.accountId)}</td><td class="nowrap">${escapeHtml(row.region)}</td><td class="mono">${escapeHtml(row.subject)}</td><td>${escapeHtml(row.rule)}</td><td>${escapeHtml(row.reason)}</td></tr>`,
    )
    .join('');
  const exemptions =
    view.exemptions.length === 0
      ? '<p class="note">No exemptions in this data.</p>'
      : `<table id="exemptions"><thead><tr><th>Expires</th><th>Account</th><th>Region</th><th>Repository</th><th>Rule</th><th>Reason</th></tr></thead><tbody>${exemptionRows}</tbody></table>`;
  const notesSection =
    notes.length === 0
      ? ''
      : `<section id="notes"><h2>About the source</h2><ul>${notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul></section>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`ECR tag immutability evidence${view.asOf.at === null ? '' : `, ${view.asOf.at}`}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>ECR tag immutability: evidence</h1>${provenance}</header>
<section id="policy-section"><h2>Policy in force</h2>${policyList}</section>
<section id="integrity"><h2>Integrity</h2>${integrity}</section>
<section id="summary"><h2>Summary</h2>${summaryBar(view)}<h3>Repositories</h3>${totals}</section>
<section id="matrix-section"><h2>Accounts × Regions</h2><table id="matrix"><thead>${matrixHead}</thead><tbody>${matrixBody}</tbody></table><h3>Legend</h3>${legend}</section>
<section id="exemptions-section"><h2>Exemptions</h2><p class="note">${escapeHtml(exemptionOrderText(view.asOf))}</p>${exemptions}</section>
${byAccountSection('blocked-overwrites', 'Refused overwrites, by account', view.blockedOverwrites, 'No refused overwrites in this data.', RECORD_COLUMNS.blockedOverwrites)}
${byAccountSection('remediations', 'Remediations, by account', view.remediations, 'No remediations in this data.', RECORD_COLUMNS.remediations)}
${byAccountSection('failures', 'Failures, by account', view.failures, 'No repository failed in this data.', RECORD_COLUMNS.failures)}
${notesSection}
<section id="data-section"><h2>Data</h2><details><summary>The data set this page shows, as canonical JSON (what the SHA-256 is of)</summary><pre id="evidence-data">${escapeHtml(view.canonical)}</pre></details></section>
<footer class="note"><p>Made by ecr-immutability-guard from the data above; nothing on this page loads from the network.</p></footer>
</body>
</html>
`;
}
