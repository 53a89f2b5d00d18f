/**
 * The evidence report in Markdown (lib/report-markdown.ts), section by section: what each says, exactly,
 * and how a value is escaped.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ReportPolicy } from '../../lib/report.ts';
import { escapeMarkdown, renderMarkdown } from '../../lib/report-markdown.ts';
import { viewOf } from '../../lib/report-view.ts';
import { reportData as data, POLICY } from '../helpers/report-data.ts';

/** The text of the section under `## title`, up to the next section. */
function section(markdown: string, title: string): string | undefined {
  const start = markdown.indexOf(`\n## ${title}\n\n`);
  if (start === -1) return undefined;
  const body = markdown.slice(start + title.length + 6);
  const end = body.indexOf('\n\n## ');
  return (end === -1 ? body : body.slice(0, end)).replace(/\n$/, '');
}

describe('renderMarkdown', () => {
  // Rendered before each test, not while the file is collected: a mutant is switched on only when the
  // tests run (docs/reliability.md, "Mutation testing").
  let markdown = '';
  beforeEach(() => {
    markdown = renderMarkdown(viewOf(data(), { madeAt: '2026-06-02T00:00:00Z' }), ['a *note*']);
  });

  it('starts with the title, the sources and when the report was made', () => {
    expect(markdown.split('\n\n## ')[0]).toBe(
      [
        '# ECR tag immutability: evidence',
        '| Source | What | Gathered at | Gathered by |\n| --- | --- | --- | --- |\n| live dry run (nothing written) | acct | 2026-06-01T00:00:00Z | me |',
        'Report made at 2026-06-02T00:00:00Z (not part of the data or its hash).',
      ].join('\n\n'),
    );
    const undated = renderMarkdown(viewOf(data()));
    expect(undated).not.toContain('Report made at');
    // Nothing in its place: the sources' table is followed by the policy.
    expect(undated.split('\n\n## ')[0]).toBe(
      [
        '# ECR tag immutability: evidence',
        '| Source | What | Gathered at | Gathered by |\n| --- | --- | --- | --- |\n| live dry run (nothing written) | acct | 2026-06-01T00:00:00Z | me |',
      ].join('\n\n'),
    );
  });

  it('names the policy, its allowed exclusions and its exemption tag with its expiry tag', () => {
    expect(section(markdown, 'Policy in force')).toBe(
      [
        '- Target: IMMUTABLE',
        '- Allowed exclusions: latest, v\\*',
        '- Exempt repositories (name): none',
        '- Exemption tag: ex, expiry tag until',
      ].join('\n'),
    );
    const policy = (values: Partial<ReportPolicy>) =>
      section(renderMarkdown(viewOf(data({ policy: { ...POLICY, ...values } }))), 'Policy in force');
    expect(policy({ exemptRepositories: ['a/**', 'b'], exemptExpiryTagKey: null })).toContain(
      '- Exempt repositories (name): a/\\*\\*, b\n- Exemption tag: ex',
    );
    expect(policy({ exemptRepositories: ['a/**', 'b'], exemptExpiryTagKey: null })).toMatch(/ex$/);
    expect(policy({ allowedExclusions: [], exemptTagKey: null })).toMatch(
      /^- Target: IMMUTABLE\n- Allowed exclusions: none\n.*\n- Exemption tag: none$/,
    );
  });

  it('gives the hash and what it is of', () => {
    const view = viewOf(data());
    expect(section(markdown, 'Integrity')).toBe(
      `SHA-256: \`${view.sha256}\`\n\nSHA-256 of the UTF-8 bytes of the data set’s canonical JSON: JSON.stringify of the data with the members of every object sorted by name (every name is ASCII) and no whitespace (the data member of the JSON format; the Data block of the HTML page).`,
    );
  });

  it('sums the repositories by outcome and the account-regions of each kind there is', () => {
    expect(section(markdown, 'Summary')).toBe(
      [
        '| compliant | remediated | would-remediate | exempt | gone | failed |\n| --- | --- | --- | --- | --- | --- |\n| 2 | 0 | 0 | 2 | 0 | 0 |',
        '| ◐ exempt | ✖ failed | — not in the data |\n| --- | --- | --- |\n| 1 account-regions | 1 account-regions | 2 account-regions |',
      ].join('\n\n'),
    );
  });

  it('shows the matrix, a row per account with its name, and the legend', () => {
    expect(section(markdown, 'Accounts × Regions')?.split('\n\n')).toEqual([
      [
        '| Account | eu-west-1 | us-east-1 |',
        '| --- | --- | --- |',
        '| 111111111111 prod | ◐ exempt: 2 compliant, 2 exempt | — not in the data: the data has no summary for this account-region |',
        '| 222222222222 | — not in the data: the data has no summary for this account-region | ✖ failed: AccessDenied: no; no repositories |',
      ].join('\n'),
      [
        '| Symbol | Meaning |',
        '| --- | --- |',
        '| ✔ compliant | every repository at the policy |',
        '| ◐ exempt | compliant except repositories the policy exempts |',
        '| ↻ remediated | the guard set repositories to the policy |',
        '| ⚠ non-compliant | repositories a dry run would set to the policy |',
        '| ✖ failed | the account-region or a repository could not be decided |',
        '| … incomplete | the run stopped before the end of the account-region |',
        '| ! unguarded | the guard’s event forwarding is missing there |',
        '| ⊘ skipped | not swept, with the reason |',
        '| — not in the data | the data has no summary for this account-region |',
      ].join('\n'),
    ]);
  });

  it('lists the exemptions, the soon ones marked, or says there are none', () => {
    expect(section(markdown, 'Exemptions')).toBe(
      [
        'Those expiring within 30 days of 2026-06-01T00:00:00Z (when the data was gathered) first, soonest first; then by expiry; then those without one.',
        [
          '| Expires | Account | Region | Repository | Rule | Reason |',
          '| --- | --- | --- | --- | --- | --- |',
          '| 2026-06-10 (within 30 days) | 111111111111 | eu-west-1 | b | exempt-tag ex | why |',
          "| never | 111111111111 | eu-west-1 | legacy/a | exempt-name | repository name matches 'legacy/\\*\\*' |",
        ].join('\n'),
      ].join('\n\n'),
    );
    expect(section(renderMarkdown(viewOf(data({ records: [] }))), 'Exemptions')).toMatch(
      /\n\nNo exemptions in this data\.$/,
    );
  });

  it('lists the records of each table by account, with their count, or says there are none', () => {
    expect(section(markdown, 'Failures, by account')).toBe(
      [
        '### Account 111111111111 (1)',
        '| Region | Repository | Error code | Reason |\n| --- | --- | --- | --- |\n| eu-west-1 | c | E | bad |',
        '### Account 222222222222 (1)',
        '| Region | Repository | Error code | Reason |\n| --- | --- | --- | --- |\n| eu-west-1 | d | — | worse |',
      ].join('\n\n'),
    );
    expect(section(markdown, 'Refused overwrites, by account')).toBe(
      '### Account 111111111111 (1)\n\n| Region | Repository | Tag | Actor | Reason |\n| --- | --- | --- | --- | --- |\n| eu-west-1 | e | v1 | bob | refused |',
    );
    expect(section(markdown, 'Remediations, by account')).toContain(
      '| eu-west-1 | f | MUTABLE → IMMUTABLE | would-remediate (dry run) | sweep |',
    );
    const empty = renderMarkdown(viewOf(data({ records: [] })));
    expect(
      ['Refused overwrites, by account', 'Remediations, by account', 'Failures, by account'].map((title) =>
        section(empty, title),
      ),
    ).toEqual([
      'No refused overwrites in this data.',
      'No remediations in this data.',
      'No repository failed in this data.',
    ]);
  });

  it('lists several notes a line each', () => {
    const notes = renderMarkdown(viewOf(data()), ['one', 'two']);
    expect(section(notes, 'About the source')).toBe('- one\n- two');
  });

  it('ends with the notes on the source, escaped, and has no such section without notes', () => {
    expect(markdown.endsWith('\n\n## About the source\n\n- a \\*note\\*\n')).toBe(true);
    const without = renderMarkdown(viewOf(data()));
    expect(section(without, 'About the source')).toBeUndefined();
    expect(without.endsWith('| eu-west-1 | d | — | worse |\n')).toBe(true);
  });
});

describe('escapeMarkdown', () => {
  it.each([
    ['\\ ` * _ [ ] < > | ~ &', '\\\\ \\` \\* \\_ \\[ \\] \\< \\> \\| \\~ \\&'],
    ['one\n\n\r\ntwo\rthree', 'one two three'],
    ['# not a heading', '# not a heading'],
  ])('escapes %j as %j', (value, escaped) => {
    expect(escapeMarkdown(value)).toBe(escaped);
  });

  it.each([
    [null, ''],
    [undefined, ''],
    [3, '3'],
    [false, 'false'],
  ])('writes %j as %j', (value, text) => {
    expect(escapeMarkdown(value)).toBe(text);
  });
});
