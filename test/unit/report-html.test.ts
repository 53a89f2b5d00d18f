/**
 * The evidence report as one HTML page (lib/report-html.ts), part by part: what each part says, exactly, in
 * which element, and how a value is escaped.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ReportPolicy } from '../../lib/report.ts';
import { escapeHtml, renderHtml } from '../../lib/report-html.ts';
import { viewOf } from '../../lib/report-view.ts';
import { reportData as data, POLICY, reportRecord } from '../helpers/report-data.ts';

/** The element that opens with `<tag id="id"`, whole (its tag holds no element of the same name). */
function element(html: string, tag: string, id: string): string | undefined {
  return new RegExp(`<${tag} id="${id}"[^>]*>.*?</${tag}>`, 's').exec(html)?.[0];
}

const CELL = (kind: string, symbol: string, label: string, detail: string, extra = '') =>
  `<td class="cell kind-${kind}" data-kind="${kind}"${extra}><span class="symbol" aria-hidden="true">${symbol}</span><span class="label">${label}</span><div class="detail">${detail}</div></td>`;

describe('renderHtml', () => {
  // Rendered before each test, not while the file is collected: a mutant is switched on only when the
  // tests run (docs/reliability.md, "Mutation testing").
  let view = viewOf(data(), { madeAt: '2026-06-02T00:00:00Z' });
  let html = '';
  beforeEach(() => {
    view = viewOf(data(), { madeAt: '2026-06-02T00:00:00Z' });
    html = renderHtml(view, ['a <note>']);
  });

  it('names the page by when the data is of, or without a time when there is none', () => {
    expect(html).toContain('<title>ECR tag immutability evidence, 2026-06-01T00:00:00Z</title>');
    const undated = data({
      sources: [{ kind: 'live-dry-run', detail: 'x', gatheredAt: null, gatheredBy: null }],
    });
    expect(renderHtml(viewOf(undated))).toContain('<title>ECR tag immutability evidence</title>');
    expect(html).toContain(
      '<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src &#39;none&#39;; base-uri &#39;none&#39;; form-action &#39;none&#39;">',
    );
  });

  it('lists the sources, the detail in monospace, and when the report was made only when said', () => {
    expect(element(html, 'table', 'sources')).toBe(
      '<table id="sources"><thead><tr><th>Source</th><th>What</th><th>Gathered at</th><th>Gathered by</th></tr></thead><tbody><tr data-source="live-dry-run"><td>live dry run (nothing written)</td><td class="mono">acct</td><td>2026-06-01T00:00:00Z</td><td>me</td></tr></tbody></table>',
    );
    expect(html).toContain(
      '</table><p class="note">Report made at <span id="made-at">2026-06-02T00:00:00Z</span> (not part of the data or its hash).</p></header>',
    );
    expect(renderHtml(viewOf(data()))).toContain('</tbody></table></header>');
  });

  it('names the policy, its allowed exclusions and its exemption tag with its expiry tag', () => {
    expect(element(html, 'dl', 'policy')).toBe(
      '<dl id="policy">\n<dt>Target</dt><dd>IMMUTABLE</dd>\n<dt>Allowed exclusions</dt><dd>latest, v*</dd>\n<dt>Exempt repositories (name)</dt><dd>none</dd>\n<dt>Exemption tag</dt><dd>ex, expiry tag until</dd>\n</dl>',
    );
    const policy = (values: Partial<ReportPolicy>) =>
      element(renderHtml(viewOf(data({ policy: { ...POLICY, ...values } }))), 'dl', 'policy');
    expect(policy({ exemptRepositories: ['a/**', 'b'], exemptExpiryTagKey: null })).toContain(
      '<dd>a/**, b</dd>\n<dt>Exemption tag</dt><dd>ex</dd>',
    );
    expect(policy({ allowedExclusions: [], exemptTagKey: null })).toContain(
      '<dt>Allowed exclusions</dt><dd>none</dd>\n<dt>Exempt repositories (name)</dt><dd>none</dd>\n<dt>Exemption tag</dt><dd>none</dd>',
    );
  });

  it('gives the hash and what it is of', () => {
    expect(element(html, 'section', 'integrity')).toBe(
      `<section id="integrity"><h2>Integrity</h2><p>SHA-256: <code id="sha256">${view.sha256}</code></p><p class="note" id="hash-description">SHA-256 of the UTF-8 bytes of the data set’s canonical JSON: JSON.stringify of the data with the members of every object sorted by name (every name is ASCII) and no whitespace (the data member of the JSON format; the Data block of the HTML page).</p></section>`,
    );
  });

  it('draws the account-regions by kind as a bar, each part as wide as its share, with its count', () => {
    expect(element(html, 'svg', 'summary-bar')).toBe(
      [
        '<svg id="summary-bar" role="img" aria-label="4 account-regions by outcome" width="600" height="52" viewBox="0 0 600 52" xmlns="http://www.w3.org/2000/svg"><title>4 account-regions by outcome</title>',
        '<rect x="0.0" y="0" width="150.0" height="24" fill="#e6dcf5" stroke="#374151" stroke-width="0.5"><title>exempt: 1</title></rect>',
        '<rect x="150.0" y="0" width="150.0" height="24" fill="#f8d4d4" stroke="#374151" stroke-width="0.5"><title>failed: 1</title></rect>',
        '<rect x="300.0" y="0" width="300.0" height="24" fill="#ffffff" stroke="#374151" stroke-width="0.5"><title>not in the data: 2</title></rect>',
        '<text x="0" y="44" font-size="12" fill="#111827">◐ exempt: 1</text>',
        '<text x="150" y="44" font-size="12" fill="#111827">✖ failed: 1</text>',
        '<text x="300" y="44" font-size="12" fill="#111827">— not in the data: 2</text></svg>',
      ].join(''),
    );
  });

  it('wraps the bar’s counts four to a line, and draws an empty data set as a bar of nothing', () => {
    const five = {
      compliant: 1,
      exempt: 1,
      remediated: 1,
      'would-remediate': 1,
      failed: 1,
      incomplete: 0,
      unguarded: 0,
      skipped: 0,
      absent: 0,
    };
    const bar = element(renderHtml({ ...view, cellTotals: five }), 'svg', 'summary-bar');
    expect(bar).toContain('height="68" viewBox="0 0 600 68"');
    expect(bar).toContain('<text x="450" y="44" font-size="12" fill="#111827">⚠ non-compliant: 1</text>');
    expect(bar).toContain('<text x="0" y="60" font-size="12" fill="#111827">✖ failed: 1</text>');
    expect(bar).toContain('<rect x="480.0" y="0" width="120.0"');
    const empty = data({ accountRegions: [], records: [] });
    expect(element(renderHtml(viewOf(empty)), 'svg', 'summary-bar')).toBe(
      '<svg id="summary-bar" role="img" aria-label="0 account-regions by outcome" width="600" height="52" viewBox="0 0 600 52" xmlns="http://www.w3.org/2000/svg"><title>0 account-regions by outcome</title></svg>',
    );
  });

  it('sums the repositories by outcome', () => {
    expect(element(html, 'table', 'totals')).toBe(
      '<table id="totals"><thead><tr><th>compliant</th><th>remediated</th><th>would-remediate</th><th>exempt</th><th>gone</th><th>failed</th></tr></thead><tbody><tr><td>2</td><td>0</td><td>0</td><td>2</td><td>0</td><td>0</td></tr></tbody></table>',
    );
  });

  it('shows the matrix, a row per account with its name, each cell with its place, kind, symbol, word and detail', () => {
    const at = (account: string, region: string) => ` data-account="${account}" data-region="${region}"`;
    const absent = 'the data has no summary for this account-region';
    expect(element(html, 'table', 'matrix')).toBe(
      [
        '<table id="matrix"><thead><tr><th scope="col">Account</th><th scope="col">eu-west-1</th><th scope="col">us-east-1</th></tr></thead><tbody>',
        '<tr><th scope="row" class="nowrap"><span class="mono">111111111111</span> <span class="note">prod</span></th>',
        CELL('exempt', '◐', 'exempt', '2 compliant, 2 exempt', at('111111111111', 'eu-west-1')),
        CELL('absent', '—', 'not in the data', absent, at('111111111111', 'us-east-1')),
        '</tr><tr><th scope="row" class="nowrap"><span class="mono">222222222222</span></th>',
        CELL('absent', '—', 'not in the data', absent, at('222222222222', 'eu-west-1')),
        CELL('failed', '✖', 'failed', 'AccessDenied: no; no repositories', at('222222222222', 'us-east-1')),
        '</tr></tbody></table>',
      ].join(''),
    );
    expect(element(html, 'table', 'legend')).toMatch(
      new RegExp(
        `^<table id="legend"><tbody><tr>${CELL('compliant', '✔', 'compliant', 'every repository at the policy')}</tr><tr>.*</tr></tbody></table>$`,
      ),
    );
  });

  it('lists the exemptions, the soon ones marked, or says there are none', () => {
    expect(element(html, 'table', 'exemptions')).toBe(
      [
        '<table id="exemptions"><thead><tr><th>Expires</th><th>Account</th><th>Region</th><th>Repository</th><th>Rule</th><th>Reason</th></tr></thead><tbody>',
        '<tr class="soon" data-expiry="2026-06-10"><td>2026-06-10 (within 30 days)</td><td class="nowrap">111111111111</td><td class="nowrap">eu-west-1</td><td class="mono">b</td><td>exempt-tag ex</td><td>why</td></tr>',
        '<tr class="" data-expiry=""><td>never</td><td class="nowrap">111111111111</td><td class="nowrap">eu-west-1</td><td class="mono">legacy/a</td><td>exempt-name</td><td>repository name matches &#39;legacy/**&#39;</td></tr>',
        '</tbody></table>',
      ].join(''),
    );
    expect(element(renderHtml(viewOf(data({ records: [] }))), 'section', 'exemptions-section')).toBe(
      '<section id="exemptions-section"><h2>Exemptions</h2><p class="note">Those expiring within 30 days of 2026-06-01T00:00:00Z (when the data was gathered) first, soonest first; then by expiry; then those without one.</p><p class="note">No exemptions in this data.</p></section>',
    );
  });

  it('lists the records of each table by account, with their count, or says there are none', () => {
    const head =
      '<thead><tr><th>Region</th><th>Repository</th><th>Error code</th><th>Reason</th></tr></thead>';
    expect(element(html, 'section', 'failures')).toBe(
      [
        '<section id="failures"><h2>Failures, by account</h2>',
        `<h3>Account 111111111111 <span class="note">(1)</span></h3><table>${head}<tbody><tr><td class="nowrap">eu-west-1</td><td>c</td><td>E</td><td>bad</td></tr></tbody></table>`,
        `<h3>Account 222222222222 <span class="note">(1)</span></h3><table>${head}<tbody><tr><td class="nowrap">eu-west-1</td><td>d</td><td>—</td><td>worse</td></tr></tbody></table>`,
        '</section>',
      ].join(''),
    );
    expect(element(html, 'section', 'blocked-overwrites')).toContain(
      '<tbody><tr><td class="nowrap">eu-west-1</td><td>e</td><td>v1</td><td>bob</td><td>refused</td></tr></tbody>',
    );
    expect(element(html, 'section', 'remediations')).toContain(
      '<td>f</td><td>MUTABLE → IMMUTABLE</td><td>would-remediate (dry run)</td>',
    );
    const empty = renderHtml(viewOf(data({ records: [] })));
    expect(
      ['blocked-overwrites', 'remediations', 'failures'].map((id) => element(empty, 'section', id)),
    ).toEqual([
      '<section id="blocked-overwrites"><h2>Refused overwrites, by account</h2><p class="note">No refused overwrites in this data.</p></section>',
      '<section id="remediations"><h2>Remediations, by account</h2><p class="note">No remediations in this data.</p></section>',
      '<section id="failures"><h2>Failures, by account</h2><p class="note">No repository failed in this data.</p></section>',
    ]);
  });

  it('writes rows and notes one after the other, nothing between them', () => {
    const two = data({
      sources: [
        { kind: 'live-dry-run', detail: 'one', gatheredAt: '2026-06-01T00:00:00Z', gatheredBy: 'me' },
        { kind: 'live-dry-run', detail: 'two', gatheredAt: '2026-06-01T00:00:00Z', gatheredBy: 'me' },
      ],
      records: [
        reportRecord({ outcome: 'failed', subject: 'x', errorCode: 'E', reason: 'bad' }),
        reportRecord({ outcome: 'failed', subject: 'y', errorCode: 'F', reason: 'worse' }),
      ],
    });
    const page = renderHtml(viewOf(two), ['one', 'two']);
    expect(element(page, 'table', 'sources')).toContain(
      '<td class="mono">one</td><td>2026-06-01T00:00:00Z</td><td>me</td></tr><tr data-source="live-dry-run">',
    );
    expect(element(page, 'section', 'failures')).toContain(
      '<td>bad</td></tr><tr><td class="nowrap">eu-west-1</td><td>y</td>',
    );
    expect(element(page, 'section', 'notes')).toBe(
      '<section id="notes"><h2>About the source</h2><ul><li>one</li><li>two</li></ul></section>',
    );
  });

  it('shows the notes on the source, escaped, and no such section without notes', () => {
    expect(element(html, 'section', 'notes')).toBe(
      '<section id="notes"><h2>About the source</h2><ul><li>a &lt;note&gt;</li></ul></section>',
    );
    expect(renderHtml(viewOf(data()))).toContain('</section>\n\n<section id="data-section">');
  });
});

describe('escapeHtml', () => {
  it.each([
    [`&<>"'`, '&amp;&lt;&gt;&quot;&#39;'],
    ['&amp;', '&amp;amp;'],
    [null, ''],
    [undefined, ''],
    [7, '7'],
    [true, 'true'],
  ])('escapes %j as %j', (value, escaped) => {
    expect(escapeHtml(value)).toBe(escaped);
  });
});
